package web

import (
	"net/http"
	"strings"

	"safedesk/security"
	"safedesk/static"
	"safedesk/store"
	"safedesk/templates"
)

// access is who may call a route, and so the middleware around it.
type access int

const (
	open      access = iota // no session: health checks, static files
	portal                  // anyone, with the customer session
	verified                // a customer who proved their address (requireCustomer)
	staffGate               // the staff session cookie without a signed-in member: sign-in, enrolment
	staff                   // a signed-in staff member whose role holds perm (adminPage)
	apiToken                // the public API: a bearer token holding scope, checked by web/api
)

// route is one row of the route table: a method and pattern as
// http.ServeMux takes them, its handler, and who may call it.
type route struct {
	pattern string
	access  access
	perm    security.Permission // staff: the permission the role must hold
	scope   string              // apiToken: the scope the token must hold; "" for a public API route
	h       http.Handler
	poll    bool   // staff: a background request, not the person's activity
	nav     string // staff: the route's label in the admin navigation; "" for none
	files   bool   // takes files (multipart, field "attachments"): a larger body limit (web/upload.go)
	packed  bool   // a public page every visitor gets: its HTML may be compressed (web/compress.go)
}

// visitor is a route that anyone may call; signIn one on the staff session
// cookie alone; customer one for a verified customer.
func visitor(p string, h http.HandlerFunc) route  { return route{pattern: p, access: portal, h: h} }
func signIn(p string, h http.HandlerFunc) route   { return route{pattern: p, access: staffGate, h: h} }
func customer(p string, h http.HandlerFunc) route { return route{pattern: p, access: verified, h: h} }

// admin is a staff route that needs perm.
func admin(p string, perm security.Permission, h http.HandlerFunc) route {
	return route{pattern: p, access: staff, perm: perm, h: h}
}

// polled marks a staff route as a background request.
func (rt route) polled() route { rt.poll = true; return rt }

// withFiles marks a route that takes files.
func (rt route) withFiles() route { rt.files = true; return rt }

// compressed marks a public page whose HTML may be compressed: one that
// holds nothing of the visitor and no token (BREACH; web/compress.go).
func (rt route) compressed() route { rt.packed = true; return rt }

// inNav puts a staff route into the admin navigation under label.
func (rt route) inNav(label string) route { rt.nav = label; return rt }

