package web

import (
	"errors"
	"net/http"

	"safedesk/bot"
	"safedesk/security"
	"safedesk/store"
	"safedesk/templates/i18n"
	"safedesk/web/monitor"
)

// chatSendCode starts verification inside the chat: the visitor typed an
// address, and gets a code by email whether or not the address is known, so
// the answer reveals nothing. The transcript keeps only a masked form of the
// address, and the bot's answer shows no more.
func (s *Server) chatSendCode(r *http.Request, c store.Conversation, addr string) ([]store.ChatMessage, store.Conversation, error) {
	ctx := r.Context()
	l := i18n.From(ctx)
	masked := security.MaskEmail(addr)
	visitor := monitor.Line(store.ChatAuthorVisitor, monitor.LineEmailEntered, masked)
	visitor.Intent, visitor.Outcome = "verify", store.ChatOutcomeVerify
	say := func(body string) ([]store.ChatMessage, store.Conversation, error) {
		added, err := s.db.AddChatMessages(ctx, c.ID, []store.NewChatMessage{visitor,
			{Author: store.ChatAuthorBot, Body: body}}, s.actor(r))
		return added, c, err
	}
	if msg := store.ValidateEmail(addr); msg != "" {
		return say(l.T(i18n.ChatNotEmail) + " " + localFields(ctx, map[string]string{"email": msg})["email"])
	}
	if ok, wait := info(r).allow(s.chat.codes); !ok {
		return say(l.T(i18n.ChatCodesNetwork, l.Duration(wait)))
	}
	issued, err := s.db.IssueCode(ctx, store.CodeRequest{Email: addr}, s.actor(r))
	if errors.Is(err, store.ErrRateLimited) {
		s.customer.Put(ctx, sessPending, addr)
		s.customer.Put(ctx, sessChatStep, "code")
		if !issued.Revived.IsZero() {
			return say(l.T(i18n.ChatCodeRevived, l.Clock(issued.Revived)+" "+l.ZoneName(issued.Revived)))
		}
		return say(l.T(i18n.ChatCodesTooMany))
	}
	if err != nil {
		return nil, c, err
	}
	s.mail.Send(s.site.Code(l, addr, issued.Code, true))
	s.customer.Put(ctx, sessPending, addr)
	s.customer.Put(ctx, sessChatStep, "code")
	return say(l.T(i18n.ChatCodeSent, masked))
}

// chatCheckCode checks a code typed in the chat. The code itself is never
// stored: the transcript says a code was entered. On success the session is
// verified exactly as by /verify (a new token, the customer and the masked
// address), the conversation is re-sealed with the customer's key, and a
// question that waited for verification is answered.
func (s *Server) chatCheckCode(r *http.Request, c store.Conversation, code string) ([]store.ChatMessage, store.Conversation, error) {
	ctx := r.Context()
	visitor := monitor.Line(store.ChatAuthorVisitor, monitor.LineCodeEntered)
	visitor.Intent, visitor.Outcome = "verify", store.ChatOutcomeVerify
	pending := s.customer.GetString(ctx, sessPending)
	if pending == "" {
		s.customer.Remove(ctx, sessChatStep)
		added, err := s.db.AddChatMessages(ctx, c.ID, []store.NewChatMessage{visitor,
			{Author: store.ChatAuthorBot, Body: i18n.T(ctx, i18n.ChatEmailFirst)}}, s.actor(r))
		return added, c, err
	}
	cust, err := s.db.CheckCode(ctx, store.CodeCheck{Email: pending, Code: code, Session: s.customer.Token(ctx)}, s.actor(r))
	if errors.Is(err, store.ErrCodeInvalid) || errors.Is(err, store.ErrRateLimited) {
		s.abuseRecord(r, security.Event{Kind: security.EventVerifyFailed})
		say := i18n.T(ctx, i18n.ChatCodeWrong)
		if errors.Is(err, store.ErrRateLimited) {
			say = i18n.T(ctx, i18n.ChatCodeLocked)
		}
		added, err := s.db.AddChatMessages(ctx, c.ID, []store.NewChatMessage{visitor, {Author: store.ChatAuthorBot, Body: say}}, s.actor(r))
		return added, c, err
	}
	if err != nil {
		return nil, c, err
	}
	if err := s.renewSession(ctx, s.customer); err != nil {
		return nil, c, err
	}
	masked := security.MaskEmail(cust.Email)
	s.customer.Remove(ctx, sessPending)
	s.customer.Remove(ctx, sessChatStep)
	s.customer.Put(ctx, sessCustomerID, cust.ID)
	if err := s.bindCustomerSession(ctx, cust.ID); err != nil {
		return nil, c, err
	}
	s.customer.Put(ctx, sessMasked, masked)
	if c, err = s.db.LinkConversation(ctx, c.ID, cust.ID, s.actor(r)); err != nil {
		return nil, c, err
	}
	msgs := []store.NewChatMessage{visitor, {Author: store.ChatAuthorBot, Body: i18n.T(ctx, i18n.ChatConfirmed, masked)}}
	switch bot.Intent(s.customer.PopString(ctx, sessChatPending)) {
	case bot.IntentTicketStatus:
		reply, err := s.chat.bot.Status(ctx, cust.ID, botLanguage(r, c))
		if err != nil {
			s.log.Error("chat assistant failed", "err", err, "conversation", c.ID, "request_id", info(r).id)
		}
		msgs = append(msgs, store.NewChatMessage{Author: store.ChatAuthorBot, Body: reply.Text, Extra: reply.Extra().Encode()})
	case bot.IntentAccount:
		msgs = append(msgs, store.NewChatMessage{Author: store.ChatAuthorBot, Body: i18n.T(ctx, i18n.ChatAccountPerson),
			Extra: bot.Extra{Offers: []bot.Offer{bot.OfferHuman}}.Encode()})
	}
	added, err := s.db.AddChatMessages(ctx, c.ID, msgs, s.actor(r))
	if err != nil {
		return nil, c, err
	}
	// A hand-off that was only waiting for an address to answer by email
	// becomes a ticket now.
	if c.Status == store.ChatStatusWaiting && (c.TimeoutNotified || !s.chat.hours.Open(s.db.Now())) {
		c, err = s.mon.ChatToTicket(ctx, c, s.actor(r))
	}
	return added, c, err
}
