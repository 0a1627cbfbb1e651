package web

import (
	"net/http"

	"safedesk/security"
	"safedesk/templates"
	"safedesk/web/httpx"
)

// adminRoute is one route of the staff panel with the permission it needs.
// The table is the single place where access is decided; a test walks every
// entry for every role.
type adminRoute struct {
	pattern string
	perm    security.Permission
	h       http.HandlerFunc
	poll    bool // background request: not the person's activity
}

// adminTable lists every signed-in admin route. Sensitive actions are wrapped
// in requireStepUp inside the table, so their step-up is visible here too.
func (s *Server) adminTable() []adminRoute {
	t := append(s.coreAdminRoutes(), s.chatAdminRoutes()...)
	t = append(t, s.emailAdminRoutes()...)
	return append(t, s.apiAdminTable()...)
}

// coreAdminRoutes are the panel's own routes; other features add theirs in
// adminTable.
func (s *Server) coreAdminRoutes() []adminRoute {
	return []adminRoute{
		{pattern: "GET /admin", perm: security.PermSelf, h: s.adminHome},
		// Tickets.
		{pattern: "GET /admin/tickets", perm: security.PermTicketsRead, h: s.adminTicketList},
		{pattern: "GET /admin/live/queue", perm: security.PermTicketsRead, h: s.adminLiveQueue, poll: true},
		{pattern: "GET /admin/tickets/{id}", perm: security.PermTicketsRead, h: s.adminTicketView},
		{pattern: "POST /admin/tickets/{id}/reply", perm: security.PermTicketsWrite, h: s.adminTicketReplyPost},
		{pattern: "POST /admin/tickets/{id}/update", perm: security.PermTicketsWrite, h: s.adminTicketUpdatePost},
		// Customers.
		{pattern: "GET /admin/customers/{id}", perm: security.PermCustomersRead, h: s.adminCustomerView},
		{pattern: "POST /admin/customers/{id}/reveal", perm: security.PermPIIReveal, h: s.requireStepUp(s.adminCustomerRevealPost)},
		{pattern: "POST /admin/customers/{id}/erase", perm: security.PermCustomersErase, h: s.requireStepUp(s.adminCustomerErasePost)},
		// Knowledge base.
		{pattern: "GET /admin/kb", perm: security.PermKBRead, h: s.adminKBList},
		{pattern: "GET /admin/kb/new", perm: security.PermKBWrite, h: s.adminKBNew},
		{pattern: "POST /admin/kb/new", perm: security.PermKBWrite, h: s.adminKBSavePost},
		{pattern: "GET /admin/kb/{slug}/edit", perm: security.PermKBWrite, h: s.adminKBEdit},
		{pattern: "POST /admin/kb/{slug}/edit", perm: security.PermKBWrite, h: s.adminKBSavePost},
		{pattern: "POST /admin/kb/{slug}/delete", perm: security.PermKBWrite, h: s.adminKBDeletePost},
		{pattern: "POST /admin/kb/preview", perm: security.PermKBWrite, h: s.adminKBPreviewPost},
		// Staff.
		{pattern: "GET /admin/staff", perm: security.PermStaffRead, h: s.adminStaffList},
		{pattern: "POST /admin/staff/invite", perm: security.PermStaffManage, h: s.requireStepUp(s.adminStaffInvitePost)},
		{pattern: "POST /admin/staff/{id}/role", perm: security.PermStaffManage, h: s.requireStepUp(s.adminStaffRolePost)},
		{pattern: "POST /admin/staff/{id}/disable", perm: security.PermStaffManage, h: s.requireStepUp(s.adminStaffDisablePost)},
		{pattern: "POST /admin/staff/{id}/enable", perm: security.PermStaffManage, h: s.requireStepUp(s.adminStaffEnablePost)},
		// The signed-in person's own passkeys and sessions: every role.
		{pattern: "GET /admin/sessions", perm: security.PermSelf, h: s.adminSessions},
		{pattern: "POST /admin/sessions/{hash}/revoke", perm: security.PermSelf, h: s.adminSessionRevokePost},
		{pattern: "POST /admin/sessions/revoke-all", perm: security.PermSelf, h: s.adminSessionRevokeAllPost},
		{pattern: "POST /admin/passkeys/begin", perm: security.PermSelf, h: s.requireStepUpJSON(s.passkeyAddBegin)},
		{pattern: "POST /admin/passkeys/finish", perm: security.PermSelf, h: s.passkeyAddFinish},
		{pattern: "POST /admin/passkeys/{id}/rename", perm: security.PermSelf, h: s.adminPasskeyRenamePost},
		{pattern: "POST /admin/passkeys/{id}/remove", perm: security.PermSelf, h: s.requireStepUp(s.adminPasskeyRemovePost)},
		{pattern: "POST /admin/stepup/begin", perm: security.PermSelf, h: s.stepUpBegin},
		{pattern: "POST /admin/stepup/finish", perm: security.PermSelf, h: s.stepUpFinish},
		// Audit log and security dashboard: auditors read, admins and
		// owners lift blocks; the CSV export is an export, so it needs a
		// fresh passkey.
		{pattern: "GET /admin/audit", perm: security.PermAuditRead, h: s.adminAudit},
		{pattern: "POST /admin/audit/export", perm: security.PermAuditRead, h: s.requireStepUp(s.adminAuditExportPost)},
		{pattern: "GET /admin/security", perm: security.PermSecurityRead, h: s.adminSecurity},
		{pattern: "GET /admin/security/live", perm: security.PermSecurityRead, h: s.adminSecurityLive, poll: true},
		{pattern: "POST /admin/security/verify", perm: security.PermSecurityRead, h: s.adminSecurityVerifyPost},
		{pattern: "POST /admin/security/blocks/lift", perm: security.PermSecurityManage, h: s.adminSecurityLiftPost},
		// Settings.
		{pattern: "GET /admin/settings", perm: security.PermSettingsRead, h: s.adminSettings},
		{pattern: "POST /admin/settings", perm: security.PermSettingsManage, h: s.requireStepUp(s.adminSettingsPost)},
		{pattern: "POST /admin/settings/privacy", perm: security.PermOwnersManage, h: s.requireStepUp(s.adminPrivacyPost)},
		// Backups: download and restore need a fresh passkey.
		{pattern: "GET /admin/backups", perm: security.PermBackupsManage, h: s.adminBackups},
		{pattern: "GET /admin/backups/status", perm: security.PermBackupsManage, h: s.adminBackupStatus, poll: true},
		{pattern: "POST /admin/backups/run", perm: security.PermBackupsManage, h: s.adminBackupRunPost},
		{pattern: "POST /admin/backups/download", perm: security.PermBackupsManage, h: s.requireStepUp(s.adminBackupDownloadPost)},
		{pattern: "POST /admin/backups/restore", perm: security.PermBackupsManage, h: s.requireStepUp(s.adminBackupRestorePost)},
	}
}

