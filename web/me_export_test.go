package web

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"safedesk/backup"
	"safedesk/security"
	"safedesk/store"
)

// TestOneExportEverywhere: an access request gets the same complete
// document (tickets, messages, chats, consents, audit records) whether the
// customer downloads it, staff download it from the customer's page, or an
// API client asks for it; each export is audited in the name of who made it.
func TestOneExportEverywhere(t *testing.T) {
	env := newAPIServer(t)
	ctx := context.Background()
	me, _ := env.signIn("one.export@example.org", "Kettle leaks", "It leaks from the lid.")
	env.signIn("someone.else@example.org", "OTHER-SUBJECT-MARKER", "OTHER-BODY-MARKER")
	c := env.customerOf("one.export@example.org")
	env.chatFor(c.ID, "Is the kettle safe to use?")
	admin, _, _ := env.member(security.RoleAdmin, "admin@northwind.example")
	agent, _, _ := env.member(security.RoleAgent, "agent@northwind.example")
	tok := env.token(store.ScopeCustomersRead)
	id := itoa(c.ID)

	portal := me.get("/me/export")
	staff := admin.post("/admin/customers/"+id+"/export", nil)
	api := env.api("GET", "/api/v1/customers/"+id+"/export", tok, "")
	docs := map[string]map[string]any{}
	for name, resp := range map[string]response{"portal": portal, "staff": staff, "api": api} {
		if resp.status != http.StatusOK || !strings.HasPrefix(resp.header.Get("Content-Disposition"), "attachment; filename=") ||
			resp.header.Get("Cache-Control") != "no-store" {
			t.Fatalf("%s export: %d %q %q", name, resp.status, resp.header.Get("Content-Disposition"), resp.body)
		}
		var doc map[string]any
		if err := json.Unmarshal([]byte(resp.body), &doc); err != nil {
			t.Fatalf("%s export is not JSON: %v", name, err)
		}
		for _, part := range []string{"tickets", "chats", "consents", "records"} {
			if list, _ := doc[part].([]any); len(list) == 0 {
				t.Errorf("%s export has no %s: %s", name, part, resp.body)
			}
		}
		if strings.Contains(resp.body, "OTHER-") {
			t.Errorf("%s export holds another customer's data", name)
		}
		docs[name] = doc
	}
	// The audit records grow with each export, each of which is recorded;
	// everything else is the one document.
	records := func(doc map[string]any) []any { r, _ := doc["records"].([]any); return r }
	portalRecords := records(docs["portal"])
	for _, name := range []string{"staff", "api"} {
		if got, want := records(docs[name]), portalRecords; len(got) <= len(want) || !reflect.DeepEqual(got[:len(want)], want) {
			t.Errorf("%s export's records do not extend the portal's: %v", name, got)
		}
		for _, doc := range []map[string]any{docs[name], docs["portal"]} {
			delete(doc, "records")
			delete(doc, "exported_at")
		}
		if !reflect.DeepEqual(docs[name], docs["portal"]) {
			t.Errorf("the %s export differs from the portal's:\n%v\n%v", name, docs[name], docs["portal"])
		}
	}
	entries, err := env.db.ListAudit(ctx, store.AuditFilter{Action: "customer.exported", Target: "customer:" + id})
	if err != nil {
		t.Fatal(err)
	}
	var by []string
	for _, e := range entries {
		by = append(by, e.Actor.Type)
	}
	if want := []string{store.ActorCustomer, store.ActorStaff, store.ActorToken}; !reflect.DeepEqual(by, want) {
		t.Errorf("exports audited as %v, want %v", by, want)
	}

	t.Run("the staff route needs customers:export", func(t *testing.T) {
		if resp := agent.post("/admin/customers/"+id+"/export", nil); resp.status != http.StatusForbidden {
			t.Errorf("agent export: %d, want 403", resp.status)
		}
		if body := agent.get("/admin/customers/" + id).body; strings.Contains(body, `data-testid="customer-export"`) {
			t.Error("the agent is offered the export")
		}
		if body := admin.get("/admin/customers/" + id).body; !strings.Contains(body, `data-testid="customer-export"`) {
			t.Error("the admin is not offered the export")
		}
	})
	t.Run("the staff route needs a fresh passkey", func(t *testing.T) {
		env.clock.advance(6 * time.Minute)
		admin.get("/admin/customers/" + id) // activity, so only the step-up is stale
		if resp := admin.post("/admin/customers/"+id+"/export", nil); resp.status != http.StatusUnauthorized || !strings.Contains(resp.body, `data-passkey="stepup"`) {
			t.Errorf("stale step-up: %d", resp.status)
		}
	})
}

