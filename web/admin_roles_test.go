package web

import (
	"context"
	"encoding/hex"
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"safedesk/security"
	"safedesk/store"
)

// Who may call each staff route, written out by hand from the role
// descriptions (DESIGN.md, security/roles.go's comments), not computed
// from the route table or the grants: a wrong permission in either shows
// up as a difference.
const (
	everyone   = "owner admin agent kb_editor auditor"
	managers   = "owner admin"
	frontline  = "owner admin agent"
	kbReaders  = "owner admin agent kb_editor"
	kbWriters  = "owner admin kb_editor"
	overseers  = "owner admin auditor"
	reporters  = "owner admin agent auditor"
	ownersOnly = "owner"
)

var wantStaffRoutes = map[string]string{
	"GET /admin":                                        everyone,
	"GET /admin/tickets":                                frontline,
	"GET /admin/live/queue":                             frontline,
	"GET /admin/tickets/{id}":                           frontline,
	"POST /admin/tickets/{id}/reply":                    frontline,
	"POST /admin/tickets/{id}/update":                   frontline,
	"POST /admin/tickets/{id}/confirm":                  frontline,
	"POST /admin/tickets/{id}/language":                 frontline,
	"GET /admin/tickets/{id}/attachments/{aid}":         frontline,
	"GET /admin/tickets/{id}/attachments/{aid}/preview": frontline,
	"POST /admin/tickets/{id}/attachments/{aid}/delete": frontline,
	"GET /admin/customers/{id}":                         frontline,
	"POST /admin/customers/{id}/reveal":                 managers,
	"POST /admin/customers/{id}/erase":                  managers,
	"POST /admin/customers/{id}/export":                 managers,
	"GET /admin/chats":                                  frontline,
	"GET /admin/chats/insight":                          reporters,
	"GET /admin/chats/{id}":                             frontline,
	"GET /admin/chats/{id}/poll":                        frontline,
	"POST /admin/chats/{id}/take":                       frontline,
	"POST /admin/chats/{id}/messages":                   frontline,
	"POST /admin/chats/{id}/close":                      frontline,
	"GET /admin/email":                                  frontline,
	"POST /admin/email/quarantine/{id}/accept":          frontline,
	"POST /admin/email/quarantine/{id}/dismiss":         frontline,
	"POST /admin/tickets/{id}/headers/{mid}":            managers,
	"GET /admin/kb":                                     kbReaders,
	"GET /admin/kb/new":                                 kbWriters,
	"POST /admin/kb/new":                                kbWriters,
	"GET /admin/kb/{slug}/edit":                         kbWriters,
	"POST /admin/kb/{slug}/edit":                        kbWriters,
	"POST /admin/kb/{slug}/delete":                      kbWriters,
	"POST /admin/kb/preview":                            kbWriters,
	"POST /admin/kb/{slug}/examples":                    kbWriters,
	"POST /admin/kb/{slug}/examples/{id}/delete":        kbWriters,
	"POST /admin/kb/examples":                           kbWriters,
	"GET /admin/kb/categories":                          kbReaders,
	"POST /admin/kb/categories":                         kbWriters,
	"POST /admin/kb/categories/{id}/save":               kbWriters,
	"POST /admin/kb/categories/{id}/delete":             kbWriters,
	"GET /admin/staff":                                  overseers,
	"POST /admin/staff/invite":                          managers,
	"POST /admin/staff/invites/{id}/revoke":             managers,
	"POST /admin/staff/{id}/role":                       managers,
	"POST /admin/staff/{id}/disable":                    managers,
	"POST /admin/staff/{id}/enable":                     managers,
	"GET /admin/audit":                                  overseers,
	"POST /admin/audit/export":                          overseers,
	"GET /admin/security":                               overseers,
	"GET /admin/security/live":                          overseers,
	"POST /admin/security/verify":                       overseers,
	"POST /admin/security/blocks/lift":                  managers,
	"GET /admin/backups":                                managers,
	"GET /admin/backups/status":                         managers,
	"POST /admin/backups/run":                           managers,
	"POST /admin/backups/download":                      managers,
	"POST /admin/backups/restore":                       managers,
	"GET /admin/settings":                               overseers,
	"POST /admin/settings":                              managers,
	"POST /admin/settings/privacy":                      ownersOnly,
	"GET /admin/api":                                    managers,
	"POST /admin/api/tokens":                            managers,
	"POST /admin/api/tokens/{id}/revoke":                managers,
	"POST /admin/api/clients":                           managers,
	"POST /admin/api/clients/{id}/revoke":               managers,
	"GET /admin/api/webhooks/{id}":                      managers,
	"POST /admin/api/webhooks/{id}/enable":              managers,
	"POST /admin/api/webhooks/{id}/disable":             managers,
	"GET /admin/sessions":                               everyone,
	"POST /admin/sessions/{hash}/revoke":                everyone,
	"POST /admin/sessions/revoke-all":                   everyone,
	"POST /admin/passkeys/begin":                        everyone,
	"POST /admin/passkeys/finish":                       everyone,
	"POST /admin/passkeys/{id}/rename":                  everyone,
	"POST /admin/passkeys/{id}/remove":                  everyone,
	"POST /admin/stepup/begin":                          everyone,
	"POST /admin/stepup/finish":                         everyone,
	"/admin/":                                           everyone,
	"POST /admin/tickets/tags":                          frontline,
	"GET /admin/tickets/{id}/presence":                  frontline,
	"GET /admin/tickets/{id}/replies/{rid}":             frontline,
	"POST /admin/tickets/{id}/tags":                     frontline,
	"POST /admin/customers/{id}/devices/revoke":         frontline,
	"GET /admin/dashboard":                              managers,
	"GET /admin/replies":                                kbWriters,
	"GET /admin/replies/new":                            kbWriters,
	"POST /admin/replies/new":                           kbWriters,
	"GET /admin/replies/{id}/edit":                      kbWriters,
	"POST /admin/replies/{id}/edit":                     kbWriters,
	"POST /admin/replies/{id}/delete":                   kbWriters,
	"POST /admin/settings/due":                          managers,
	"POST /admin/settings/brand":                        managers,
	"POST /admin/settings/logo":                         managers,
	"POST /admin/settings/logo/remove":                  managers,
	"POST /admin/settings/privacy-notice":               ownersOnly,
	"GET /admin/me/notifications":                       everyone,
	"POST /admin/me/notifications":                      everyone,
	"POST /admin/me/available":                          everyone,
}

