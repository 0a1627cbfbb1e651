package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"safedesk/store"
)

// chatHandoffPost is the "talk to a person" button.
func (s *Server) chatHandoffPost(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.serveError(w, r, formError(err))
		return
	}
	c, err := s.conversation(r)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			s.redirectChat(w, r)
			return
		}
		s.serveError(w, r, err)
		return
	}
	if !c.Open() {
		s.chatRespond(w, r, c)
		return
	}
	visitor := store.NewChatMessage{Author: store.ChatAuthorVisitor, Body: "I'd like to talk to a person.", Intent: "human", Outcome: store.ChatOutcomeHandoff}
	if _, c, err = s.handOff(r, c, []store.NewChatMessage{visitor}); err != nil {
		s.serveError(w, r, err)
		return
	}
	s.chatRespond(w, r, c)
}

// handOff puts the conversation in the staff queue with pre (the visitor's
// request) and tells the visitor what happens next. Outside business hours
// a verified customer's chat becomes a ticket at once; an anonymous visitor
// is asked for their address first.
func (s *Server) handOff(r *http.Request, c store.Conversation, pre []store.NewChatMessage) ([]store.ChatMessage, store.Conversation, error) {
	ctx := r.Context()
	a := s.chatActor(r)
	if c.Status == store.ChatStatusWaiting || c.Status == store.ChatStatusAgent {
		msgs := append(pre, store.NewChatMessage{Author: store.ChatAuthorSystem, Body: "A person from our team has already been asked to join."})
		added, err := s.db.AddChatMessages(ctx, c.ID, msgs, a)
		return added, c, err
	}
	now := s.db.Now()
	verified := c.CustomerID != 0
	if !s.chat.hours.Open(now) {
		note := "Our team answers chats " + s.chat.hours.String() + ", so nobody can join right now."
		if verified {
			note += " I'll turn this chat into a request, and we'll answer by email."
		} else {
			note += " Type your email address here: once you've confirmed it with the code we send, " +
				"I'll turn this chat into a request and we'll answer by email."
		}
		c, added, err := s.db.HandOffConversation(ctx, c.ID, now, append(pre, store.NewChatMessage{Author: store.ChatAuthorSystem, Body: note}), a)
		if err != nil {
			return nil, c, err
		}
		if verified {
			c, err = s.toTicket(ctx, c, a)
		} else {
			c, _, err = s.db.MarkHandoffTimedOut(ctx, c.ID, nil, a)
		}
		return added, c, err
	}
	note := fmt.Sprintf("I've asked a person from our team to join. If nobody is free within %s, "+
		"I'll turn this chat into a request and we'll answer by email.", waitText(int(s.chat.timeout.Seconds())))
	if !verified {
		note += " So that we can answer by email if needed, you can type your email address now to confirm it."
	}
	c, added, err := s.db.HandOffConversation(ctx, c.ID, now.Add(s.chat.timeout), append(pre, store.NewChatMessage{Author: store.ChatAuthorSystem, Body: note}), a)
	return added, c, err
}

// settleHandoff acts on a hand-off whose time is up: a verified customer's
// chat becomes a ticket; an anonymous visitor is told, once, how to get an
// answer by email. It is called by the visitor's page and by SweepChats.
func (s *Server) settleHandoff(ctx context.Context, c store.Conversation) (store.Conversation, error) {
	if c.Status != store.ChatStatusWaiting || c.HandoffDeadline.IsZero() || s.db.Now().Before(c.HandoffDeadline) {
		return c, nil
	}
	if c.CustomerID != 0 {
		return s.toTicket(ctx, c, store.SystemActor)
	}
	if c.TimeoutNotified {
		return c, nil
	}
	c, _, err := s.db.MarkHandoffTimedOut(ctx, c.ID, []store.NewChatMessage{{Author: store.ChatAuthorSystem,
		Body: "Nobody from our team is free right now. Type your email address here: once you've confirmed it with the code we " +
			"send, I'll turn this chat into a request and we'll answer by email. You can also keep waiting here."}}, store.SystemActor)
	return c, err
}

// toTicket turns a verified customer's conversation into a ticket with the
// transcript and emails them that we will answer by email.
func (s *Server) toTicket(ctx context.Context, c store.Conversation, a store.Actor) (store.Conversation, error) {
	msgs, err := s.db.ListChatMessages(ctx, c.ID, 0)
	if err != nil {
		return c, err
	}
	subject := "Chat conversation"
	for _, m := range msgs {
		if m.Author == store.ChatAuthorVisitor && (m.Outcome == store.ChatOutcomeUnsure || m.Outcome == store.ChatOutcomeAnswered ||
			m.Outcome == store.ChatOutcomeGated || m.Outcome == store.ChatOutcomePrivate) {
			subject = "Chat: " + clipText(m.Body, 120)
			break
		}
	}
	t, _, err := s.db.ConvertConversationToTicket(ctx, c.ID, subject, func(id int64) []store.NewChatMessage {
		return []store.NewChatMessage{{Author: store.ChatAuthorSystem, Body: fmt.Sprintf("This chat is now request #%d, with the whole "+
			"conversation. We'll answer by email, and you can follow it under My tickets.", id)}}
	}, a)
	if err != nil {
		return c, err
	}
	cust, err := s.db.GetCustomer(ctx, c.CustomerID)
	if err != nil {
		return c, err
	}
	s.sendMail(ticketReceivedMail(s, cust.Email, t.ID, ""))
	return s.db.GetConversation(ctx, c.ID)
}

// clipText shortens s to n characters on one line.
func clipText(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:n-1])) + "…"
}

// SweepChats settles hand-offs whose time is up for visitors who left the
// page, and deletes conversations older than the retention. The server's
// scheduler runs it every half minute.
func (s *Server) SweepChats(ctx context.Context) {
	due, err := s.db.DueHandoffs(ctx)
	if err != nil {
		s.log.Error("chat sweep", "err", err)
		return
	}
	for _, c := range due {
		if _, err := s.settleHandoff(ctx, c); err != nil {
			s.log.Error("chat hand-off not settled", "conversation", c.ID, "err", err)
		}
	}
	if n, err := s.db.PurgeChats(ctx, s.db.Now().Add(-s.chat.retention), store.SystemActor); err != nil {
		s.log.Error("chat purge", "err", err)
	} else if n > 0 {
		s.log.Info("old chats deleted", "count", n)
	}
}
