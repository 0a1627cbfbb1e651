package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"safedesk/store"
	"safedesk/templates"
)

// Saved replies: admins and knowledge-base editors write them here; agents
// insert them into a ticket's reply box with the picker (web/admin_tickets.go
// and static/app.js), filled with the ticket's values.

func (s *Server) adminReplyList(w http.ResponseWriter, r *http.Request) {
	replies, err := s.db.ListReplies(r.Context())
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, templates.AdminReplyList(templates.AdminReplyListProps{
		AdminPage: s.adminPageProps(r, "Saved replies", "replies"), Replies: replies,
	}))
}

func (s *Server) adminReplyNew(w http.ResponseWriter, r *http.Request) {
	s.renderReplyEdit(w, r, http.StatusOK, store.SavedReply{}, nil)
}

func (s *Server) adminReplyEdit(w http.ResponseWriter, r *http.Request) {
	reply, err := byID(r, s.db.GetReply)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	s.renderReplyEdit(w, r, http.StatusOK, reply, nil)
}

func (s *Server) renderReplyEdit(w http.ResponseWriter, r *http.Request, status int, reply store.SavedReply, errs map[string]string) {
	title := "New saved reply"
	if reply.ID != 0 {
		title = "Edit saved reply"
	}
	s.render(w, r, status, templates.AdminReplyEdit(templates.AdminReplyEditProps{
		AdminPage: s.adminPageProps(r, title, "replies"), Reply: reply, Placeholders: store.ReplyPlaceholders, Errors: errs,
	}))
}

// adminReplySavePost creates a saved reply, or updates the one in the
// path. A placeholder that does not exist is refused with the list of
// those that do, and everything typed stays in the form.
func (s *Server) adminReplySavePost(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.serveError(w, r, formError(err))
		return
	}
	reply := store.SavedReply{Title: r.PostForm.Get("title"), Body: r.PostForm.Get("body"), Status: r.PostForm.Get("status")}
	if r.PathValue("id") != "" {
		id, err := pathID(r)
		if err != nil {
			s.serveError(w, r, err)
			return
		}
		reply.ID = id
	}
	saved, err := s.db.SaveReply(r.Context(), reply, s.staffActor(r))
	var verr *store.ValidationError
	if errors.As(err, &verr) {
		s.renderReplyEdit(w, r, http.StatusUnprocessableEntity, reply, verr.Fields)
		return
	}
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	s.flash(r, "Saved reply “"+saved.Title+"” saved.")
	http.Redirect(w, r, "/admin/replies", http.StatusSeeOther)
}

func (s *Server) adminReplyDeletePost(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	if err := s.db.DeleteReply(r.Context(), id, s.staffActor(r)); err != nil {
		s.serveError(w, r, err)
		return
	}
	s.flash(r, "Saved reply deleted.")
	http.Redirect(w, r, "/admin/replies", http.StatusSeeOther)
}

// filledReply is saved reply rid filled with ticket t's values for the
// signed-in person.
func (s *Server) filledReply(r *http.Request, t store.Ticket, rid int64) (store.SavedReply, error) {
	reply, err := s.db.GetReply(r.Context(), rid)
	if err != nil {
		return store.SavedReply{}, err
	}
	first := ""
	if c, err := s.db.GetCustomer(r.Context(), t.CustomerID); err == nil {
		if f := strings.Fields(c.Name); len(f) > 0 {
			first = f[0]
		}
	} else if !errors.Is(err, store.ErrNotFound) {
		return store.SavedReply{}, err
	}
	reply.Body = store.FillReply(reply.Body, store.ReplyValues{CustomerFirstName: first, TicketID: t.ID, AgentName: s.currentStaff(r).Name})
	return reply, nil
}

// adminTicketReplyFill answers the picker's script with saved reply rid
// filled for the ticket, as plain text, and the status it sets in a
// header: the script puts the text into the reply box as text.
func (s *Server) adminTicketReplyFill(w http.ResponseWriter, r *http.Request) {
	t, err := s.adminTicket(r)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	rid, err := strconv.ParseInt(r.PathValue("rid"), 10, 64)
	if err != nil {
		s.serveError(w, r, errNotFound)
		return
	}
	reply, err := s.filledReply(r, t, rid)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Reply-Status", reply.Status)
	w.Write([]byte(reply.Body))
}
