package web

import (
	"net/http"
	"strings"
	"testing"
)

// TestAdminWithoutOwnerSaysHowToStart is issue 12, item 16: /admin/ on a
// new server leads to a sign-in page that says how to get the setup link;
// once the owner exists it says nothing of the kind.
func TestAdminWithoutOwnerSaysHowToStart(t *testing.T) {
	env := newTestServer(t)
	c := env.client()
	r := c.get("/admin/")
	if r.status != http.StatusSeeOther || !strings.HasPrefix(r.header.Get("Location"), "/admin/login") {
		t.Fatalf("/admin/: %d %s", r.status, r.header.Get("Location"))
	}
	page := c.get(r.header.Get("Location")).body
	if !strings.Contains(page, "safedesk setup-link") || !strings.Contains(page, "no owner account") {
		t.Errorf("the sign-in page does not say how to begin:\n%s", page)
	}
	env.owner()
	if page := env.client().get("/admin/login").body; strings.Contains(page, "setup-link") {
		t.Error("the sign-in page still talks of the setup link once an owner exists")
	}
}
