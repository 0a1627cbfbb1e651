package web

import (
	"errors"
	"net/http"
	"slices"
	"strings"

	"safedesk/security"
	"safedesk/store"
	"safedesk/templates"
)

// ticketWorkday is the workday's part of a ticket's page: its due time and
// tags, who else has it open, and the saved-reply picker. A page opened
// with ?reply=ID (the picker without a script) comes with that reply
// filled in, and the status it sets chosen; a form sent back with errors
// keeps the tags and the status as typed.
func (s *Server) ticketWorkday(r *http.Request, t store.Ticket, names map[int64]string) (templates.TicketWorkday, error) {
	wd := templates.TicketWorkday{Now: s.db.Now(), Tags: strings.Join(t.Tags, ", "), Presence: s.ticketPresence(r, t.ID, false, names)}
	if r.Method == http.MethodPost {
		if r.PostForm.Has("tags") {
			wd.Tags = r.PostForm.Get("tags")
		}
		wd.Then = r.PostForm.Get("then_status")
	}
	if !s.currentStaff(r).Role.Can(security.PermTicketsWrite) {
		return wd, nil
	}
	var err error
	if wd.Replies, err = s.db.ListReplies(r.Context()); err != nil {
		return wd, err
	}
	if id := optionalInt(r.URL.Query().Get("reply")); id > 0 && r.Method == http.MethodGet {
		reply, err := s.filledReply(r, t, id)
		switch {
		case errors.Is(err, store.ErrNotFound): // deleted since the page was drawn: insert nothing
		case err != nil:
			return wd, err
		default:
			wd.Inserted, wd.Then, wd.Chosen = reply.Body, reply.Status, id
		}
	}
	return wd, nil
}

// replyThen is the status a staff reply leaves the ticket in: the one
// chosen with the reply (a saved reply may set it), else pending for an
// open ticket, since the customer has the next word. "" is no change.
func replyThen(r *http.Request, t store.Ticket) string {
	then := r.PostForm.Get("then_status")
	switch {
	case slices.Contains(store.TicketStatuses, then) && then != t.Status:
		return then
	case then == "" && t.Status == "open":
		return "pending"
	}
	return ""
}
