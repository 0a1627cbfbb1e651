package web

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"safedesk/bot"
	"safedesk/bot/llm"
	"safedesk/security"
	"safedesk/store"
	"safedesk/templates"
	"safedesk/templates/i18n"
	"safedesk/web/monitor"
)

// ChatPolicyVersion names the chat's consent text; the version stored
// with each conversation is it (with a language model, "+ai:" and its host:
// chatState.policy) and a digest of the privacy notice (consentVersion).
// Change it when the consent text changes.
const ChatPolicyVersion = "chat-2026-03"

// Chat limits.
var (
	// chatVisitorLimit applies per conversation: ten messages at once, then
	// one every three seconds. A person typing never meets it.
	chatVisitorLimit = security.LimitConfig{Rate: 1.0 / 3, Burst: 10}
	// chatAddressLimit applies per client address, across conversations, so
	// that starting new chats does not lift the limit.
	chatAddressLimit = security.LimitConfig{Rate: 1, Burst: 30}
)

const (
	// chatProbeLimit is how many probes end a conversation.
	chatProbeLimit = 3
	// chatProbeCooldown is how long after that the visitor cannot start a
	// new one.
	chatProbeCooldown = 10 * time.Minute
	// chatBotTimeout bounds one answer of the assistant.
	chatBotTimeout = 3 * time.Second
)

// Session keys of the chat.
const (
	sessChatToken   = "chat_token"   // the visitor token; the database keeps its hash
	sessChatStep    = "chat_step"    // "code" while a verification code is expected
	sessChatPending = "chat_pending" // the private intent to answer after verification
	sessChatBlocked = "chat_blocked" // no new chat before this time (after probing)
)

// chatState is the chat's part of the server.
type chatState struct {
	bot       *bot.Bot
	visitor   *security.Limiter
	address   *security.Limiter
	codes     *security.Limiter
	hours     *bot.Hours
	timeout   time.Duration
	retention time.Duration
	// modelHost is the language model's host, "" when there is none;
	// policy is the consent version, which names it.
	modelHost, policy string
	// botTimeout bounds one answer, the model's included.
	botTimeout time.Duration
}

func (s *Server) initChat() error {
	c := &s.cfg
	def := DefaultChatOptions()
	if c.ChatHandoffTimeout <= 0 {
		c.ChatHandoffTimeout = def.ChatHandoffTimeout
	}
	if c.ChatRetention <= 0 {
		c.ChatRetention = def.ChatRetention
	}
	opts := bot.Options{Rules: c.ChatRules, Product: c.Product, Now: s.db.Now}
	policy, botTimeout := ChatPolicyVersion, chatBotTimeout
	if c.ChatModel.Enabled() {
		m, err := llm.New(c.ChatModel, c.BaseURL)
		if err != nil {
			return err
		}
		opts.Model = m
		policy, botTimeout = ChatPolicyVersion+"+ai:"+c.ChatModel.Host(), chatBotTimeout+c.ChatModel.Timeout
	}
	b, err := bot.New(s.db, opts)
	if err != nil {
		return err
	}
	s.chat = &chatState{
		bot: b, hours: c.ChatHours, timeout: c.ChatHandoffTimeout, retention: c.ChatRetention,
		modelHost: c.ChatModel.Host(), policy: policy, botTimeout: botTimeout,
		visitor: chatVisitorLimit.NewLimiter(s.db.Now),
		address: chatAddressLimit.NewLimiter(s.db.Now),
		codes:   security.CodeClientLimit.NewLimiter(s.db.Now),
	}
	return nil
}