// routeTable is every route of the site: the only place that maps a path
// to a handler and to who may call it. The admin navigation is the staff
// routes with a label (adminNav); the API's own table (api.Routes) must
// equal the API rows below, which TestRouteTableListsTheAPI holds together.
// Sensitive staff actions are wrapped in requireStepUp here, so that their
// step-up is visible too.
func (s *Server) routeTable() []route {
	const (
		pSelf        = security.PermSelf
		pTicketsR    = security.PermTicketsRead
		pTicketsW    = security.PermTicketsWrite
		pCustomersR  = security.PermCustomersRead
		pChats       = security.PermChatsHandle
		pKBRead      = security.PermKBRead
		pKBWrite     = security.PermKBWrite
		pStaffRead   = security.PermStaffRead
		pStaffManage = security.PermStaffManage
		pAudit       = security.PermAuditRead
		pSecurityR   = security.PermSecurityRead
		pSecurityM   = security.PermSecurityManage
		pSettingsR   = security.PermSettingsRead
		pSettingsM   = security.PermSettingsManage
		pBackups     = security.PermBackupsManage
		pTokens      = security.PermTokensManage
		pReplies     = security.PermRepliesManage
	)
	step := s.requireStepUp
	return []route{
		// Health: no session, no logging noise.
		{pattern: "GET /healthz", access: open, h: http.HandlerFunc(s.healthz)},
		{pattern: "GET /readyz", access: open, h: http.HandlerFunc(s.readyz)},
		// Static assets, embedded into the binary.
		{pattern: "GET /static/", access: open, h: http.StripPrefix("/static/", static.Assets().Handler())},
		// The branding (web/brand.go) and what search engines read
		// (web/portal_kb.go): no session, the same for everyone.
		route{pattern: "GET /brand.css", access: open, h: http.HandlerFunc(s.brandStylesheet)}.compressed(),
		{pattern: "GET /favicon.ico", access: open, h: http.HandlerFunc(s.favicon)},
		{pattern: "GET /brand/logo.png", access: open, h: http.HandlerFunc(s.brandLogo)},
		{pattern: "GET /robots.txt", access: open, h: http.HandlerFunc(s.robots)},
		route{pattern: "GET /sitemap.xml", access: open, h: http.HandlerFunc(s.sitemap)}.compressed(),

		// Portal: public pages. Those marked compressed are compressed for a
		// visitor without a session (web/compress.go).
		visitor("GET /{$}", s.home).compressed(),
		visitor("GET /kb", s.kbList).compressed(),
		visitor("GET /kb/search", s.kbSearch).compressed(),
		visitor("GET /kb/category/{slug}", s.kbCategory).compressed(),
		visitor("GET /kb/{slug}", s.kbArticle).compressed(),
		visitor("POST /kb/{slug}/feedback", s.kbFeedbackPost),
		visitor("GET /privacy", s.privacy).compressed(),
		visitor("GET /security", s.securityPage).compressed(),
		visitor("POST /language", s.languagePost),
		// Portal: tickets and verification.
		visitor("GET /tickets/new", s.ticketNew),
		visitor("POST /tickets/new", s.ticketCreatePost).withFiles(),
		visitor("GET /verify", s.verify),
		visitor("POST /verify", s.verifyPost),
		visitor("POST /verify/signout", s.signoutPost),
		// Portal: a verified customer's own tickets, and their rights over
		// their data: a copy of everything held about them, and erasure
		// (web/me.go).
		customer("GET /tickets", s.ticketList),
		customer("GET /tickets/{id}", s.ticketView),
		customer("POST /tickets/{id}/reply", s.ticketReplyPost).withFiles(),
		customer("GET /tickets/{id}/attachments/{aid}", s.ticketAttachment),
		customer("GET /tickets/{id}/attachments/{aid}/preview", s.ticketAttachmentPreview),
		customer("GET /me/export", s.meExport),
		customer("GET /me/delete", s.meDelete),
		customer("POST /me/delete", s.meDeletePost),
		// The devices the customer stays signed in on (web/devices.go).
		customer("GET /me/devices", s.meDevices),
		customer("POST /me/devices/{id}/revoke", s.meDeviceRevokePost),
		// Chat, the visitor's side (web/chat*.go).
		visitor("GET /chat", s.chatPage),
		visitor("POST /chat/consent", s.chatConsentPost),
		visitor("POST /chat/messages", s.chatMessagePost),
		visitor("POST /chat/handoff", s.chatHandoffPost),
		visitor("POST /chat/restart", s.chatRestartPost),
		visitor("GET /chat/poll", s.chatPoll),
		visitor("POST /chat/feedback", s.chatFeedbackPost),
		// Anything else is the portal's 404 page.
		visitor("/", s.notFound),

		// Staff sign-in, sign-out and enrolment: no staff member yet.
		signIn("GET /admin/login", s.adminLogin),
		signIn("POST /admin/login/begin", s.adminLoginBegin),
		signIn("POST /admin/login/finish", s.adminLoginFinish),
		signIn("POST /admin/logout", s.adminLogout),
		signIn("GET /admin/setup", s.enrolPage),
		signIn("POST /admin/setup/begin", s.enrolBegin),
		signIn("POST /admin/setup/finish", s.enrolFinish),
		signIn("GET /admin/invite/{token}", s.enrolPage),
		signIn("POST /admin/invite/{token}/begin", s.enrolBegin),
		signIn("POST /admin/invite/{token}/finish", s.enrolFinish),

		// Staff panel, in the order of its navigation. Each role opens the
		// first section it may use.
		admin("GET /admin", pSelf, s.adminHome),
		// Tickets and customers.
		admin("GET /admin/tickets", pTicketsR, s.adminTicketList).inNav("Tickets"),
		admin("GET /admin/live/queue", pTicketsR, s.adminLiveQueue).polled(),
		admin("POST /admin/tickets/tags", pTicketsW, s.adminTicketTagsBulkPost),
		admin("GET /admin/tickets/{id}", pTicketsR, s.adminTicketView),
		admin("GET /admin/tickets/{id}/presence", pTicketsR, s.adminTicketPresence).polled(),
		admin("GET /admin/tickets/{id}/replies/{rid}", pTicketsW, s.adminTicketReplyFill),
		admin("POST /admin/tickets/{id}/tags", pTicketsW, s.adminTicketTagsPost),
		admin("POST /admin/tickets/{id}/reply", pTicketsW, s.adminTicketReplyPost).withFiles(),
		admin("POST /admin/tickets/{id}/update", pTicketsW, s.adminTicketUpdatePost),
		admin("POST /admin/tickets/{id}/confirm", pTicketsW, s.adminTicketConfirmPost),
		admin("POST /admin/tickets/{id}/language", pTicketsW, s.adminTicketLanguagePost),
		// Files on tickets: every download and thumbnail is audited.
		admin("GET /admin/tickets/{id}/attachments/{aid}", pTicketsR, s.adminAttachment),
		admin("GET /admin/tickets/{id}/attachments/{aid}/preview", pTicketsR, s.adminAttachmentPreview),
		admin("POST /admin/tickets/{id}/attachments/{aid}/delete", pTicketsW, s.adminAttachmentDeletePost),
		admin("GET /admin/customers/{id}", pCustomersR, s.adminCustomerView),
		admin("POST /admin/customers/{id}/reveal", security.PermPIIReveal, step(s.adminCustomerRevealPost)),
		admin("POST /admin/customers/{id}/erase", security.PermCustomersErase, step(s.adminCustomerErasePost)),
		admin("POST /admin/customers/{id}/export", security.PermCustomersExport, step(s.adminCustomerExportPost)),
		admin("POST /admin/customers/{id}/devices/revoke", pTicketsW, s.adminCustomerDevicesRevokePost),
		// Chats: the queue, live take-over, and the insight report.
		admin("GET /admin/chats", pChats, s.adminChatList).inNav("Chats"),
		admin("GET /admin/chats/insight", security.PermReportsRead, s.adminChatInsight),
		admin("GET /admin/chats/{id}", pChats, s.adminChatView),
		admin("GET /admin/chats/{id}/poll", pChats, s.adminChatPoll).polled(),
		admin("POST /admin/chats/{id}/take", pChats, s.adminChatTakePost),
		admin("POST /admin/chats/{id}/messages", pChats, s.adminChatReplyPost),
		admin("POST /admin/chats/{id}/close", pChats, s.adminChatClosePost),
		// Email: the held replies of every ticket and the mailbox
		// (web/admin_email.go). A message's headers hold addresses: seeing
		// them is revealing a customer.
		admin("GET /admin/email", pTicketsR, s.adminEmail).inNav("Email"),
		admin("POST /admin/email/quarantine/{id}/accept", pTicketsW, s.adminQuarantineAcceptPost),
		admin("POST /admin/email/quarantine/{id}/dismiss", pTicketsW, s.adminQuarantineDismissPost),
		admin("POST /admin/tickets/{id}/headers/{mid}", security.PermPIIReveal, step(s.adminEmailHeadersPost)),
		// The team dashboard: volume, response times, backlog, per agent.
		admin("GET /admin/dashboard", security.PermDashboardRead, s.adminDashboard).inNav("Dashboard"),
		// Knowledge base.
		admin("GET /admin/kb", pKBRead, s.adminKBList).inNav("Knowledge base"),
		admin("GET /admin/kb/new", pKBWrite, s.adminKBNew),
		admin("POST /admin/kb/new", pKBWrite, s.adminKBSavePost),
		admin("GET /admin/kb/{slug}/edit", pKBWrite, s.adminKBEdit),
		admin("POST /admin/kb/{slug}/edit", pKBWrite, s.adminKBSavePost),
		admin("POST /admin/kb/{slug}/delete", pKBWrite, s.adminKBDeletePost),
		admin("POST /admin/kb/preview", pKBWrite, s.adminKBPreviewPost),
		// Example questions of an article's sections (web/admin_kb_examples.go).
		admin("POST /admin/kb/{slug}/examples", pKBWrite, s.adminKBExampleAddPost),
		admin("POST /admin/kb/{slug}/examples/{id}/delete", pKBWrite, s.adminKBExampleDeletePost),
		admin("POST /admin/kb/examples", pKBWrite, s.adminKBExampleFromChatPost),
		// Categories of the knowledge base (web/admin_kb_categories.go).
		admin("GET /admin/kb/categories", pKBRead, s.adminKBCategories),
		admin("POST /admin/kb/categories", pKBWrite, s.adminKBCategorySavePost),
		admin("POST /admin/kb/categories/{id}/save", pKBWrite, s.adminKBCategorySavePost),
		admin("POST /admin/kb/categories/{id}/delete", pKBWrite, s.adminKBCategoryDeletePost),
		// Saved replies: written by admins and knowledge-base editors, used by
		// agents through the ticket page's picker.
		admin("GET /admin/replies", pReplies, s.adminReplyList).inNav("Saved replies"),
		admin("GET /admin/replies/new", pReplies, s.adminReplyNew),
		admin("POST /admin/replies/new", pReplies, s.adminReplySavePost),
		admin("GET /admin/replies/{id}/edit", pReplies, s.adminReplyEdit),
		admin("POST /admin/replies/{id}/edit", pReplies, s.adminReplySavePost),
		admin("POST /admin/replies/{id}/delete", pReplies, s.adminReplyDeletePost),
		// Staff.
		admin("GET /admin/staff", pStaffRead, s.adminStaffList).inNav("Staff"),
		admin("POST /admin/staff/invite", pStaffManage, step(s.adminStaffInvitePost)),
		admin("POST /admin/staff/invites/{id}/revoke", pStaffManage, step(s.adminStaffInviteRevokePost)),
		admin("POST /admin/staff/{id}/role", pStaffManage, step(s.adminStaffRolePost)),
		admin("POST /admin/staff/{id}/disable", pStaffManage, step(s.adminStaffDisablePost)),
		admin("POST /admin/staff/{id}/enable", pStaffManage, step(s.adminStaffEnablePost)),
		// Audit log and security dashboard: auditors read, admins and
		// owners lift blocks; the CSV export is an export, so it needs a
		// fresh passkey.
		admin("GET /admin/audit", pAudit, s.adminAudit).inNav("Audit"),
		admin("POST /admin/audit/export", pAudit, step(s.adminAuditExportPost)),
		admin("GET /admin/security", pSecurityR, s.adminSecurity).inNav("Security"),
		admin("GET /admin/security/live", pSecurityR, s.adminSecurityLive).polled(),
		admin("POST /admin/security/verify", pSecurityR, s.adminSecurityVerifyPost),
		admin("POST /admin/security/blocks/lift", pSecurityM, s.adminSecurityLiftPost),
		// Backups: download and restore need a fresh passkey.
		admin("GET /admin/backups", pBackups, s.adminBackups).inNav("Backups"),
		admin("GET /admin/backups/status", pBackups, s.adminBackupStatus).polled(),
		admin("POST /admin/backups/run", pBackups, s.adminBackupRunPost),
		admin("POST /admin/backups/download", pBackups, step(s.adminBackupDownloadPost)),
		admin("POST /admin/backups/restore", pBackups, step(s.adminBackupRestorePost)),
		// Settings.
		admin("GET /admin/settings", pSettingsR, s.adminSettings).inNav("Settings"),
		admin("POST /admin/settings", pSettingsM, step(s.adminSettingsPost)),
		admin("POST /admin/settings/privacy", security.PermOwnersManage, step(s.adminPrivacyPost)),
		admin("POST /admin/settings/due", pSettingsM, step(s.adminDueTargetsPost)),
		// Branding (web/admin_brand.go) and the owner's part of the privacy
		// notice (web/privacy_notice.go).
		admin("POST /admin/settings/brand", pSettingsM, step(s.adminBrandPost)),
		admin("POST /admin/settings/logo", pSettingsM, step(s.adminLogoPost)).withFiles(),
		admin("POST /admin/settings/logo/remove", pSettingsM, step(s.adminLogoRemovePost)),
		admin("POST /admin/settings/privacy-notice", security.PermOwnersManage, step(s.adminPrivacyNoticePost)),
		// API tokens, OAuth2 clients and webhooks: every page needs a fresh
		// passkey, since it shows what reaches the data from outside.
		admin("GET /admin/api", pTokens, step(s.adminAPI)).inNav("API"),
		admin("POST /admin/api/tokens", pTokens, step(s.adminTokenCreatePost)),
		admin("POST /admin/api/tokens/{id}/revoke", pTokens, step(s.adminTokenRevokePost)),
		admin("POST /admin/api/clients", pTokens, step(s.adminClientCreatePost)),
		admin("POST /admin/api/clients/{id}/revoke", pTokens, step(s.adminClientRevokePost)),
		admin("GET /admin/api/webhooks/{id}", pTokens, step(s.adminWebhookLog)),
		admin("POST /admin/api/webhooks/{id}/enable", pTokens, step(s.adminWebhookEnablePost)),
		admin("POST /admin/api/webhooks/{id}/disable", pTokens, step(s.adminWebhookDisablePost)),
		// The signed-in person's own notifications and availability for
		// chats (web/workday.go): every role.
		admin("GET /admin/me/notifications", pSelf, s.adminMyNotifications),
		admin("POST /admin/me/notifications", pSelf, s.adminMyNotificationsPost),
		admin("POST /admin/me/available", pSelf, s.adminAvailablePost),
		// The signed-in person's own passkeys and sessions: every role.
		admin("GET /admin/sessions", pSelf, s.adminSessions),
		admin("POST /admin/sessions/{hash}/revoke", pSelf, s.adminSessionRevokePost),
		admin("POST /admin/sessions/revoke-all", pSelf, s.adminSessionRevokeAllPost),
		admin("POST /admin/passkeys/begin", pSelf, s.requireStepUpJSON(s.passkeyAddBegin)),
		admin("POST /admin/passkeys/finish", pSelf, s.passkeyAddFinish),
		admin("POST /admin/passkeys/{id}/rename", pSelf, s.adminPasskeyRenamePost),
		admin("POST /admin/passkeys/{id}/remove", pSelf, step(s.adminPasskeyRemovePost)),
		admin("POST /admin/stepup/begin", pSelf, s.stepUpBegin),
		admin("POST /admin/stepup/finish", pSelf, s.stepUpFinish),
		// Anything else under /admin/ is the panel's 404 page.
		admin("/admin/", pSelf, s.notFound),

		// The public API (web/api): JSON, no session cookie; each route
		// needs a bearer token holding its scope. The handler checks it.
		s.apiRoute("GET /api/v1/tickets", store.ScopeTicketsRead),
		s.apiRoute("POST /api/v1/tickets", store.ScopeTicketsWrite),
		s.apiRoute("GET /api/v1/tickets/{id}", store.ScopeTicketsRead),
		s.apiRoute("PATCH /api/v1/tickets/{id}", store.ScopeTicketsWrite),
		s.apiRoute("POST /api/v1/tickets/{id}/messages", store.ScopeTicketsWrite).withFiles(),
		s.apiRoute("GET /api/v1/tickets/{id}/attachments/{aid}", store.ScopeTicketsRead),
		s.apiRoute("GET /api/v1/customers/{id}", store.ScopeCustomersRead),
		s.apiRoute("GET /api/v1/customers/{id}/export", store.ScopeCustomersRead),
		s.apiRoute("DELETE /api/v1/customers/{id}", store.ScopeCustomersErase),
		s.apiRoute("GET /api/v1/kb/articles", store.ScopeKBRead),
		s.apiRoute("POST /api/v1/kb/articles", store.ScopeKBWrite),
		s.apiRoute("GET /api/v1/kb/articles/{slug}", store.ScopeKBRead),
		s.apiRoute("PUT /api/v1/kb/articles/{slug}", store.ScopeKBWrite),
		s.apiRoute("DELETE /api/v1/kb/articles/{slug}", store.ScopeKBWrite),
		s.apiRoute("GET /api/v1/kb/articles/{slug}/examples", store.ScopeKBRead),
		s.apiRoute("POST /api/v1/kb/articles/{slug}/examples", store.ScopeKBWrite),
		s.apiRoute("DELETE /api/v1/kb/articles/{slug}/examples/{id}", store.ScopeKBWrite),
		s.apiRoute("GET /api/v1/audit", store.ScopeAuditRead),
		s.apiRoute("GET /api/v1/security/events", store.ScopeSecurityRead),
		s.apiRoute("GET /api/v1/webhooks", store.ScopeWebhooksWrite),
		s.apiRoute("POST /api/v1/webhooks", store.ScopeWebhooksWrite),
		s.apiRoute("GET /api/v1/webhooks/{id}", store.ScopeWebhooksWrite),
		s.apiRoute("PATCH /api/v1/webhooks/{id}", store.ScopeWebhooksWrite),
		s.apiRoute("DELETE /api/v1/webhooks/{id}", store.ScopeWebhooksWrite),
		s.apiRoute("GET /api/v1/webhooks/{id}/deliveries", store.ScopeWebhooksWrite),
		// Public: the OpenAPI document and the OAuth2 token endpoint.
		s.apiRoute("GET /api/v1/openapi.json", ""),
		s.apiRoute("POST /oauth/token", ""),
		// Anything else under these two prefixes: 404 or 405 in JSON,
		// never the portal's HTML page.
		s.apiRoute("/api/", ""),
		s.apiRoute("/oauth/", ""),
	}
}

