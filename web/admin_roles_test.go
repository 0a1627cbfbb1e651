package web

import (
	"context"
	"encoding/hex"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"safedesk/security"
	"safedesk/store"
)

// TestEveryAdminRouteForEveryRole walks the whole admin route table for each
// role and checks that the permission check allows exactly what the role
// holds: an allowed request is anything but 403, a denied one is 403 and
// changes nothing it should not.
func TestEveryAdminRouteForEveryRole(t *testing.T) {
	env := newTestServer(t)
	env.owner()
	ctx := context.Background()
	tk, err := env.db.CreateTicket(ctx, store.NewTicket{Email: "matrix@example.org", Name: "M", Subject: "Matrix", Body: "Body"}, store.Actor{Type: store.ActorVisitor})
	if err != nil {
		t.Fatal(err)
	}
	if err := env.db.SaveArticle(ctx, store.Article{Slug: "matrix-article", Title: "Matrix", Body: "Text", Published: true}, store.SystemActor); err != nil {
		t.Fatal(err)
	}
	_, _, target := env.member(security.RoleAuditor, "target@northwind.example")

	type member struct {
		dev *passkeyDevice
		st  store.Staff
	}
	members := map[security.Role]member{}
	for _, role := range security.Roles {
		_, d, st := env.member(role, string(role)+"@matrix.example")
		members[role] = member{d, st}
	}
	param := regexp.MustCompile(`\{[a-z]+\}`)
	routes := env.srv.adminTable()
	if len(routes) < 25 {
		t.Fatalf("only %d admin routes: the table is not what this test expects", len(routes))
	}
	for _, role := range security.Roles {
		m := members[role]
		for _, rt := range routes {
			method, pattern, _ := strings.Cut(rt.pattern, " ")
			path := param.ReplaceAllStringFunc(pattern, func(p string) string {
				switch {
				case strings.HasPrefix(pattern, "/admin/tickets/"):
					return itoa(tk.ID)
				case strings.HasPrefix(pattern, "/admin/customers/"):
					return itoa(tk.CustomerID)
				case strings.HasPrefix(pattern, "/admin/staff/"):
					return itoa(target.ID)
				case strings.HasPrefix(pattern, "/admin/kb/"):
					return "matrix-article"
				case p == "{hash}":
					return hex.EncodeToString(make([]byte, 32))
				}
				return "1"
			})
			t.Run(string(role)+" "+method+" "+path, func(t *testing.T) {
				c := env.client()
				if resp := env.login(c, m.dev); resp.status != 200 {
					t.Fatalf("sign-in: %d", resp.status)
				}
				req, _ := http.NewRequest(method, env.http.URL+path, nil)
				if method == http.MethodPost {
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				}
				resp := c.do(req)
				want := role.Can(rt.perm)
				switch {
				case want && resp.status == http.StatusForbidden:
					t.Fatalf("allowed for %s (needs %s) but got 403", role, rt.perm)
				case want && strings.HasPrefix(resp.header.Get("Location"), "/admin/login") && !strings.Contains(rt.pattern, "revoke-all"):
					t.Fatalf("allowed but sent to sign-in")
				case !want && resp.status != http.StatusForbidden:
					t.Fatalf("denied for %s (needs %s) but got %d", role, rt.perm, resp.status)
				}
			})
		}
	}
	if st, _ := env.db.GetStaff(ctx, members[security.RoleOwner].st.ID); st.Role != security.RoleOwner {
		t.Fatal("the owner lost the role")
	}
}

func TestRolePermissionsAreLeastPrivilege(t *testing.T) {
	tests := []struct {
		role security.Role
		can  []security.Permission
		not  []security.Permission
	}{
		{security.RoleAgent, []security.Permission{security.PermTicketsWrite, security.PermCustomersRead},
			[]security.Permission{security.PermPIIReveal, security.PermStaffManage, security.PermKBWrite, security.PermAuditRead, security.PermSettingsManage}},
		{security.RoleKBEditor, []security.Permission{security.PermKBWrite},
			[]security.Permission{security.PermTicketsRead, security.PermCustomersRead, security.PermStaffRead}},
		{security.RoleAuditor, []security.Permission{security.PermAuditRead, security.PermSecurityRead},
			[]security.Permission{security.PermTicketsWrite, security.PermKBWrite, security.PermStaffManage, security.PermSecurityManage, security.PermSettingsManage, security.PermPIIReveal}},
		{security.RoleAdmin, []security.Permission{security.PermStaffManage, security.PermSettingsManage, security.PermPIIReveal},
			[]security.Permission{security.PermOwnersManage}},
		{security.RoleOwner, []security.Permission{security.PermOwnersManage, security.PermBackupsManage}, nil},
		{security.Role("intern"), nil, []security.Permission{security.PermSelf, security.PermTicketsRead}},
	}
	for _, tt := range tests {
		for _, p := range tt.can {
			if !tt.role.Can(p) {
				t.Errorf("%s cannot %s", tt.role, p)
			}
		}
		for _, p := range tt.not {
			if tt.role.Can(p) {
				t.Errorf("%s can %s", tt.role, p)
			}
		}
	}
}
