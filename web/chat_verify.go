package web

import (
	"errors"
	"net/http"

	"safedesk/bot"
	"safedesk/security"
	"safedesk/store"
	"safedesk/templates"
)

// chatSendCode starts verification inside the chat: the visitor typed an
// address, and gets a code by email whether or not the address is known, so
// the answer reveals nothing. The transcript keeps only a masked form of the
// address, and the bot's answer shows no more.
func (s *Server) chatSendCode(r *http.Request, c store.Conversation, addr string) ([]store.ChatMessage, store.Conversation, error) {
	ctx := r.Context()
	masked := security.MaskEmail(addr)
	visitor := store.NewChatMessage{Author: store.ChatAuthorVisitor, Body: "[email address entered: " + masked + "]",
		Intent: "verify", Outcome: store.ChatOutcomeVerify}
	say := func(body string) ([]store.ChatMessage, store.Conversation, error) {
		added, err := s.db.AddChatMessages(ctx, c.ID, []store.NewChatMessage{visitor,
			{Author: store.ChatAuthorBot, Body: body}}, s.actor(r))
		return added, c, err
	}
	if msg := store.ValidateEmail(addr); msg != "" {
		return say("That doesn't look like an email address. " + msg)
	}
	if ok, wait := info(r).allow(s.chat.codes); !ok {
		return say("Several codes have been requested from your network already. Please try again in " +
			templates.Duration(wait) + ", or talk to a person.")
	}
	issued, err := s.db.IssueCode(ctx, store.CodeRequest{Email: addr}, s.actor(r))
	if errors.Is(err, store.ErrRateLimited) {
		s.customer.Put(ctx, sessPending, addr)
		s.customer.Put(ctx, sessChatStep, "code")
		if !issued.Revived.IsZero() {
			return say("We've sent several codes to this address in the last hour, so we didn't send another. The newest one, from " +
				issued.Revived.UTC().Format("15:04") + " UTC, works again for the next 10 minutes: type it here.")
		}
		return say("We've sent several codes to this address in the last hour. Type the newest one here, or try again later.")
	}
	if err != nil {
		return nil, c, err
	}
	s.mail.Send(codeMail(s, addr, issued.Code, chatEnterCode))
	s.customer.Put(ctx, sessPending, addr)
	s.customer.Put(ctx, sessChatStep, "code")
	return say("If " + masked + " is your address, a 6-digit code is on its way to it. Type the code here: it is valid for 10 minutes. " +
		"Nobody from our team will ever ask you for it.")
}

// chatEnterCode is where the chat's code mail says to type the code.
const chatEnterCode = "Type it in the chat where you asked for it, or at"

// chatCheckCode checks a code typed in the chat. The code itself is never
// stored: the transcript says a code was entered. On success the session is
// verified exactly as by /verify (a new token, the customer and the masked
// address), the conversation is re-sealed with the customer's key, and a
// question that waited for verification is answered.
func (s *Server) chatCheckCode(r *http.Request, c store.Conversation, code string) ([]store.ChatMessage, store.Conversation, error) {
	ctx := r.Context()
	visitor := store.NewChatMessage{Author: store.ChatAuthorVisitor, Body: "[verification code entered]", Intent: "verify", Outcome: store.ChatOutcomeVerify}
	pending := s.customer.GetString(ctx, sessPending)
	if pending == "" {
		s.customer.Remove(ctx, sessChatStep)
		added, err := s.db.AddChatMessages(ctx, c.ID, []store.NewChatMessage{visitor,
			{Author: store.ChatAuthorBot, Body: "Type your email address first, and I'll send you a code."}}, s.actor(r))
		return added, c, err
	}
	cust, err := s.db.CheckCode(ctx, store.CodeCheck{Email: pending, Code: code, Session: s.customer.Token(ctx)}, s.actor(r))
	if errors.Is(err, store.ErrCodeInvalid) || errors.Is(err, store.ErrRateLimited) {
		s.abuseRecord(r, security.Event{Kind: security.EventVerifyFailed})
		say := "That code is wrong or has expired. Check the newest email from us and type its code, " +
			"or type your email address again for a new one."
		if errors.Is(err, store.ErrRateLimited) {
			say = "Too many wrong codes were typed for this address. Please wait 10 minutes, then type the newest code from us again."
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
	msgs := []store.NewChatMessage{visitor, {Author: store.ChatAuthorBot, Body: "Thank you: you're confirmed as " + masked + "."}}
	switch bot.Intent(s.customer.PopString(ctx, sessChatPending)) {
	case bot.IntentTicketStatus:
		reply, err := s.chat.bot.Status(ctx, cust.ID)
		if err != nil {
			s.log.Error("chat assistant failed", "err", err, "conversation", c.ID, "request_id", info(r).id)
		}
		msgs = append(msgs, store.NewChatMessage{Author: store.ChatAuthorBot, Body: reply.Text, Extra: reply.Extra().Encode()})
	case bot.IntentAccount:
		msgs = append(msgs, store.NewChatMessage{Author: store.ChatAuthorBot, Body: "I can't see or change orders, payments or " +
			"account settings myself, but a person from our team can now look at your account with you.",
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
