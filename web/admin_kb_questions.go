package web

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"safedesk/security"
	"safedesk/store"
	"safedesk/templates"
)

// The insight page's "write an article for this" opens the editor with the
// customers' questions of one group attached: shown beside the editor,
// carried by the form, and added to the new article as example questions
// when it is saved, so that the assistant finds it when customers ask
// that way.

// attachedQuestions are the customers' questions named by ids (a
// comma-separated list of message ids), for staff who may read the chat
// reports; none for anyone else or for no ids.
func (s *Server) attachedQuestions(r *http.Request, ids string) ([]store.ChatMessage, error) {
	list := parseIDs(ids)
	if len(list) == 0 || !s.currentStaff(r).Role.Can(security.PermReportsRead) {
		return nil, nil
	}
	return s.db.ListChatQuestions(r.Context(), list)
}

// showQuestions puts the attached questions on the editor: masked for
// reading, and their ids for the form to carry to the save.
func showQuestions(p *templates.AdminKBEditProps, msgs []store.ChatMessage) {
	ids := make([]string, 0, len(msgs))
	for _, m := range msgs {
		p.Questions = append(p.Questions, templates.Clip(security.RedactLog(m.Body), 200))
		ids = append(ids, strconv.FormatInt(m.ID, 10))
	}
	p.QuestionIDs = strings.Join(ids, ",")
}

// attachQuestions adds the questions to the article art as example
// questions of its top (personal data removed, as every example question)
// and returns how many it added. A question the store refuses (too long,
// one the article has already, the top full) is left out.
func (s *Server) attachQuestions(r *http.Request, art store.Article, msgs []store.ChatMessage) (int, error) {
	n := 0
	for _, m := range msgs {
		_, err := s.db.AddSectionExample(r.Context(), art.ID, "", m.Body, s.staffActor(r))
		if validationMessage(err) != "" {
			continue
		}
		if err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// saveQuestions attaches the questions to the article just saved under
// slug, and says in the flash how many it added.
func (s *Server) saveQuestions(r *http.Request, slug string, questions []store.ChatMessage) error {
	art, err := s.db.GetArticle(r.Context(), slug, true)
	if err != nil {
		return err
	}
	n, err := s.attachQuestions(r, art, questions)
	if err != nil {
		return err
	}
	s.flash(r, fmt.Sprintf("Article saved, with %d of the customers' questions as its example questions.", n))
	return nil
}

// parseIDs reads a comma-separated list of ids, skipping anything else.
func parseIDs(s string) []int64 {
	var out []int64
	for _, f := range strings.Split(s, ",") {
		if id, err := strconv.ParseInt(strings.TrimSpace(f), 10, 64); err == nil && id > 0 {
			out = append(out, id)
		}
	}
	return out
}