// visitorHash is the stored form of a visitor token.
func visitorHash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// conversation returns the visitor's conversation, or ErrNotFound before
// they consented. A conversation of a verified customer belongs to a
// session verified as that customer only; one started anonymously is given
// to the customer the visitor has since verified as (on /verify), and
// re-sealed with their key.
func (s *Server) conversation(r *http.Request) (store.Conversation, error) {
	tok := s.customer.GetString(r.Context(), sessChatToken)
	if tok == "" {
		return store.Conversation{}, store.ErrNotFound
	}
	c, err := s.db.FindConversation(r.Context(), visitorHash(tok))
	if err != nil {
		return c, err
	}
	switch cust := s.customerID(r); {
	case c.CustomerID != 0 && c.CustomerID != cust:
		return store.Conversation{}, store.ErrNotFound
	case c.CustomerID == 0 && cust != 0 && c.Open():
		return s.db.LinkConversation(r.Context(), c.ID, cust, s.actor(r))
	}
	return c, nil
}

func (s *Server) chatPage(w http.ResponseWriter, r *http.Request) {
	p := s.chatPageProps(r)
	c, err := s.conversation(r)
	if err == nil {
		if c, err = s.mon.SettleHandoff(r.Context(), c); err != nil {
			s.serveError(w, r, err)
			return
		}
		if err := s.fillChat(r, &p, c); err != nil {
			s.serveError(w, r, err)
			return
		}
		if p.Composer.Reconsent, err = s.consentStale(r.Context(), c); err != nil {
			s.serveError(w, r, err)
			return
		}
	} else if !errors.Is(err, store.ErrNotFound) {
		s.serveError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, templates.ChatPage(p))
}

func (s *Server) chatPageProps(r *http.Request) templates.ChatPageProps {
	p := templates.ChatPageProps{
		Page: s.page(r, i18n.T(r.Context(), i18n.NavChat)), RetentionDays: int(s.chat.retention / (24 * time.Hour)),
		HandoffWait: s.chat.timeout, Composer: templates.ChatComposer{MaxRunes: s.chat.bot.MaxRunes()},
		ModelHost: s.chat.modelHost,
	}
	if !s.chat.hours.Always() {
		p.Hours = s.chat.hours.String()
	}
	return p
}

// fillChat adds the conversation's transcript and state to p.
func (s *Server) fillChat(r *http.Request, p *templates.ChatPageProps, c store.Conversation) error {
	msgs, err := s.db.ListChatMessages(r.Context(), c.ID, 0)
	if err != nil {
		return err
	}
	p.Lines = visitorLines(r.Context(), msgs)
	p.State = s.chatStateOf(r, c, msgs)
	return nil
}

// chatSince returns the conversation's messages after the id after, and
// the state the page shows with them.
func (s *Server) chatSince(r *http.Request, c store.Conversation, after int64) ([]store.ChatMessage, templates.ChatState, error) {
	msgs, err := s.db.ListChatMessages(r.Context(), c.ID, after)
	if err != nil {
		return nil, templates.ChatState{}, err
	}
	st := s.chatStateOf(r, c, msgs)
	if st.LastID == 0 {
		st.LastID = after
	}
	return msgs, st, nil
}

func (s *Server) chatStateOf(r *http.Request, c store.Conversation, msgs []store.ChatMessage) templates.ChatState {
	st := templates.ChatState{ID: c.ID, Status: c.Status, Closed: c.ClosedReason, TicketID: c.TicketID,
		Deadline: c.HandoffDeadline, Step: s.customer.GetString(r.Context(), sessChatStep), NobodyFree: c.TimeoutNotified}
	if s.customerID(r) != 0 {
		st.Verified = s.customer.GetString(r.Context(), sessMasked)
	}
	if n := len(msgs); n > 0 {
		st.LastID = msgs[n-1].ID
	}
	return st
}

