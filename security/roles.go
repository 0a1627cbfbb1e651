package security

// Role is a staff member's role. Each role is a fixed set of permissions;
// anything not granted is denied.
type Role string

// The staff roles, from most to least powerful.
const (
	RoleOwner    Role = "owner"
	RoleAdmin    Role = "admin"
	RoleAgent    Role = "agent"
	RoleKBEditor Role = "kb_editor"
	RoleAuditor  Role = "auditor"
)

// Roles lists every role, most powerful first.
var Roles = []Role{RoleOwner, RoleAdmin, RoleAgent, RoleKBEditor, RoleAuditor}

// Permission is one thing a staff member may do.
type Permission string

// Permissions. Names follow resource:action; the API's token scopes use the
// same words where they overlap.
const (
	PermTicketsRead     Permission = "tickets:read"
	PermTicketsWrite    Permission = "tickets:write"
	PermCustomersRead   Permission = "customers:read"
	PermPIIReveal       Permission = "pii:reveal"
	PermCustomersErase  Permission = "customers:erase"
	PermCustomersExport Permission = "customers:export"
	PermChatsHandle     Permission = "chats:handle"
	PermKBRead          Permission = "kb:read"
	PermKBWrite         Permission = "kb:write"
	PermStaffRead       Permission = "staff:read"
	PermStaffManage     Permission = "staff:manage"
	PermOwnersManage    Permission = "owners:manage"
	PermSettingsRead    Permission = "settings:read"
	PermSettingsManage  Permission = "settings:manage"
	PermAuditRead       Permission = "audit:read"
	PermSecurityRead    Permission = "security:read"
	PermSecurityManage  Permission = "security:manage"
	PermBackupsManage   Permission = "backups:manage"
	PermTokensManage    Permission = "tokens:manage"
	PermReportsRead     Permission = "reports:read"
	// PermRepliesManage writes the team's saved replies: admins, and the
	// knowledge-base editors who write the team's other texts. Agents use
	// them (tickets:write) but do not change them.
	PermRepliesManage Permission = "replies:manage"
	// PermDashboardRead opens the team dashboard: each agent's figures are
	// for those who run the team (owners, admins), not for every agent.
	PermDashboardRead Permission = "dashboard:read"
	// PermSelf is held by every role: a staff member's own passkeys,
	// sessions and step-up.
	PermSelf Permission = "self"
)

var grants = func() map[Role]map[Permission]bool {
	set := func(ps ...Permission) map[Permission]bool {
		m := make(map[Permission]bool, len(ps))
		for _, p := range ps {
			m[p] = true
		}
		return m
	}
	agent := []Permission{PermSelf, PermTicketsRead, PermTicketsWrite, PermCustomersRead, PermChatsHandle, PermKBRead, PermReportsRead}
	admin := append(append([]Permission{}, agent...),
		PermPIIReveal, PermCustomersErase, PermCustomersExport, PermKBWrite, PermStaffRead, PermStaffManage,
		PermSettingsRead, PermSettingsManage, PermAuditRead, PermSecurityRead, PermSecurityManage,
		PermBackupsManage, PermTokensManage, PermRepliesManage, PermDashboardRead)
	return map[Role]map[Permission]bool{
		RoleOwner:    set(append(append([]Permission{}, admin...), PermOwnersManage)...),
		RoleAdmin:    set(admin...),
		RoleAgent:    set(agent...),
		RoleKBEditor: set(PermSelf, PermKBRead, PermKBWrite, PermRepliesManage),
		RoleAuditor:  set(PermSelf, PermAuditRead, PermSecurityRead, PermSettingsRead, PermStaffRead, PermReportsRead),
	}
}()

// Can reports whether role r holds permission p. Unknown roles and
// permissions are denied.
func (r Role) Can(p Permission) bool { return grants[r][p] }

// Valid reports whether r is a known role.
func (r Role) Valid() bool { _, ok := grants[r]; return ok }

// Label is the role's name for people.
func (r Role) Label() string {
	switch r {
	case RoleOwner:
		return "Owner"
	case RoleAdmin:
		return "Admin"
	case RoleAgent:
		return "Agent"
	case RoleKBEditor:
		return "Knowledge-base editor"
	case RoleAuditor:
		return "Auditor"
	}
	return string(r)
}