// TestSlowDownloadOutlastsWriteTimeout: a client that reads a backup more
// slowly than the server's write timeout allows a whole response still
// gets all of it, through a real http.Server with a short timeout.
func TestSlowDownloadOutlastsWriteTimeout(t *testing.T) {
	const timeout = 300 * time.Millisecond
	var svc *backup.Service
	env := newTestServerWithDB(t, func(c *Config, db *store.DB) {
		dir := filepath.Dir(db.Path())
		if _, err := backup.EnsureIdentity(dir); err != nil {
			t.Fatal(err)
		}
		var err error
		if svc, err = backup.New(context.Background(), backup.DefaultOptions(), backup.Deps{DB: db, DataDir: dir}); err != nil {
			t.Fatal(err)
		}
		c.Backups, c.WriteTimeout = svc, timeout
	})
	if err := svc.Prepare(); err != nil {
		t.Fatal(err)
	}
	// Any file named like a backup is listed and downloadable.
	want := make([]byte, 4<<20)
	rand.Read(want)
	name := backup.FileName(time.Date(2026, 12, 6, 3, 0, 0, 0, time.UTC))
	if err := os.WriteFile(filepath.Join(svc.Status().Dir, name), want, 0o600); err != nil {
		t.Fatal(err)
	}
	owner, _ := env.owner()

	// The server as main runs it, and socket buffers far smaller than the
	// file on both sides, so the response cannot hide in the kernel while
	// the client dawdles. (A receive buffer below the loopback's segment
	// size would stall the connection itself.)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := env.srv.HTTPServer(ln.Addr().String())
	if srv.WriteTimeout != timeout {
		t.Fatalf("the server's write timeout is %v, want the configured %v", srv.WriteTimeout, timeout)
	}
	go srv.Serve(smallBuffers{ln})
	t.Cleanup(func() { srv.Close() })
	slow := &http.Client{Jar: owner.c.Jar, Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			c, err := d.DialContext(ctx, "tcp", ln.Addr().String())
			if err != nil {
				return nil, err
			}
			return c, c.(*net.TCPConn).SetReadBuffer(128 << 10)
		},
	}}
	// The session cookie is for localhost: ask for it there, dial the second server.
	u, _ := url.Parse(env.http.URL)
	resp, err := slow.PostForm("http://"+u.Host+"/admin/backups/download", url.Values{"name": {name}})
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("download: %d", resp.StatusCode)
	}
	start := time.Now()
	got, err := readSlowly(resp.Body, 32<<10, 10*time.Millisecond)
	if err != nil || len(got) != len(want) || string(got) != string(want) {
		t.Fatalf("after %v (write timeout %v): got %d of %d bytes, %v", time.Since(start), timeout, len(got), len(want), err)
	}
}

// readSlowly reads r to the end, n bytes per tick: a client on a slow
// line (4 MiB at 32 KiB every 10 ms take four times the timeout).
func readSlowly(r io.Reader, n int, tick time.Duration) ([]byte, error) {
	var out []byte
	buf := make([]byte, n)
	t := time.NewTicker(tick)
	defer t.Stop()
	for {
		<-t.C
		m, err := io.ReadFull(r, buf)
		out = append(out, buf[:m]...)
		switch {
		case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
			return out, nil
		case err != nil:
			return out, err
		}
	}
}

// smallBuffers gives each accepted connection a small send buffer.
type smallBuffers struct{ net.Listener }

func (l smallBuffers) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if tc, ok := c.(*net.TCPConn); ok {
		if err := tc.SetWriteBuffer(4096); err != nil {
			c.Close()
			return nil, err
		}
	}
	return c, err
}