// dangerousRoutes change who can do what, or reach data in bulk or in
// clear: none of them is ever open to an agent, a knowledge-base editor or
// an auditor.
var dangerousRoutes = []string{
	"POST /admin/customers/{id}/reveal",
	"POST /admin/customers/{id}/erase",
	"POST /admin/customers/{id}/export",
	"POST /admin/tickets/{id}/headers/{mid}",
	"POST /admin/staff/invite",
	"POST /admin/staff/invites/{id}/revoke",
	"POST /admin/staff/{id}/role",
	"POST /admin/staff/{id}/disable",
	"POST /admin/staff/{id}/enable",
	"POST /admin/security/blocks/lift",
	"GET /admin/backups",
	"POST /admin/backups/run",
	"POST /admin/backups/download",
	"POST /admin/backups/restore",
	"POST /admin/settings",
	"POST /admin/settings/privacy",
	"POST /admin/settings/due",
	"POST /admin/settings/brand",
	"POST /admin/settings/logo",
	"POST /admin/settings/logo/remove",
	"POST /admin/settings/privacy-notice",
	"GET /admin/dashboard",
	"GET /admin/api",
	"POST /admin/api/tokens",
	"POST /admin/api/clients",
}

// allowed reports whether the hand-written matrix lets role call pattern.
func allowed(pattern string, role security.Role) bool {
	return slices.Contains(strings.Fields(wantStaffRoutes[pattern]), string(role))
}

