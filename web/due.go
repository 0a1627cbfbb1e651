package web

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"safedesk/store"
	"safedesk/templates"
)

// Due times: the targets per priority are a section of the settings page;
// the store computes each ticket's due time (store/due.go) in the business
// hours of --business-hours.

// dueForm is the settings section with the saved targets.
func (s *Server) dueForm(r *http.Request) (templates.AdminDueForm, error) {
	targets, err := s.db.GetDueTargets(r.Context())
	if err != nil {
		return templates.AdminDueForm{}, err
	}
	f := s.emptyDueForm()
	for i, row := range f.Rows {
		t := targets[row.Priority]
		f.Rows[i].FirstResponse, f.Rows[i].Resolution = store.FormatTarget(t.FirstResponse), store.FormatTarget(t.Resolution)
	}
	return f, nil
}

// emptyDueForm is the section with a row per priority and nothing in it.
func (s *Server) emptyDueForm() templates.AdminDueForm {
	f := templates.AdminDueForm{Hours: s.chat.hours.String()}
	for _, p := range store.TicketPriorities {
		f.Rows = append(f.Rows, templates.DueRow{Priority: p})
	}
	return f
}

// adminDueTargetsPost saves the targets (after a passkey step-up, like all
// settings) and recomputes every open ticket's due time. Nonsense, such as
// a resolution target shorter than the first-response one, comes back with
// what was typed.
func (s *Server) adminDueTargetsPost(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.serveError(w, r, formError(err))
		return
	}
	f := s.emptyDueForm()
	f.Errors = map[string]string{}
	targets := store.DueTargets{}
	parse := func(field string, text *string) time.Duration {
		*text = r.PostForm.Get(field)
		d, err := store.ParseTarget(*text)
		if err != nil {
			f.Errors[field] = "Use minutes, hours or days, like 90m, 4h or 2d; empty for no target."
		}
		return d
	}
	for i, row := range f.Rows {
		targets[row.Priority] = store.DueTarget{
			FirstResponse: parse(row.Priority+".first_response", &f.Rows[i].FirstResponse),
			Resolution:    parse(row.Priority+".resolution", &f.Rows[i].Resolution),
		}
	}
	var n int
	var err error
	if len(f.Errors) == 0 {
		n, err = s.db.SetDueTargets(r.Context(), targets, s.staffActor(r))
	}
	var verr *store.ValidationError
	if errors.As(err, &verr) {
		f.Errors = verr.Fields
	}
	if len(f.Errors) > 0 {
		s.renderSettings(w, r, http.StatusUnprocessableEntity, s.bannerText(), nil, &f)
		return
	}
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	s.flash(r, fmt.Sprintf("Due-time targets saved: %d open tickets have a due time now.", n))
	http.Redirect(w, r, "/admin/settings#due", http.StatusSeeOther)
}
