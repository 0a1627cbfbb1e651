package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"safedesk/security"
	"safedesk/store"
)

func TestAdminErasure(t *testing.T) {
	env := newTestServer(t)
	ctx := context.Background()
	owner, d := env.owner()
	agent, _, _ := env.member(security.RoleAgent, "agent@northwind.example")
	tk, err := env.db.CreateTicket(ctx, store.NewTicket{Email: "by.letter@example.org", Name: "Letter Writer", Subject: "Erase me please", Body: "Hi"}, store.Actor{Type: store.ActorVisitor})
	if err != nil {
		t.Fatal(err)
	}
	id := itoa(tk.CustomerID)
	path := "/admin/customers/" + id
	today := env.clock.Now().UTC().Format(time.DateOnly)
	valid := url.Values{"channel": {"letter"}, "received": {today}, "reference": {"letter 2026-014"}, "confirm": {id}}

	t.Run("only roles that may erase see the form or may post it", func(t *testing.T) {
		if body := agent.get(path).body; strings.Contains(body, `data-testid="erase"`) {
			t.Error("an agent sees the erasure form")
		}
		if resp := agent.post(path+"/erase", valid); resp.status != http.StatusForbidden {
			t.Errorf("agent erase: %d", resp.status)
		}
		if body := owner.get(path).body; !strings.Contains(body, `data-testid="erase"`) || !strings.Contains(body, `value="`+today+`"`) {
			t.Error("the owner sees no erasure form")
		}
	})
	t.Run("a stale passkey asks for step-up first", func(t *testing.T) {
		env.clock.advance(6 * time.Minute)
		owner.get("/admin/tickets")
		if resp := owner.post(path+"/erase", valid); resp.status != http.StatusUnauthorized || !strings.Contains(resp.body, `data-passkey="stepup"`) {
			t.Fatalf("%d", resp.status)
		}
		env.stepUp(owner, d)
	})
	t.Run("a bad request erases nothing and keeps what was typed", func(t *testing.T) {
		bad := url.Values{"channel": {"pigeon"}, "received": {"2099-01-01"}, "reference": {"call from by.letter@example.org"}, "confirm": {"yes"}}
		resp := owner.post(path+"/erase", bad)
		if resp.status != http.StatusUnprocessableEntity {
			t.Fatalf("%d %s", resp.status, resp.body)
		}
		for _, f := range []string{"channel", "received", "reference", "confirm"} {
			if !strings.Contains(resp.body, `data-testid="`+f+`-error"`) {
				t.Errorf("no message for %s", f)
			}
		}
		if !strings.Contains(resp.body, `value="2099-01-01"`) {
			t.Error("what was typed is lost")
		}
		if _, err := env.db.GetCustomer(ctx, tk.CustomerID); err != nil {
			t.Fatalf("erased anyway: %v", err)
		}
	})
	t.Run("a valid request erases and is registered", func(t *testing.T) {
		resp := owner.post(path+"/erase", valid)
		if resp.status != http.StatusSeeOther {
			t.Fatalf("%d %s", resp.status, resp.body)
		}
		if _, err := env.db.GetCustomer(ctx, tk.CustomerID); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("customer: %v", err)
		}
		reqs, _ := env.db.ListErasureRequests(ctx, 10)
		if len(reqs) != 1 || reqs[0].Channel != store.ChannelLetter || reqs[0].Reference != "letter 2026-014" || !strings.HasPrefix(reqs[0].HandledBy, "staff:") {
			t.Fatalf("register %+v", reqs)
		}
		settings := owner.get("/admin/settings")
		if !strings.Contains(settings.body, reqs[0].Tombstone) || !strings.Contains(settings.body, "Customer #"+id+" is erased") {
			t.Errorf("the settings page shows neither the register entry nor the notice")
		}
		if resp := owner.post(path+"/erase", valid); resp.status != http.StatusNotFound {
			t.Errorf("erasing again: %d", resp.status)
		}
	})
}

func TestSettingsPrivacyAndChecks(t *testing.T) {
	env := newTestServerWithDB(t, func(c *Config, db *store.DB) {
		c.Privacy.Retention = store.Retention{ResolvedTickets: 730 * 24 * time.Hour, SecurityEvents: 90 * 24 * time.Hour}
		c.Doctor = NewDoctor(DoctorInput{Data: filepath.Dir(db.Path()), BaseURL: c.BaseURL, Privacy: c.Privacy, DB: db})
	})
	ctx := context.Background()
	owner, _ := env.owner()
	admin, _, _ := env.member(security.RoleAdmin, "admin@northwind.example")
	page := owner.get("/admin/settings")
	for _, want := range []string{
		`data-testid="privacy-settings"`, "730 days after their last change",
		`data-testid="check-smtp"`, "Fix: set --smtp", `data-testid="check-tls"`,
		`data-testid="go-version">go1.`, `data-testid="build-age"`, `data-testid="deps"`,
		`name="export_internal_notes"`,
	} {
		if !strings.Contains(page.body, want) {
			t.Errorf("settings page lacks %q", want)
		}
	}
	t.Run("only the owner may let exports include internal notes", func(t *testing.T) {
		if body := admin.get("/admin/settings").body; strings.Contains(body, `name="export_internal_notes"`) {
			t.Error("an admin sees the owner's setting")
		}
		if resp := admin.post("/admin/settings/privacy", url.Values{"export_internal_notes": {"on"}}); resp.status != http.StatusForbidden {
			t.Errorf("admin: %d", resp.status)
		}
		if resp := owner.post("/admin/settings/privacy", url.Values{"export_internal_notes": {"on"}}); resp.status != http.StatusSeeOther {
			t.Fatalf("owner: %d", resp.status)
		}
		if on, _ := env.srv.exportNotes(ctx); !on {
			t.Fatal("not saved")
		}
		if es, _ := env.db.ListAudit(ctx, store.AuditFilter{Action: "settings.changed", Target: "setting:" + settingExportNotes}); len(es) != 1 {
			t.Errorf("audit %+v", es)
		}
		owner.post("/admin/settings/privacy", url.Values{})
		if on, _ := env.srv.exportNotes(ctx); on {
			t.Fatal("not switched off")
		}
	})
}