// adminRoutes registers the staff panel: sign-in and enrolment (no staff
// session needed) and the table above.
func (s *Server) adminRoutes(mux *http.ServeMux) {
	public := func(h http.HandlerFunc) http.Handler { return s.staff.LoadAndSave(h) }
	mux.Handle("GET /admin/login", public(s.adminLogin))
	mux.Handle("POST /admin/login/begin", public(s.adminLoginBegin))
	mux.Handle("POST /admin/login/finish", public(s.adminLoginFinish))
	mux.Handle("POST /admin/logout", public(s.adminLogout))
	mux.Handle("GET /admin/setup", public(s.enrolPage))
	mux.Handle("POST /admin/setup/begin", public(s.enrolBegin))
	mux.Handle("POST /admin/setup/finish", public(s.enrolFinish))
	mux.Handle("GET /admin/invite/{token}", public(s.enrolPage))
	mux.Handle("POST /admin/invite/{token}/begin", public(s.enrolBegin))
	mux.Handle("POST /admin/invite/{token}/finish", public(s.enrolFinish))
	for _, rt := range s.adminTable() {
		if rt.poll {
			mux.Handle(rt.pattern, s.adminPoll(rt.perm, rt.h))
		} else {
			mux.Handle(rt.pattern, s.adminPage(rt.perm, rt.h))
		}
	}
	mux.Handle("/admin/", s.adminPage(security.PermSelf, s.notFound))
}

// adminHome sends each role to the first page it can use.
func (s *Server) adminHome(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, templates.HomeFor(s.currentStaff(r).Role), http.StatusSeeOther)
}

// requireStepUpJSON is requireStepUp for the passkey script's JSON calls:
// it answers 401 with a message the script turns into a step-up.
func (s *Server) requireStepUpJSON(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !s.stepUpFresh(r) {
			httpx.WriteJSON(w, http.StatusUnauthorized, map[string]any{"error": "Confirm it's you first.", "stepup": true})
			return
		}
		h(w, r)
	}
}

// adminPageProps fills the admin layout's props.
func (s *Server) adminPageProps(r *http.Request, title, active string) templates.AdminPage {
	p := templates.AdminPage{Title: title, Active: active, Staff: s.currentStaff(r), Product: s.cfg.Product}
	if info(r).staff != nil {
		p.Notice = s.staff.PopString(r.Context(), sessAdminNotice)
	}
	return p
}

// flash shows msg on the next admin page.
func (s *Server) flash(r *http.Request, msg string) {
	s.staff.Put(r.Context(), sessAdminNotice, msg)
}

// adminLiveQueue answers the queue badge's polling with the number of open
// tickets. It is a poll route: it never keeps an idle session alive.
func (s *Server) adminLiveQueue(w http.ResponseWriter, r *http.Request) {
	n, err := s.db.CountOpenTickets(r.Context())
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, templates.QueueBadge(n))
}
