package web

import (
	"context"
	"net/http"
	"strings"
	"unicode/utf8"

	"safedesk/security"
	"safedesk/store"
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
	s.renderSettings(w, r, http.StatusOK, settingsForm{banner: banner}, nil, nil)
}

// settingsForm is what the settings form edits: the announcement and the
// site's language ("" for the saved one); and the branding and privacy
// notice sections as typed, or nil for the saved ones.
type settingsForm struct {
	banner, kbLanguage string
	brand              *templates.AdminBrandForm
	notice             *templates.AdminNoticeForm
}

// renderSettings shows the settings page; due is the due-time section as
// typed, or nil for the saved targets (web/due.go).
func (s *Server) renderSettings(w http.ResponseWriter, r *http.Request, status int, f settingsForm, errs map[string]string, due *templates.AdminDueForm) {
	if f.kbLanguage == "" {
		lang, err := s.db.KBLanguage(r.Context())
		if err != nil {
			s.serveError(w, r, err)
			return
		}
		f.kbLanguage = lang
	}
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
	if f.brand == nil {
		b, err := s.brandForm(r)
		if err != nil {
			s.serveError(w, r, err)
			return
		}
		f.brand = &b
	}
	if f.notice == nil {
		n, err := s.noticeForm(r)
		if err != nil {
			s.serveError(w, r, err)
			return
		}
		f.notice = &n
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
		Banner: f.banner, KBLanguage: f.kbLanguage, Facts: s.configFacts(), Errors: errs,
		Privacy: privacy, Doctor: s.doctorReport(r.Context()), Due: *due, Mailbox: mailbox, Brand: *f.brand, Notice: *f.notice,
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
	f := settingsForm{banner: strings.TrimSpace(r.PostForm.Get("banner")), kbLanguage: r.PostForm.Get("kb_language")}
	errs := map[string]string{}
	if utf8.RuneCountInString(f.banner) > 300 {
		errs["banner"] = "Keep the announcement under 300 characters."
	}
	if r.PostForm.Has("kb_language") && !store.ValidLanguage(f.kbLanguage) {
		errs["kb_language"] = "Choose one of the languages offered."
	}
	if len(errs) > 0 {
		s.renderSettings(w, r, http.StatusUnprocessableEntity, f, errs, nil)
		return
	}
	if err := s.db.SetSetting(r.Context(), settingBanner, f.banner, s.staffActor(r)); err != nil {
		s.serveError(w, r, err)
		return
	}
	if err := s.setKBLanguage(r, f.kbLanguage); err != nil {
		s.serveError(w, r, err)
		return
	}
	s.banner.Store(&f.banner)
	s.kbCache.clear() // cached article pages carry the old banner
	s.flash(r, "Settings saved.")
	http.Redirect(w, r, "/admin/settings", http.StatusSeeOther)
}

// setKBLanguage changes the site's language if it is another; "" keeps it.
func (s *Server) setKBLanguage(r *http.Request, lang string) error {
	cur, err := s.db.KBLanguage(r.Context())
	if err != nil || lang == "" || cur == lang {
		return err
	}
	return s.db.SetKBLanguage(r.Context(), lang, s.staffActor(r))
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