// staffRoutes are the route table's staff routes whose path starts with
// prefix.
func staffRoutes(s *Server, prefix string) []route {
	var out []route
	for _, rt := range s.routeTable() {
		path := rt.pattern // the catch-alls have no method
		if _, p, ok := strings.Cut(rt.pattern, " "); ok {
			path = p
		}
		if rt.access == staff && strings.HasPrefix(path, prefix) {
			out = append(out, rt)
		}
	}
	return out
}

// TestStaffRoutesMatchTheMatrix holds the route table against the matrix
// both ways: every staff route is in it with the roles its permission
// allows, and every row of it is a staff route.
func TestStaffRoutesMatchTheMatrix(t *testing.T) {
	env := newTestServer(t)
	seen := map[string]bool{}
	for _, rt := range staffRoutes(env.srv, "/admin") {
		seen[rt.pattern] = true
		if _, ok := wantStaffRoutes[rt.pattern]; !ok {
			t.Errorf("%s (needs %s) is not in the matrix", rt.pattern, rt.perm)
			continue
		}
		for _, role := range security.Roles {
			if got, want := role.Can(rt.perm), allowed(rt.pattern, role); got != want {
				t.Errorf("%s as %s: table says %v (needs %s), matrix says %v", rt.pattern, role, got, rt.perm, want)
			}
		}
	}
	for p := range wantStaffRoutes {
		if !seen[p] {
			t.Errorf("%s is in the matrix but not a staff route of the table", p)
		}
	}
	for _, p := range dangerousRoutes {
		for _, role := range []security.Role{security.RoleAgent, security.RoleKBEditor, security.RoleAuditor} {
			if allowed(p, role) {
				t.Errorf("the matrix opens %s to %s", p, role)
			}
			for _, rt := range env.srv.routeTable() {
				if rt.pattern == p && (rt.access != staff || role.Can(rt.perm)) {
					t.Errorf("the table opens %s to %s", p, role)
				}
			}
		}
	}
}

// TestEveryAdminRouteForEveryRole signs in as each role and calls every
// staff route: what the matrix allows is anything but 403, what it denies
// is 403. Afterwards the owner still holds the role.
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
	routes := staffRoutes(env.srv, "/admin")
	if len(routes) != len(wantStaffRoutes) {
		t.Fatalf("%d staff routes, the matrix has %d (TestStaffRoutesMatchTheMatrix says which)", len(routes), len(wantStaffRoutes))
	}
	for _, role := range security.Roles {
		m := members[role]
		for _, rt := range routes {
			method, pattern, _ := strings.Cut(rt.pattern, " ")
			if pattern == "" { // the catch-all
				method, pattern = http.MethodGet, rt.pattern+"no-such-page"
			}
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
			want := allowed(rt.pattern, role)
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
				switch {
				case want && resp.status == http.StatusForbidden:
					t.Fatalf("the matrix allows it to %s, got 403", role)
				case want && strings.HasPrefix(resp.header.Get("Location"), "/admin/login") && !strings.Contains(rt.pattern, "revoke-all"):
					t.Fatalf("allowed but sent to sign-in")
				case !want && resp.status != http.StatusForbidden:
					t.Fatalf("the matrix denies it to %s, got %d", role, resp.status)
				}
			})
		}
	}
	if st, err := env.db.GetStaff(ctx, members[security.RoleOwner].st.ID); err != nil || st.Role != security.RoleOwner {
		t.Fatalf("the owner lost the role: %v %v", st.Role, err)
	}
	if st, err := env.db.GetStaff(ctx, target.ID); err != nil || st.Role != security.RoleAuditor || !st.Active() {
		t.Fatalf("the target changed: %+v %v", st, err)
	}
}

