package web

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"safedesk/security"
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
