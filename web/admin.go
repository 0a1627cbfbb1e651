package web

import (
	"net/http"

	"safedesk/store"
	"safedesk/templates"
	"safedesk/web/httpx"
)

// adminHome sends each role to the first page it can use.
func (s *Server) adminHome(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, s.homeFor(s.currentStaff(r).Role), http.StatusSeeOther)
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
	st := s.currentStaff(r)
	b := s.brandProps()
	p := templates.AdminPage{Title: title, Active: active, Staff: st, Nav: s.navFor(st.Role), Product: b.Name, Brand: b,
		FileLimit: store.FormatSize(s.cfg.Attachments.MaxSize)}
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
