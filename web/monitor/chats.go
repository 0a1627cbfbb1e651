package monitor

import (
	"context"
	"strconv"

	"safedesk/store"
	"safedesk/templates"
	"safedesk/templates/i18n"
)

// SweepChats settles hand-offs whose time is up for visitors who left the
// page, and deletes conversations older than the retention. main runs it
// every half minute.
func (s *Service) SweepChats(ctx context.Context) {
	due, err := s.db.DueHandoffs(ctx)
	if err != nil {
		s.log.Error("chat sweep", "err", err)
		return
	}
	for _, c := range due {
		if _, err := s.SettleHandoff(ctx, c); err != nil {
			s.log.Error("chat hand-off not settled", "conversation", c.ID, "err", err)
		}
	}
	if n, err := s.db.PurgeChats(ctx, s.db.Now().Add(-s.opts.ChatRetention), store.SystemActor); err != nil {
		s.log.Error("chat purge", "err", err)
	} else if n > 0 {
		s.log.Info("old chats deleted", "count", n)
	}
}

// SettleHandoff acts on a hand-off whose time is up: a verified customer's
// chat becomes a ticket; an anonymous visitor is told, once, how to get an
// answer by email. Any other conversation comes back unchanged. The
// visitor's page and the staff queue call it too, so that nobody waits for
// the sweep.
func (s *Service) SettleHandoff(ctx context.Context, c store.Conversation) (store.Conversation, error) {
	if c.Status != store.ChatStatusWaiting || c.HandoffDeadline.IsZero() || s.db.Now().Before(c.HandoffDeadline) {
		return c, nil
	}
	if c.CustomerID != 0 {
		return s.ChatToTicket(ctx, c, store.SystemActor)
	}
	if c.TimeoutNotified {
		return c, nil
	}
	c, _, err := s.db.MarkHandoffTimedOut(ctx, c.ID, []store.NewChatMessage{Line(store.ChatAuthorSystem, LineTimedOut)}, store.SystemActor)
	return c, err
}

// ChatToTicket turns a verified customer's conversation into a ticket with
// the transcript, by actor a, and mails them that we will answer by email.
func (s *Service) ChatToTicket(ctx context.Context, c store.Conversation, a store.Actor) (store.Conversation, error) {
	msgs, err := s.db.ListChatMessages(ctx, c.ID, 0)
	if err != nil {
		return c, err
	}
	subject := "Chat conversation"
	for _, m := range msgs {
		if m.Author == store.ChatAuthorVisitor && (m.Outcome == store.ChatOutcomeUnsure || m.Outcome == store.ChatOutcomeAnswered ||
			m.Outcome == store.ChatOutcomeGated || m.Outcome == store.ChatOutcomePrivate) {
			subject = "Chat: " + templates.Clip(m.Body, 120)
			break
		}
	}
	t, _, err := s.db.ConvertConversationToTicket(ctx, c.ID, subject, func(id int64) []store.NewChatMessage {
		return []store.NewChatMessage{Line(store.ChatAuthorSystem, LineIsTicket, strconv.FormatInt(id, 10))}
	}, a)
	if err != nil {
		return c, err
	}
	cust, err := s.db.GetCustomer(ctx, c.CustomerID)
	if err != nil {
		return c, err
	}
	lang, err := s.db.KBLanguage(ctx) // the chat kept no language: the site's
	if err != nil {
		return c, err
	}
	s.mail.Send(s.opts.Site.TicketReceived(i18n.New(lang, nil), cust.Email, t.ID, ""))
	return s.db.GetConversation(ctx, c.ID)
}
