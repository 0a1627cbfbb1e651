package security

import "testing"

func TestUnknownRolesAndPermissionsAreDenied(t *testing.T) {
	for _, r := range Roles {
		if r.Can(Permission("made:up")) {
			t.Errorf("%s holds an unknown permission", r)
		}
		if !r.Valid() || !r.Can(PermSelf) {
			t.Errorf("%s: valid=%v self=%v", r, r.Valid(), r.Can(PermSelf))
		}
	}
	if Role("").Can(PermSelf) || Role("root").Valid() {
		t.Error("an unknown role is allowed")
	}
	if Role("superuser").Valid() {
		t.Error("an unknown role is valid")
	}
}

// BenchmarkRoleCan is the permission check every admin request makes.
func BenchmarkRoleCan(b *testing.B) {
	b.ReportAllocs()
	roles := []Role{RoleAgent, RoleAuditor, RoleOwner}
	perms := []Permission{PermTicketsWrite, PermStaffManage, PermAuditRead}
	n := 0
	for i := 0; b.Loop(); i++ {
		if roles[i%3].Can(perms[i%3]) {
			n++
		}
	}
	_ = n
}
