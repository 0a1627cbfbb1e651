package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"safedesk/bot"
	"safedesk/security"
	"safedesk/store"
	"safedesk/templates"
	"safedesk/templates/i18n"
)

// chatAllow applies the per-conversation and per-client message limits.
func (s *Server) chatAllow(r *http.Request, c store.Conversation) (time.Duration, bool) {
	if ok, wait := s.chat.visitor.Allow("c" + strconv.FormatInt(c.ID, 10)); !ok {
		return wait, false
	}
	if ok, wait := info(r).allow(s.chat.address); !ok {
		return wait, false
	}
	return 0, true
}

// chatAccept applies the checks a visitor's message must pass before the
// assistant reads it (an open chat, a text of the right length, the rate
// limits), and answers the refusal when it fails them.
func (s *Server) chatAccept(w http.ResponseWriter, r *http.Request, c store.Conversation, text string) bool {
	comp := templates.ChatComposer{Text: text, MaxRunes: s.chat.bot.MaxRunes()}
	switch {
	case !c.Open():
		comp.Error = i18n.T(r.Context(), i18n.ChatEndedError)
		s.chatRefuse(w, r, http.StatusConflict, c, comp)
		return false
	case text == "":
		comp.Error = i18n.T(r.Context(), i18n.ChatEmptyMessage)
		s.chatRefuse(w, r, http.StatusUnprocessableEntity, c, comp)
		return false
	case !utf8.ValidString(text) || utf8.RuneCountInString(text) > s.chat.bot.MaxRunes():
		comp.Error = i18n.T(r.Context(), i18n.ChatTooLong, s.chat.bot.MaxRunes(), utf8.RuneCountInString(text))
		s.chatRefuse(w, r, http.StatusUnprocessableEntity, c, comp)
		return false
	}
	if wait, ok := s.chatAllow(r, c); !ok {
		secs := int(wait/time.Second) + 1
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		comp.Error = i18n.T(r.Context(), i18n.ChatTooFast, i18n.From(r.Context()).Duration(wait))
		s.chatRefuse(w, r, http.StatusTooManyRequests, c, comp)
		return false
	}
	return true
}

// chatRefuse answers a message that was not accepted: the composer with the
// text and the reason, in place of the composer for htmx.
func (s *Server) chatRefuse(w http.ResponseWriter, r *http.Request, status int, c store.Conversation, comp templates.ChatComposer) {
	if isHTMX(r) {
		w.Header().Set("HX-Retarget", "#chat-composer")
		w.Header().Set("HX-Reswap", "outerHTML")
		st := s.chatStateOf(r, c, nil)
		st.LastID = formAfter(r)
		s.render(w, r, status, templates.ChatComposerOnly(comp, st))
		return
	}
	p := s.chatPageProps(r)
	if err := s.fillChat(r, &p, c); err != nil {
		s.serveError(w, r, err)
		return
	}
	p.Composer = comp
	s.render(w, r, status, templates.ChatPage(p))
}

// chatRespond answers a visitor's action with every message newer than the
// page shows (theirs, the assistant's, and any an agent wrote meanwhile) as
// a fragment for htmx, or with a redirect back to the page.
func (s *Server) chatRespond(w http.ResponseWriter, r *http.Request, c store.Conversation) {
	if !isHTMX(r) {
		http.Redirect(w, r, "/chat#chat-composer", http.StatusSeeOther)
		return
	}
	msgs, st, err := s.chatSince(r, c, formAfter(r))
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, templates.ChatUpdate(templates.ChatUpdateProps{
		Lines: visitorLines(r.Context(), msgs), State: st, Changed: true,
		Composer: templates.ChatComposer{MaxRunes: s.chat.bot.MaxRunes()},
	}))
}

// chatTurn handles one accepted message and returns the messages it added.
func (s *Server) chatTurn(r *http.Request, c store.Conversation, text string) ([]store.ChatMessage, store.Conversation, error) {
	ctx := r.Context()
	if c.Status == store.ChatStatusAgent {
		// A person is answering: the message goes to them, secrets removed.
		red, found := security.Redact(text)
		msgs := []store.NewChatMessage{{Author: store.ChatAuthorVisitor, Body: red, Extra: warningExtra(i18n.From(ctx), found)}}
		added, err := s.db.AddChatMessages(ctx, c.ID, msgs, s.actor(r))
		return added, c, err
	}
	if s.customer.GetString(ctx, sessChatStep) == "code" {
		if code, ok := bot.CodeMessage(text); ok {
			return s.chatCheckCode(r, c, code)
		}
		s.customer.Remove(ctx, sessChatStep)
	}
	// EmailMessage runs the secret detectors first: a password shaped like
	// an address is never mailed, and goes on to be redacted below.
	if addr, ok := bot.EmailMessage(text); ok && s.customerID(r) == 0 {
		return s.chatSendCode(r, c, addr)
	}
	in, err := s.botInput(r, c, text)
	if err != nil {
		return nil, c, err
	}
	bctx, cancel := context.WithTimeout(ctx, s.chat.botTimeout)
	reply, err := s.chat.bot.Respond(bctx, in)
	cancel()
	if err != nil {
		if errors.Is(err, bot.ErrEmpty) || errors.Is(err, bot.ErrTooLong) {
			return nil, c, fmt.Errorf("%w: %v", errBadRequest, err)
		}
		// The visitor still gets the fallback reply (a person or a request).
		s.log.Error("chat assistant failed", "err", err, "conversation", c.ID, "request_id", info(r).id)
	}
	visitor := store.NewChatMessage{Author: store.ChatAuthorVisitor, Body: reply.Message,
		Intent: string(reply.Intent), Outcome: string(reply.Outcome), Model: reply.Model}
	if w := removedNotice(i18n.From(ctx), i18n.RemovedChat, reply.Removed); w != "" {
		visitor.Extra = bot.Extra{Warning: w}.Encode()
	}
	answer := store.NewChatMessage{Author: store.ChatAuthorBot, Body: reply.Text, Extra: reply.Extra().Encode()}
	if reply.Source != nil {
		answer.Article = reply.Source.Slug
	}
	switch {
	case reply.Probe != nil:
		return s.chatProbe(r, c, reply, visitor, answer)
	case reply.Outcome == bot.OutcomeHandoff:
		return s.handOff(r, c, []store.NewChatMessage{visitor})
	case reply.Outcome == bot.OutcomeGated:
		s.customer.Put(ctx, sessChatPending, string(reply.Intent))
	}
	added, err := s.db.AddChatMessages(ctx, c.ID, []store.NewChatMessage{visitor, answer}, s.actor(r))
	return added, c, err
}

