package web

import (
	"errors"
	"net/http"
	"strconv"

	"safedesk/store"
	"safedesk/templates"
)

// chatFeedbackPost records the visitor's answer to "did this answer your
// question?" under one of the assistant's answers in their own
// conversation. The answer is kept with the transcript and counted for the
// quoted article; a "no" puts the question on the insight page.
func (s *Server) chatFeedbackPost(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.serveError(w, r, formError(err))
		return
	}
	c, err := s.conversation(r)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	id, err := strconv.ParseInt(r.PostForm.Get("message"), 10, 64)
	if err != nil {
		s.serveError(w, r, store.ErrNotFound)
		return
	}
	helpful, ok := helpfulAnswer(r.PostForm)
	if !ok {
		s.serveError(w, r, errBadRequest)
		return
	}
	err = s.db.RateChatAnswer(r.Context(), c.ID, id, helpful)
	if err != nil && !errors.Is(err, store.ErrConflict) {
		s.serveError(w, r, err)
		return
	}
	if !isHTMX(r) {
		http.Redirect(w, r, "/chat#m"+strconv.FormatInt(id, 10), http.StatusSeeOther)
		return
	}
	s.render(w, r, http.StatusOK, templates.ChatFeedbackThanks())
}
