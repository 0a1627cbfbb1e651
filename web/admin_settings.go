package web

import (
	"context"
	"net/http"
	"strings"
	"unicode/utf8"

	"safedesk/security"
	"safedesk/templates"
)

// Settings keys.
const settingBanner = "portal_banner"

func (s *Server) adminSettings(w http.ResponseWriter, r *http.Request) {
	banner, err := s.db.GetSetting(r.Context(), settingBanner, "")
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	s.renderSettings(w, r, http.StatusOK, banner, nil, nil)
}

// renderSettings shows the settings page; due is the due-time section as
// typed, or nil for the saved targets (web/due.go).
func (s *Server) renderSettings(w http.ResponseWriter, r *http.Request, status int, banner string, errs map[string]string, due *templates.AdminDueForm) {
	privacy, err := s.adminPrivacy(r) // web/me_admin.go
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	mailbox, err := s.mailboxStatus(r.Context()) // web/admin_email.go
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	if due == nil {
		f, err := s.dueForm(r)
		if err != nil {
			s.serveError(w, r, err)
			return
		}
		due = &f
	}
	s.render(w, r, status, templates.AdminSettings(templates.AdminSettingsProps{
		AdminPage: s.adminPageProps(r, "Settings", "settings"), CanManage: s.currentStaff(r).Role.Can(security.PermSettingsManage),
		Banner: banner, Facts: s.configFacts(), Errors: errs,
		Privacy: privacy, Doctor: s.doctorReport(r.Context()), Due: *due, Mailbox: mailbox,
	}))
}

// configFacts lists the running configuration for the settings page.
func (s *Server) configFacts() []templates.Fact {
	relay := s.cfg.MailRelay
	if relay == "" {
		relay = "development mode: mail is written to the log, not sent"
	}
	return []templates.Fact{
		{Label: "Base URL", Value: s.cfg.BaseURL.String()},
		{Label: "Passkey relying party", Value: s.cfg.BaseURL.Hostname()},
		{Label: "Mail relay", Value: relay},
		{Label: "Staff idle timeout", Value: s.cfg.StaffIdle.String()},
		{Label: "Staff session lifetime", Value: s.cfg.StaffLifetime.String()},
		{Label: "Concurrent staff sessions", Value: s.cfg.StaffSessions},
		{Label: "Customer idle timeout", Value: s.cfg.CustomerIdle.String()},
		{Label: "Customer session lifetime", Value: s.cfg.CustomerLifetime.String()},
	}
}

func (s *Server) adminSettingsPost(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.serveError(w, r, formError(err))
		return
	}
	banner := strings.TrimSpace(r.PostForm.Get("banner"))
	if utf8.RuneCountInString(banner) > 300 {
		s.renderSettings(w, r, http.StatusUnprocessableEntity, banner, map[string]string{"banner": "Keep the announcement under 300 characters."}, nil)
		return
	}
	if err := s.db.SetSetting(r.Context(), settingBanner, banner, s.staffActor(r)); err != nil {
		s.serveError(w, r, err)
		return
	}
	s.banner.Store(&banner)
	s.kbCache.clear() // cached article pages carry the old banner
	s.flash(r, "Settings saved.")
	http.Redirect(w, r, "/admin/settings", http.StatusSeeOther)
}

// bannerText is the portal announcement, kept in memory: it is read on every
// page and changes only through adminSettingsPost.
func (s *Server) bannerText() string {
	if b := s.banner.Load(); b != nil {
		return *b
	}
	return ""
}

// loadBanner reads the announcement at start.
func (s *Server) loadBanner(ctx context.Context) error {
	b, err := s.db.GetSetting(ctx, settingBanner, "")
	if err != nil {
		return err
	}
	s.banner.Store(&b)
	return nil
}