// botInput is what the assistant gets with a message: who the visitor
// verified as and, where the conversation's consent covers the language
// model, leave to use it, with the customer's own name and address for it
// to remove from the question (they are never sent).
func (s *Server) botInput(r *http.Request, c store.Conversation, text string) (bot.Input, error) {
	in := bot.Input{Text: text, CustomerID: s.customerID(r), Lang: botLanguage(r, c)}
	if s.chat.modelHost == "" || !strings.HasPrefix(c.ConsentVersion, s.chat.policy+".") { // consented to a notice naming the model (consentVersion)
		return in, nil
	}
	in.UseModel = true
	if in.CustomerID != 0 {
		cust, err := s.db.GetCustomer(r.Context(), in.CustomerID)
		if err != nil {
			return in, err
		}
		in.Known = []string{cust.Name, cust.Email}
	}
	return in, nil
}

// botLanguage is the language the assistant's own sentences speak in c:
// the visitor's choice in the interface (the switcher, which may have
// changed since the chat began), else the chat's.
func botLanguage(r *http.Request, c store.Conversation) string {
	if l := chosenLanguage(r); l != "" {
		return l
	}
	return c.Lang
}

// warningExtra tells the visitor, in l's language, what was removed from
// their message before it was stored.
func warningExtra(l i18n.Locale, found []security.Finding) []byte {
	var kinds []security.Kind
	for _, f := range found {
		kinds = append(kinds, f.Kind)
	}
	return bot.Extra{Warning: removedNotice(l, i18n.RemovedChat, kinds)}.Encode()
}

// chatProbe answers a probing message. A serious probe is refused, recorded
// as a security event, counted against the client, and ends the
// conversation at the chatProbeLimit-th attempt. Anything else (a prompt
// injection: it never reaches the optional language model, and what the
// server shows never depends on the model) is declined and logged as a
// low-severity event, nothing more.
func (s *Server) chatProbe(r *http.Request, c store.Conversation, reply bot.Reply, visitor, answer store.NewChatMessage) ([]store.ChatMessage, store.Conversation, error) {
	ctx := r.Context()
	msgs := []store.NewChatMessage{visitor, answer}
	if !reply.Probe.Serious {
		added, err := s.db.AddChatMessages(ctx, c.ID, msgs, s.actor(r))
		if err != nil {
			return nil, c, err
		}
		s.recordSecurityEvent(r, "chat.probe", store.SeverityInfo, map[string]any{
			"conversation": c.ID, "category": reply.Probe.Category, "rule": reply.Probe.Rule, "serious": false})
		return added, c, nil
	}
	last := c.Probes+1 >= chatProbeLimit
	if last {
		msgs = append(msgs, store.NewChatMessage{Author: store.ChatAuthorSystem,
			Body: i18n.T(ctx, i18n.ChatProbeEnded)})
	}
	c, added, err := s.db.RecordChatProbe(ctx, c.ID, store.ChatProbe{Category: reply.Probe.Category, Rule: reply.Probe.Rule},
		chatProbeLimit, msgs, s.actor(r))
	if err != nil {
		return nil, c, err
	}
	s.recordSecurityEvent(r, "chat.probe", store.SeverityWarning, map[string]any{
		"conversation": c.ID, "category": reply.Probe.Category, "rule": reply.Probe.Rule, "serious": true, "probes": c.Probes, "ended": !c.Open()})
	if reply.Probe.Category != string(security.InjectionPayload) {
		// Payloads were already reported by the abuse middleware's form scan.
		s.abuseRecord(r, security.Event{Kind: security.EventPayload, Sig: reply.Probe.Rule})
	}
	if !c.Open() {
		s.customer.Put(ctx, sessChatBlocked, s.db.Now().Add(chatProbeCooldown))
	}
	return added, c, nil
}
