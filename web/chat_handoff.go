package web

import (
	"net/http"

	"safedesk/store"
	"safedesk/templates/i18n"
)

// chatHandoffPost is the "talk to a person" button.
func (s *Server) chatHandoffPost(w http.ResponseWriter, r *http.Request) {
	c, err := withForm(r, s.conversation)
	if s.failed(w, r, err, s.redirectChat) {
		return
	}
	if !c.Open() {
		s.chatRespond(w, r, c)
		return
	}
	visitor := store.NewChatMessage{Author: store.ChatAuthorVisitor, Body: i18n.T(r.Context(), i18n.ChatWantPerson), Intent: "human", Outcome: store.ChatOutcomeHandoff}
	if _, c, err = s.handOff(r, c, []store.NewChatMessage{visitor}); err != nil {
		s.serveError(w, r, err)
		return
	}
	s.chatRespond(w, r, c)
}

// handOff puts the conversation in the staff queue with pre (the visitor's
// request) and tells the visitor at once what happens next. When nobody is
// available (outside business hours, or no one who takes chats is signed in
// and marked available) a verified customer's chat becomes a ticket at
// once; an anonymous visitor is asked for their address first. A hand-off nobody answers in time is
// settled by the monitor (monitor.SettleHandoff).
func (s *Server) handOff(r *http.Request, c store.Conversation, pre []store.NewChatMessage) ([]store.ChatMessage, store.Conversation, error) {
	ctx := r.Context()
	l := i18n.From(ctx)
	a := s.actor(r)
	if c.Status == store.ChatStatusWaiting || c.Status == store.ChatStatusAgent {
		msgs := append(pre, store.NewChatMessage{Author: store.ChatAuthorSystem, Body: l.T(i18n.ChatAlreadyAsked)})
		added, err := s.db.AddChatMessages(ctx, c.ID, msgs, a)
		return added, c, err
	}
	now := s.db.Now()
	verified := c.CustomerID != 0
	available, err := s.personAvailable(ctx, now) // web/workday.go
	if err != nil {
		return nil, c, err
	}
	if !available {
		note := l.T(i18n.ChatNobodyNow)
		if !s.chat.hours.Open(now) {
			note = l.T(i18n.ChatOutsideHours, s.chat.hours.String())
		}
		if verified {
			note += " " + l.T(i18n.ChatWillTicket)
		} else {
			note += " " + l.T(i18n.ChatTicketAfterCode)
		}
		c, added, err := s.db.HandOffConversation(ctx, c.ID, now, append(pre, store.NewChatMessage{Author: store.ChatAuthorSystem, Body: note}), a)
		if err != nil {
			return nil, c, err
		}
		if verified {
			c, err = s.mon.ChatToTicket(ctx, c, a)
		} else {
			c, _, err = s.db.MarkHandoffTimedOut(ctx, c.ID, nil, a)
		}
		return added, c, err
	}
	note := l.T(i18n.ChatAgentAsked, l.Duration(s.chat.timeout))
	if !verified {
		note += " " + l.T(i18n.ChatOfferEmail)
	}
	c, added, err := s.db.HandOffConversation(ctx, c.ID, now.Add(s.chat.timeout), append(pre, store.NewChatMessage{Author: store.ChatAuthorSystem, Body: note}), a)
	return added, c, err
}
