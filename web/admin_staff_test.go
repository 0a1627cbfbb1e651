package web

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"safedesk/security"
	"safedesk/store"
)

// TestStaffRoleForms checks that a role form that cannot be read changes
// nothing and says so, and that a role change ends the person's sessions.
func TestStaffRoleForms(t *testing.T) {
	env := newTestServer(t)
	owner, _ := env.owner()
	agentClient, _, agent := env.member(security.RoleAgent, "agent@northwind.example")
	path := "/admin/staff/" + itoa(agent.ID) + "/role"
	roleOf := func() security.Role {
		t.Helper()
		st, err := env.db.GetStaff(context.Background(), agent.ID)
		if err != nil {
			t.Fatal(err)
		}
		return st.Role
	}
	post := func(body io.Reader) response {
		t.Helper()
		req, err := http.NewRequest("POST", env.http.URL+path, body)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return owner.do(req)
	}

	t.Run("a malformed form is a bad request", func(t *testing.T) {
		if resp := post(strings.NewReader("role=%zz")); resp.status != http.StatusBadRequest {
			t.Errorf("status %d, want 400", resp.status)
		}
		if r := roleOf(); r != security.RoleAgent {
			t.Errorf("role %s, want agent", r)
		}
	})
	t.Run("a form past the size limit is too large", func(t *testing.T) {
		// No Content-Length: the limit is met while the handler reads the form.
		body := io.NopCloser(strings.NewReader("role=kb_editor&pad=" + strings.Repeat("a", int(env.srv.cfg.MaxFormBytes))))
		if resp := post(body); resp.status != http.StatusRequestEntityTooLarge {
			t.Errorf("status %d, want 413", resp.status)
		}
		if r := roleOf(); r != security.RoleAgent {
			t.Errorf("role %s, want agent", r)
		}
	})
	t.Run("a role change signs the person out", func(t *testing.T) {
		if agentClient.get("/admin/tickets").status != http.StatusOK {
			t.Fatal("the agent is not signed in to begin with")
		}
		if resp := owner.post(path, url.Values{"role": {"kb_editor"}}); resp.status != http.StatusSeeOther {
			t.Fatalf("role change: %d %s", resp.status, resp.body)
		}
		if r := roleOf(); r != security.RoleKBEditor {
			t.Errorf("role %s, want kb_editor", r)
		}
		resp := agentClient.get("/admin/tickets")
		if resp.status != http.StatusSeeOther || !strings.HasPrefix(resp.header.Get("Location"), "/admin/login") {
			t.Errorf("the agent's session after the change: %d %s", resp.status, resp.header.Get("Location"))
		}
	})
}

// TestInviteRevoke (issue 12, item 5): an invite not used yet can be
// revoked from the staff page, with a fresh passkey, audited; its link
// then answers as a used one does, and admins cannot revoke an owner's.
func TestInviteRevoke(t *testing.T) {
	env := newTestServer(t)
	ctx := context.Background()
	owner, dev := env.owner()
	if r := owner.post("/admin/staff/invite", url.Values{"email": {"leaked@northwind.example"}, "role": {"admin"}}); r.status != 200 {
		t.Fatalf("invite: %d", r.status)
	}
	link := regexpFind(t, `http://\S+/admin/invite/\S+`, env.mail.next(t).Text)
	u, _ := url.Parse(link)
	invites, err := env.db.ListInvites(ctx)
	if err != nil || len(invites) != 1 || invites[0].Email != "leaked@northwind.example" {
		t.Fatalf("invites %+v, %v", invites, err)
	}
	revoke := "/admin/staff/invites/" + itoa(invites[0].ID) + "/revoke"
	page := owner.get("/admin/staff")
	if !strings.Contains(page.body, `data-testid="invite-row"`) || !strings.Contains(page.body, `action="`+revoke+`"`) {
		t.Fatalf("the staff page offers no revoke:\n%s", page.body)
	}

	env.clock.advance(6 * time.Minute)
	if r := owner.post(revoke, nil); r.status != http.StatusUnauthorized {
		t.Fatalf("revoke without a fresh passkey: %d, want the step-up page", r.status)
	}
	if r := env.client().get(u.Path); r.status != http.StatusOK {
		t.Fatalf("the link before the revocation: %d", r.status)
	}
	env.stepUp(owner, dev)
	if r := owner.post(revoke, nil); r.status != http.StatusSeeOther {
		t.Fatalf("revoke: %d %s", r.status, r.body)
	}
	if page := owner.get("/admin/staff"); strings.Contains(page.body, `data-testid="invite-row"`) || !strings.Contains(page.body, "is revoked") {
		t.Errorf("after revoking, the page:\n%s", page.body)
	}
	used := env.client().get(u.Path)
	if used.status != http.StatusGone || !strings.Contains(used.body, "already been used") {
		t.Errorf("the revoked link: %d\n%s", used.status, used.body)
	}
	if r := env.client().post(u.Path+"/begin", url.Values{"name": {"Mallory"}, "passkey_name": {"k"}}); r.status == http.StatusOK {
		t.Errorf("enrolment with the revoked link began: %s", r.body)
	}
	if es, _ := env.db.ListAudit(ctx, store.AuditFilter{Action: "staff.invite_revoked"}); len(es) != 1 ||
		es[0].Target != "invite:"+itoa(invites[0].ID) || es[0].Actor.Type != store.ActorStaff {
		t.Errorf("audit %+v", es)
	}
	if r := owner.post(revoke, nil); r.status != http.StatusSeeOther {
		t.Errorf("revoking again: %d", r.status)
	}

	t.Run("admins cannot revoke an owner's invite", func(t *testing.T) {
		if r := owner.post("/admin/staff/invite", url.Values{"email": {"second.owner@northwind.example"}, "role": {"owner"}}); r.status != 200 {
			t.Fatalf("invite an owner: %d", r.status)
		}
		env.mail.next(t)
		invites, _ := env.db.ListInvites(ctx)
		admin, _, _ := env.member(security.RoleAdmin, "adam@northwind.example")
		if r := admin.post("/admin/staff/invites/"+itoa(invites[0].ID)+"/revoke", nil); r.status != http.StatusForbidden {
			t.Fatalf("an admin revoking an owner's invite: %d", r.status)
		}
		if left, _ := env.db.ListInvites(ctx); len(left) != 1 {
			t.Fatalf("invites %+v", left)
		}
	})
}