// TestAdminNavigationPerRole: each role sees the sections it may open, in
// order, and /admin sends it to the first.
func TestAdminNavigationPerRole(t *testing.T) {
	env := newTestServer(t)
	env.owner()
	want := map[security.Role][]string{
		security.RoleOwner:    {"tickets", "chats", "email", "dashboard", "kb", "replies", "staff", "audit", "security", "backups", "settings", "api"},
		security.RoleAdmin:    {"tickets", "chats", "email", "dashboard", "kb", "replies", "staff", "audit", "security", "backups", "settings", "api"},
		security.RoleAgent:    {"tickets", "chats", "email", "kb"},
		security.RoleKBEditor: {"kb", "replies"},
		security.RoleAuditor:  {"staff", "audit", "security", "settings"},
	}
	link := regexp.MustCompile(`href="/admin/([a-z]+)"`)
	for _, role := range security.Roles {
		c, _, _ := env.member(role, string(role)+"@nav.example")
		got := c.get("/admin/sessions")
		nav := regexpFind(t, `(?s)data-testid="admin-nav".*?</ul>`, got.body)
		var keys []string
		for _, m := range link.FindAllStringSubmatch(nav, -1) {
			keys = append(keys, m[1])
		}
		if !slices.Equal(keys, want[role]) {
			t.Errorf("%s sees %v, want %v", role, keys, want[role])
		}
		if home := c.get("/admin"); home.header.Get("Location") != "/admin/"+want[role][0] {
			t.Errorf("%s: /admin goes to %q, want /admin/%s", role, home.header.Get("Location"), want[role][0])
		}
	}
}

// unusedPermissions are permissions that no route or check uses yet, each
// with the reason it is still granted.
var unusedPermissions = map[string]string{}

// TestEveryPermissionIsChecked: every security.Perm* constant is needed by
// a route of the table or checked by web's code, except the listed ones,
// which must still be unused (so that the list shrinks when they are).
func TestEveryPermissionIsChecked(t *testing.T) {
	fset := token.NewFileSet()
	roles, err := parser.ParseFile(fset, filepath.Join("..", "security", "roles.go"), nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var perms []string
	ast.Inspect(roles, func(n ast.Node) bool {
		if v, ok := n.(*ast.ValueSpec); ok {
			for _, name := range v.Names {
				if strings.HasPrefix(name.Name, "Perm") {
					perms = append(perms, name.Name)
				}
			}
		}
		return true
	})
	if len(perms) < 10 {
		t.Fatalf("found only %v in security/roles.go", perms)
	}
	used := map[string]bool{}
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok {
				if x, ok := sel.X.(*ast.Ident); ok && x.Name == "security" {
					used[sel.Sel.Name] = true
				}
			}
			return true
		})
	}
	for _, p := range perms {
		_, excused := unusedPermissions[p]
		switch {
		case !used[p] && !excused:
			t.Errorf("security.%s is granted but no route or check in web uses it", p)
		case used[p] && excused:
			t.Errorf("security.%s is used now: take it off unusedPermissions", p)
		}
	}
}

func TestRolePermissionsAreLeastPrivilege(t *testing.T) {
	tests := []struct {
		role security.Role
		can  []security.Permission
		not  []security.Permission
	}{
		{security.RoleAgent, []security.Permission{security.PermTicketsWrite, security.PermCustomersRead},
			[]security.Permission{security.PermPIIReveal, security.PermStaffManage, security.PermKBWrite, security.PermAuditRead, security.PermSettingsManage,
				security.PermRepliesManage, security.PermDashboardRead}},
		{security.RoleKBEditor, []security.Permission{security.PermKBWrite, security.PermRepliesManage},
			[]security.Permission{security.PermTicketsRead, security.PermCustomersRead, security.PermStaffRead}},
		{security.RoleAuditor, []security.Permission{security.PermAuditRead, security.PermSecurityRead},
			[]security.Permission{security.PermTicketsWrite, security.PermKBWrite, security.PermStaffManage, security.PermSecurityManage, security.PermSettingsManage, security.PermPIIReveal,
				security.PermRepliesManage, security.PermDashboardRead}},
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