// apiRoute is a route of the public API, served by its handler.
func (s *Server) apiRoute(p, scope string) route {
	return route{pattern: p, access: apiToken, scope: scope, h: s.api}
}

// routes registers the route table, each route behind the middleware its
// access needs, and wraps the mux in the middleware every request passes.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	s.uploads = http.NewServeMux() // the routes that take files, for limitBody
	for _, rt := range s.routeTable() {
		mux.Handle(rt.pattern, s.guard(rt))
		if rt.files {
			s.uploads.Handle(rt.pattern, http.NotFoundHandler())
		}
	}
	return s.chain(mux,
		s.requestID,  // first, so that even a panic's error page names the request
		s.withLocale, // the panel's English and the business's zone; portal routes speak the visitor's language
		s.recoverPanics,
		s.logRequests,
		s.realClientIP,
		s.securityHeaders,
		s.limitBody,
		s.abuseCheck, // needs the client address; see web/abuse.go
		s.crossOrigin,
	)
}

// guard puts rt's handler behind the session and permission checks of its
// access.
func (s *Server) guard(rt route) http.Handler {
	switch rt.access {
	case portal:
		if rt.packed {
			return s.compressPublic(s.withLanguage(s.withCustomer(rt.h)))
		}
		return s.withLanguage(s.withCustomer(rt.h))
	case verified:
		return s.withLanguage(s.withCustomer(s.requireCustomer(rt.h.ServeHTTP)))
	case staffGate:
		return s.staff.LoadAndSave(rt.h)
	case staff:
		if rt.poll {
			return s.adminPoll(rt.perm, rt.h.ServeHTTP)
		}
		return s.adminPage(rt.perm, rt.h.ServeHTTP)
	}
	if rt.packed {
		return s.compressPublic(rt.h) // open: no session at all
	}
	return rt.h // open, and the API, which checks its tokens itself
}

// adminNav is the admin navigation: the labelled staff routes, in the
// table's order, with the permission each needs.
func (s *Server) adminNav() []route {
	var nav []route
	for _, rt := range s.routeTable() {
		if rt.nav != "" {
			nav = append(nav, rt)
		}
	}
	return nav
}

// navFor is the navigation a role may use.
func (s *Server) navFor(role security.Role) []templates.NavItem {
	var out []templates.NavItem
	for _, rt := range s.nav {
		if role.Can(rt.perm) {
			_, href, _ := strings.Cut(rt.pattern, " ")
			out = append(out, templates.NavItem{Key: strings.TrimPrefix(href, "/admin/"), Label: rt.nav, Href: href})
		}
	}
	return out
}

// homeFor is the first section a role may open: its first navigation
// entry, or its own sessions page for a role with none.
func (s *Server) homeFor(role security.Role) string {
	if nav := s.navFor(role); len(nav) > 0 {
		return nav[0].Href
	}
	return "/admin/sessions"
}

// chain wraps h in middleware, the first listed outermost.
func (s *Server) chain(h http.Handler, mw ...func(http.Handler) http.Handler) http.Handler {
	for i := len(mw) - 1; i >= 0; i-- {
		h = mw[i](h)
	}
	return h
}
