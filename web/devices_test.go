package web

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"safedesk/security"
	"safedesk/store"
)

// rememberedCustomer files a ticket as email and verifies with "keep me
// signed in on this device"; it returns the client, the ticket's path and
// the device cookie.
func (e *testEnv) rememberedCustomer(email string) (*client, string, *http.Cookie) {
	e.t.Helper()
	c := e.client()
	if r := c.post("/tickets/new", ticketForm(email, "Kettle", "It leaks.")); r.status != http.StatusSeeOther {
		e.t.Fatalf("ticket: %d", r.status)
	}
	code := e.mail.next(e.t).code(e.t)
	resp := c.post("/verify", url.Values{"email": {email}, "code": {code}, "remember": {"1"}})
	if resp.status != http.StatusSeeOther {
		e.t.Fatalf("verify: %d %s", resp.status, resp.body)
	}
	var device *http.Cookie
	for _, ck := range (&http.Response{Header: resp.header}).Cookies() {
		if ck.Name == "safedesk_device" {
			device = ck
		}
	}
	if device == nil {
		e.t.Fatalf("no device cookie in %q", resp.header["Set-Cookie"])
	}
	return c, resp.header.Get("Location"), device
}

// withDevice asks srv for path with nothing but the device cookie, as a
// browser whose session has ended.
func withDevice(t *testing.T, srv http.Handler, path string, device *http.Cookie) *http.Response {
	t.Helper()
	h := httptest.NewServer(srv)
	defer h.Close()
	req, _ := http.NewRequest(http.MethodGet, h.URL+path, nil)
	req.AddCookie(&http.Cookie{Name: device.Name, Value: device.Value})
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// TestDeviceCookie: the device cookie is its own long-lived, HttpOnly,
// SameSite=Lax cookie; it signs the customer in once the session has
// ended, also after a restart of the server, and never once revoked by
// the customer, by staff, by signing out, or by erasure.
func TestDeviceCookie(t *testing.T) {
	env := newTestServer(t)
	c, path, device := env.rememberedCustomer("ada@example.org")
	if !device.HttpOnly || device.SameSite != http.SameSiteLaxMode || device.MaxAge < 29*24*3600 || device.Path != "/" {
		t.Errorf("device cookie %+v", device)
	}

	env.clock.advance(2 * time.Hour) // the customer session's idle limit is long past
	if r := c.get(path); r.status != http.StatusOK {
		t.Fatalf("a remembered device after the session ended: %d %s", r.status, r.header.Get("Location"))
	}

	t.Run("survives a restart", func(t *testing.T) {
		ring, _, err := security.LoadMasterKey(filepath.Join(env.dir, "master.key"), false)
		if err != nil {
			t.Fatal(err)
		}
		db, err := store.Open(context.Background(), filepath.Join(env.dir, "safedesk.db"), ring, store.Options{Now: env.clock.Now})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		restarted := quietServer(t, Config{BaseURL: env.srv.cfg.BaseURL, Product: "Northwind"}, db)
		if r := withDevice(t, restarted, path, device); r.StatusCode != http.StatusOK {
			t.Fatalf("after a restart: %d %s", r.StatusCode, r.Header.Get("Location"))
		}
	})

	t.Run("revoked by the customer", func(t *testing.T) {
		page := c.get("/me/devices").body
		if !strings.Contains(page, `data-testid="device"`) || !strings.Contains(page, "this device") {
			t.Fatalf("devices page:\n%s", page)
		}
		m := regexpFind(t, `/me/devices/(\d+)/revoke`, page)
		r := c.post(m, nil)
		if r.status != http.StatusSeeOther || !strings.Contains(strings.Join(r.header["Set-Cookie"], ";"), "safedesk_device=;") {
			t.Fatalf("revoke: %d %q", r.status, r.header["Set-Cookie"])
		}
		if r := withDevice(t, env.srv, path, device); r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(r.Header.Get("Location"), "/verify") {
			t.Fatalf("a revoked device: %d %s", r.StatusCode, r.Header.Get("Location"))
		}
		if r := c.get(path); r.status != http.StatusSeeOther {
			t.Errorf("the session the device opened lives on: %d", r.status)
		}
	})

	t.Run("ended by staff", func(t *testing.T) {
		_, path, device := env.rememberedCustomer("bob@example.org")
		owner, _ := env.owner()
		id := itoa(env.customerOf("bob@example.org").ID)
		if page := owner.get("/admin/customers/" + id).body; !strings.Contains(page, `data-testid="end-devices"`) {
			t.Fatalf("customer page lacks the devices:\n%s", page)
		}
		if r := owner.post("/admin/customers/"+id+"/devices/revoke", nil); r.status != http.StatusSeeOther {
			t.Fatalf("staff revoke: %d", r.status)
		}
		if r := withDevice(t, env.srv, path, device); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("a device staff ended: %d", r.StatusCode)
		}
	})

	t.Run("forgotten at sign-out", func(t *testing.T) {
		c, path, device := env.rememberedCustomer("carl@example.org")
		if r := c.post("/verify/signout", nil); r.status != http.StatusSeeOther {
			t.Fatalf("sign out: %d", r.status)
		}
		if r := withDevice(t, env.srv, path, device); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("a device after signing out: %d", r.StatusCode)
		}
	})

	t.Run("ended by erasure", func(t *testing.T) {
		c, path, device := env.rememberedCustomer("dora@example.org")
		if r := c.post("/me/delete", url.Values{"confirm": {"DELETE"}}); r.status != http.StatusOK && r.status != http.StatusSeeOther {
			t.Fatalf("erase: %d", r.status)
		}
		if r := withDevice(t, env.srv, path, device); r.StatusCode != http.StatusSeeOther {
			t.Fatalf("the device of an erased customer: %d", r.StatusCode)
		}
	})
}

// TestNoDeviceWithoutTheTick: verifying without the tick sets no device
// cookie, and the code mail carries no sign-in token.
func TestNoDeviceWithoutTheTick(t *testing.T) {
	env := newTestServer(t)
	c := env.client()
	c.post("/tickets/new", ticketForm("eve@example.org", "Kettle", "It leaks."))
	m := env.mail.next(t)
	if strings.Contains(m.Text, "token") || strings.Contains(m.Text, "?code=") {
		t.Errorf("the mail carries a sign-in link:\n%s", m.Text)
	}
	resp := c.post("/verify", url.Values{"email": {"eve@example.org"}, "code": {m.code(t)}})
	if strings.Contains(strings.Join(resp.header["Set-Cookie"], ";"), "safedesk_device") {
		t.Errorf("a device cookie without the tick: %q", resp.header["Set-Cookie"])
	}
}