// visitorLines renders messages for the visitor, in their language: the
// site's own lines (monitor.Line) and the placeholders of what was removed
// from their text.
func visitorLines(ctx context.Context, msgs []store.ChatMessage) []templates.ChatLine {
	l := i18n.From(ctx)
	lines := chatLines(msgs, func(m store.ChatMessage) string {
		switch m.Author {
		case store.ChatAuthorVisitor:
			return i18n.T(ctx, i18n.AuthorYou)
		case store.ChatAuthorBot:
			return i18n.T(ctx, i18n.AuthorBot)
		case store.ChatAuthorAgent:
			return i18n.T(ctx, i18n.AuthorSupport)
		}
		return ""
	})
	for i, m := range msgs {
		if text, ok := monitor.LineText(l, bot.DecodeExtra(m.Extra)); ok {
			lines[i].Body = text
		} else if m.Author == store.ChatAuthorVisitor {
			lines[i].Body = localPlaceholders(l, m.Body)
		}
	}
	return lines
}

// chatLines renders messages, each under the name who gives its author.
func chatLines(msgs []store.ChatMessage, who func(store.ChatMessage) string) []templates.ChatLine {
	out := make([]templates.ChatLine, 0, len(msgs))
	for _, m := range msgs {
		l := chatLine(m)
		l.Name = who(m)
		out = append(out, l)
	}
	return out
}

// chatLine turns a stored message into a line, with the assistant's quote,
// ticket list and offers from its extra part.
func chatLine(m store.ChatMessage) templates.ChatLine {
	l := templates.ChatLine{ID: m.ID, Author: m.Author, Body: m.Body, At: m.CreatedAt, Intent: m.Intent, Outcome: m.Outcome, Answered: m.Feedback != ""}
	x := bot.DecodeExtra(m.Extra)
	l.Warning = x.Warning
	if x.Source != nil {
		l.Quote, l.Section, l.Slug, l.Title, l.URL = x.Source.Quote, x.Source.Section, x.Source.Slug, x.Source.Title, x.Source.URL()
		l.Lang = x.Source.Lang
	}
	if x.Also != nil {
		l.AlsoURL, l.AlsoTitle, l.AlsoLang = x.Also.URL(), x.Also.Title, x.Also.Lang
		if x.Also.Section != "" {
			l.AlsoTitle += ": " + x.Also.Section
		}
		l.AlsoOpening = x.Also.Section == "" && x.Source != nil && x.Also.Slug == x.Source.Slug
	}
	if x.Written {
		l.Written = true
		for _, c := range x.Cited {
			cite := templates.ChatCite{Title: c.Title, URL: c.URL()}
			if c.Section != "" {
				cite.Title += ": " + c.Section
			}
			l.Cited = append(l.Cited, cite)
		}
	}
	for _, t := range x.Tickets {
		l.Tickets = append(l.Tickets, templates.ChatTicket{ID: t.ID, Subject: t.Subject, Status: t.Status, UpdatedAt: t.UpdatedAt, LastBy: t.LastBy})
	}
	for _, o := range x.Offers {
		l.Offers = append(l.Offers, string(o))
	}
	return l
}

// chatConsentPost records consent and opens the conversation. Without the
// box ticked nothing is stored.
func (s *Server) chatConsentPost(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.serveError(w, r, formError(err))
		return
	}
	ctx := r.Context()
	if c, err := s.conversation(r); err == nil && c.Open() {
		s.chatReconsent(w, r, c)
		return
	}
	if until, ok := s.customer.Get(ctx, sessChatBlocked).(time.Time); ok && s.db.Now().Before(until) {
		wait := until.Sub(s.db.Now())
		w.Header().Set("Retry-After", strconv.Itoa(int(wait/time.Second)+1))
		p := s.chatPageProps(r)
		p.ConsentError = i18n.T(ctx, i18n.ChatBlocked, i18n.From(ctx).Duration(wait))
		s.render(w, r, http.StatusTooManyRequests, templates.ChatPage(p))
		return
	}
	if r.PostForm.Get("consent") != "yes" {
		p := s.chatPageProps(r)
		p.ConsentError = i18n.T(ctx, i18n.ChatConsentError)
		s.render(w, r, http.StatusUnprocessableEntity, templates.ChatPage(p))
		return
	}
	var raw [32]byte
	rand.Read(raw[:])
	token := base64.RawURLEncoding.EncodeToString(raw[:])
	version, err := s.consentVersion(ctx)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	c, err := s.db.StartConversation(ctx, visitorHash(token), s.customerID(r), version, chatLanguage(r), s.actor(r))
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	s.customer.Put(ctx, sessChatToken, token)
	s.customer.Remove(ctx, sessChatStep)
	s.customer.Remove(ctx, sessChatPending)
	greeting := i18n.T(ctx, i18n.ChatGreeting, s.currentBrand().Name)
	if _, err := s.db.AddChatMessages(ctx, c.ID, []store.NewChatMessage{{Author: store.ChatAuthorBot, Body: greeting}}, s.actor(r)); err != nil {
		s.serveError(w, r, err)
		return
	}
	http.Redirect(w, r, "/chat", http.StatusSeeOther)
}

// chatRestartPost leaves an ended conversation so that a new one can start
// (with consent again).
func (s *Server) chatRestartPost(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if c, err := s.conversation(r); err == nil && c.Open() {
		if _, _, err := s.db.CloseConversation(ctx, c.ID, store.ChatClosedVisitor, nil, s.actor(r)); err != nil {
			s.serveError(w, r, err)
			return
		}
	}
	for _, k := range []string{sessChatToken, sessChatStep, sessChatPending} {
		s.customer.Remove(ctx, k)
	}
	http.Redirect(w, r, "/chat", http.StatusSeeOther)
}

// chatMessagePost takes one visitor message through limits, verification
// steps, the assistant, and storage, and answers with the new lines.
func (s *Server) chatMessagePost(w http.ResponseWriter, r *http.Request) {
	// No consent (no conversation), no processing: nothing of the message
	// is kept.
	c, err := withForm(r, s.conversation)
	if s.failed(w, r, err, s.redirectChat) {
		return
	}
	text := strings.TrimSpace(r.PostForm.Get("message"))
	if c.Open() {
		stale, err := s.consentStale(r.Context(), c)
		if err != nil {
			s.serveError(w, r, err)
			return
		}
		if stale { // nothing of the message is kept before the visitor agrees
			s.chatRefuse(w, r, http.StatusOK, c, templates.ChatComposer{Text: text, MaxRunes: s.chat.bot.MaxRunes(), Reconsent: true})
			return
		}
	}
	if !s.chatAccept(w, r, c, text) {
		return
	}
	if _, c, err = s.chatTurn(r, c, text); err != nil {
		s.serveError(w, r, err)
		return
	}
	s.chatRespond(w, r, c)
}

// formAfter is the id of the newest message the page shows, which its
// forms send along.
func formAfter(r *http.Request) int64 {
	return optionalInt(r.FormValue("after"))
}

func (s *Server) redirectChat(w http.ResponseWriter, r *http.Request) {
	if isHTMX(r) {
		w.Header().Set("HX-Redirect", "/chat")
		w.WriteHeader(http.StatusNoContent)
		return
	}
	http.Redirect(w, r, "/chat", http.StatusSeeOther)
}

// chatPoll answers the page's poller while a person is expected or
// present: new messages, and the state when it changed. It also settles a
// hand-off whose time is up.
func (s *Server) chatPoll(w http.ResponseWriter, r *http.Request) {
	c, err := s.conversation(r)
	if s.failed(w, r, err, s.redirectChat) {
		return
	}
	if c, err = s.mon.SettleHandoff(r.Context(), c); err != nil {
		s.serveError(w, r, err)
		return
	}
	after := optionalInt(r.URL.Query().Get("after"))
	msgs, st, err := s.chatSince(r, c, after)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	changed := r.URL.Query().Get("status") != c.Status
	if len(msgs) == 0 && !changed {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	s.render(w, r, http.StatusOK, templates.ChatUpdate(templates.ChatUpdateProps{
		Lines: visitorLines(r.Context(), msgs), State: st, Poll: true, Changed: changed,
		Composer: templates.ChatComposer{MaxRunes: s.chat.bot.MaxRunes()},
	}))
}
