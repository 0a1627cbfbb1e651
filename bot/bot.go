package bot

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"safedesk/bot/llm"
	"safedesk/security"
	"safedesk/store"
)

// Outcome is what the bot did with a message (the store's ChatOutcome values).
type Outcome string

// Outcomes.
const (
	OutcomeAnswered  Outcome = store.ChatOutcomeAnswered
	OutcomeUnsure    Outcome = store.ChatOutcomeUnsure
	OutcomeGated     Outcome = store.ChatOutcomeGated
	OutcomePrivate   Outcome = store.ChatOutcomePrivate
	OutcomeRefused   Outcome = store.ChatOutcomeRefused
	OutcomeHandoff   Outcome = store.ChatOutcomeHandoff
	OutcomeSmalltalk Outcome = store.ChatOutcomeSmalltalk
	OutcomeError     Outcome = store.ChatOutcomeError
)

// Offer is a next step the reply proposes to the visitor.
type Offer string

// Offers.
const (
	OfferVerify Offer = "verify" // confirm an email address in the chat
	OfferHuman  Offer = "human"  // talk to a person
	OfferTicket Offer = "ticket" // send a request and get an answer by email
)

// Errors of Respond for messages that are not processed at all.
var (
	ErrEmpty   = errors.New("bot: empty message")
	ErrTooLong = errors.New("bot: message too long")
)

// DefaultThreshold is the confidence an answer needs; below it the bot says
// it is not sure. It was chosen with the ranking's weights on the tuning
// half of the evaluation set (testdata/eval.json) and the development set
// (testdata/dev.json), by cross-validation inside them (TestTrainRanker):
// the one that best serves both the share of answerable questions answered
// with the right section and the share of the others declined.
const DefaultThreshold = 0.43

// DefaultMaxRunes is the longest message the bot reads, in characters.
const DefaultMaxRunes = 2000

// Options configures New. The zero value is fine.
type Options struct {
	Rules     *Rules  // nil: the built-in rules
	Threshold float64 // 0: DefaultThreshold
	MaxRunes  int     // 0: DefaultMaxRunes
	Product   string  // the name the bot introduces itself with
	Now       func() time.Time
	// Model, when set, phrases answers to questions from the sections
	// retrieval found (see model.go); nil: the bot quotes the section.
	Model *llm.Client
}

// Bot answers chat messages from the knowledge base. It holds no
// per-conversation state and is safe for concurrent use.
type Bot struct {
	db   *store.DB
	opts Options
	ret  *retriever
}

// New returns a bot that searches db's knowledge base.
func New(db *store.DB, opts Options) (*Bot, error) {
	if db == nil {
		return nil, errors.New("bot: no database")
	}
	if opts.Rules == nil {
		opts.Rules = builtin
	}
	if opts.Threshold == 0 {
		opts.Threshold = DefaultThreshold
	}
	if opts.Threshold < 0 || opts.Threshold > 1 {
		return nil, fmt.Errorf("bot: threshold %v must be between 0 and 1", opts.Threshold)
	}
	if opts.MaxRunes <= 0 {
		opts.MaxRunes = DefaultMaxRunes
	}
	if opts.Product == "" {
		opts.Product = "our"
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Bot{db: db, opts: opts, ret: newRetriever(db, opts.Rules, opts.Threshold, opts.Now)}, nil
}

// MaxRunes is the longest message the bot reads.
func (b *Bot) MaxRunes() int { return b.opts.MaxRunes }

// Input is one message of a visitor.
type Input struct {
	Text string
	// CustomerID is the customer the visitor has verified as, or 0. It comes
	// from the session, never from the message.
	CustomerID int64
	// UseModel lets the language model (Options.Model) phrase the answer:
	// the visitor consented to the notice that names it.
	UseModel bool
	// Known are the verified customer's own values (name, email address),
	// removed from the question before it goes to the model.
	Known []string
	// Lang is the language the visitor chose (the interface's, or the
	// chat's): the bot's own sentences speak it, and of two sections that
	// are nearly as good it quotes the one in it. "" (or a language it does
	// not speak): the language the question seems to be in.
	Lang string
}

// TicketInfo is one of the verified customer's requests, for a status answer.
type TicketInfo struct {
	ID        int64     `json:"id"`
	Subject   string    `json:"subject"`
	Status    string    `json:"status"`
	UpdatedAt time.Time `json:"updated_at"`
	LastBy    string    `json:"last_by,omitempty"` // who wrote last: customer or staff
}

// Reply is the bot's answer to one message.
type Reply struct {
	// Message is the visitor's message as it may be stored and shown:
	// secrets replaced by placeholders.
	Message string
	Removed []security.Kind // what was removed from it
	Warning string          // tells the visitor why, "" when nothing was removed

	Intent     Intent
	Outcome    Outcome
	Probe      *Probe // the attempt that was refused, if any
	Text       string // the bot's words
	Source     *Source
	Also       *Source // a second section that is nearly as good, named but not quoted
	Lang       string  // the language of Text
	Tickets    []TicketInfo
	Offers     []Offer
	Confidence float64
	// Model says whether the language model wrote Text: llm.Used, why its
	// answer fell back (an llm.Reason), or "" when it was not asked.
	Model string
	// Cited are the sections the model's answer cites, linked under it.
	Cited []Source
}

// Extra is the structured part of a reply, stored (sealed) with the message
// and read back to render it.
type Extra struct {
	Warning string       `json:"warning,omitempty"`
	Source  *Source      `json:"source,omitempty"`
	Also    *Source      `json:"also,omitempty"`
	Tickets []TicketInfo `json:"tickets,omitempty"`
	Offers  []Offer      `json:"offers,omitempty"`
	// Written marks an answer a language model wrote from Cited.
	Written bool     `json:"written,omitempty"`
	Cited   []Source `json:"cited,omitempty"`
	// Line names a line of the site's own (not the assistant's) whose
	// text the page shows in the reader's language, with Args; the
	// message's body holds it in English for staff.
	Line string   `json:"line,omitempty"`
	Args []string `json:"args,omitempty"`
}

// Extra returns the structured part of the bot's answer: its source, the
// tickets and the offers. The warning goes with the visitor's own message.
func (r Reply) Extra() Extra {
	return Extra{Source: r.Source, Also: r.Also, Tickets: r.Tickets, Offers: r.Offers, Written: r.Model == llm.Used, Cited: r.Cited}
}

// Encode is the stored form of e; nil when e is empty.
func (e Extra) Encode() []byte {
	if e.Warning == "" && e.Source == nil && e.Also == nil && len(e.Tickets) == 0 && len(e.Offers) == 0 && len(e.Cited) == 0 && e.Line == "" {
		return nil
	}
	b, _ := json.Marshal(e) // strings, numbers and times: it cannot fail
	return b
}

// DecodeExtra reads a stored Extra; anything unreadable is empty.
func DecodeExtra(b []byte) Extra {
	var e Extra
	if len(b) > 0 {
		json.Unmarshal(b, &e)
	}
	return e
}

// Respond runs the pipeline on one message: size limit, secret redaction,
// probe detection, intent, policy, then retrieval. It never returns an empty
// reply: when the knowledge base cannot be searched it returns the fallback
// (a person or a request) together with the error, for the caller to log.
func (b *Bot) Respond(ctx context.Context, in Input) (Reply, error) {
	text := strings.TrimSpace(in.Text)
	switch {
	case text == "":
		return Reply{}, ErrEmpty
	case !utf8.ValidString(text) || strings.ContainsRune(text, 0):
		text = strings.ToValidUTF8(strings.ReplaceAll(text, "\x00", ""), "�")
	}
	if utf8.RuneCountInString(text) > b.opts.MaxRunes {
		return Reply{}, ErrTooLong
	}
	r := Reply{Intent: IntentQuestion}
	var findings []security.Finding
	r.Message, findings = security.Redact(text)
	for _, f := range findings {
		r.Removed = append(r.Removed, f.Kind)
	}
	r.Warning = security.Warning(r.Removed)

	r.Lang = chosen(in.Lang)
	if r.Lang == "" {
		r.Lang = b.ret.language(ctx, r.Message)
	}
	if p, ok := detectProbe(r.Message); ok {
		r.Probe, r.Outcome = &p, OutcomeRefused
		r.Text = p.reply(r.Lang)
		r.Offers = []Offer{OfferHuman}
		return r, nil
	}

	cls := b.opts.Rules.classify(r.Message)
	r.Intent = cls.intent
	var err error
	switch r.Intent {
	case IntentGreeting:
		r.Outcome = OutcomeSmalltalk
		r.Text = say(r.Lang, "greeting", b.possessive(r.Lang))
	case IntentThanks:
		r.Outcome = OutcomeSmalltalk
		r.Text = say(r.Lang, "thanks")
	case IntentAbuse:
		r.Outcome, r.Offers = OutcomeSmalltalk, []Offer{OfferHuman}
		r.Text = say(r.Lang, "abuse")
	case IntentHuman:
		r.Outcome = OutcomeHandoff
		r.Text = say(r.Lang, "handoff")
	case IntentTicketStatus:
		err = b.ticketStatus(ctx, in.CustomerID, &r)
	case IntentAccount:
		err = b.account(ctx, in.CustomerID, &r)
	default:
		err = b.answer(ctx, in, &r)
	}
	if err != nil {
		return b.Fallback(r), err
	}
	return r, nil
}

// possessive names the product in a greeting: "Northwind's" (English), or
// the name alone for the other languages, which put it after "of".
func (b *Bot) possessive(lang string) string {
	switch {
	case lang != langEN:
		return b.opts.Product
	case b.opts.Product == "our":
		return "the"
	}
	return b.opts.Product + "'s"
}

// Fallback turns r into the reply for when the bot itself failed: no answer,
// an apology, and a person or a request.
func (b *Bot) Fallback(r Reply) Reply {
	r.Outcome, r.Source, r.Also, r.Tickets, r.Confidence, r.Cited = OutcomeError, nil, nil, nil, 0, nil
	if r.Model == llm.Used {
		r.Model = ""
	}
	r.Text = say(r.Lang, "fallback")
	r.Offers = []Offer{OfferHuman, OfferTicket}
	return r
}

// answer quotes the best section, naming a second one that is nearly as
// good, or says it is not sure. With a language model, the model phrases
// the answer from the sections found, if it can.
func (b *Bot) answer(ctx context.Context, in Input, r *Reply) error {
	m, err := b.ret.find(ctx, r.Message)
	if err != nil {
		return err
	}
	r.Confidence = m.confidence
	if !m.ok {
		r.Outcome, r.Offers = OutcomeUnsure, []Offer{OfferHuman, OfferTicket}
		r.Text = say(r.Lang, "unsure")
		return nil
	}
	if err := b.prefer(ctx, &m, chosen(in.Lang)); err != nil {
		return err
	}
	src := m.source
	r.Outcome, r.Source, r.Also, r.Offers = OutcomeAnswered, &src, m.also, []Offer{OfferHuman}
	if chosen(in.Lang) == "" {
		r.Lang = src.Lang // the quote's words, when the visitor chose none
	}
	r.Text = say(r.Lang, "answer", src.Title)
	if b.opts.Model != nil && in.UseModel {
		return b.phrase(ctx, in, m, r)
	}
	return nil
}

// prefer quotes, of the best section and the one nearly as good (m.also),
// the one in lang when only that one is: the visitor reads their own
// language, and the section is quoted in its article's.
func (b *Bot) prefer(ctx context.Context, m *match, lang string) error {
	if lang == "" || m.also == nil || m.source.Lang == lang || m.also.Lang != lang || len(m.rk.hits) < 2 {
		return nil
	}
	second := m.rk.hits[1]
	src, err := b.ret.source(ctx, m.rk, second)
	if err != nil {
		return err
	}
	first := m.rk.name(m.rk.hits[0])
	m.source, m.also, m.confidence = src, &first, second.conf
	return nil
}

// account handles orders, payments and account changes, which the chat can
// neither see nor make: it says so, points to the section that explains how
// to do it, and offers verification (so an agent may discuss the account) or
// a person.
func (b *Bot) account(ctx context.Context, customerID int64, r *Reply) error {
	m, err := b.ret.find(ctx, r.Message)
	if err != nil {
		return err
	}
	if m.ok {
		src := m.source
		r.Source, r.Confidence = &src, m.confidence
	}
	if customerID == 0 {
		r.Outcome, r.Offers = OutcomeGated, []Offer{OfferVerify, OfferHuman}
		r.Text = say(r.Lang, "gatedAccount")
	} else {
		r.Outcome, r.Offers = OutcomePrivate, []Offer{OfferHuman}
		r.Text = say(r.Lang, "privateAccount")
	}
	if r.Source != nil {
		r.Text += say(r.Lang, "meanwhile", r.Source.Title)
	}
	return nil
}

// maxTicketsShown is how many requests a status answer lists.
const maxTicketsShown = 5

// ticketStatus tells a verified customer about their own requests and
// nothing else; an unverified visitor is asked to verify, whatever the
// message claims.
func (b *Bot) ticketStatus(ctx context.Context, customerID int64, r *Reply) error {
	if customerID == 0 {
		r.Outcome, r.Offers = OutcomeGated, []Offer{OfferVerify, OfferHuman}
		r.Text = say(r.Lang, "gatedTickets")
		return nil
	}
	r.Outcome, r.Offers = OutcomePrivate, []Offer{OfferHuman}
	var ts []store.Ticket
	if n := askedTicket(r.Message); n > 0 {
		t, err := b.db.GetCustomerTicket(ctx, customerID, n)
		if errors.Is(err, store.ErrNotFound) {
			r.Text = say(r.Lang, "notYours", n)
			ts, err = b.db.ListTickets(ctx, store.TicketFilter{CustomerID: customerID, Confirmed: true, Limit: maxTicketsShown})
		} else if err == nil {
			ts = []store.Ticket{t}
			r.Text = say(r.Lang, "oneTicket", n)
		}
		if err != nil {
			return err
		}
	} else {
		var err error
		if ts, err = b.db.ListTickets(ctx, store.TicketFilter{CustomerID: customerID, Confirmed: true, Limit: maxTicketsShown}); err != nil {
			return err
		}
		r.Text = say(r.Lang, "recent")
	}
	if len(ts) == 0 {
		r.Text = say(r.Lang, "noTickets")
		r.Offers = []Offer{OfferHuman, OfferTicket}
		return nil
	}
	for _, t := range ts {
		info := TicketInfo{ID: t.ID, Subject: t.Subject, Status: t.Status, UpdatedAt: t.UpdatedAt}
		msgs, err := b.db.ListMessages(ctx, t.ID, false)
		if err != nil {
			return err
		}
		if n := len(msgs); n > 0 {
			info.LastBy = msgs[n-1].AuthorType
		}
		r.Tickets = append(r.Tickets, info)
	}
	return nil
}

// Status answers a verified customer about their own requests: what the bot
// says when "what's the status of my ticket" had to wait for verification.
// lang is the visitor's language, as Input.Lang ("" for English).
func (b *Bot) Status(ctx context.Context, customerID int64, lang string) (Reply, error) {
	if customerID == 0 {
		return Reply{}, errors.New("bot: status needs a verified customer")
	}
	r := Reply{Intent: IntentTicketStatus, Lang: chosen(lang)}
	if err := b.ticketStatus(ctx, customerID, &r); err != nil {
		return b.Fallback(r), err
	}
	return r, nil
}

// QuestionKey reduces a question to its content words, stemmed and sorted,
// so that the insight page can count "how do I descale my kettle" and
// "descaling the kettle, how?" as one unanswered question.
func (b *Bot) QuestionKey(text string) string {
	seen := map[string]bool{}
	var out []string
	for _, w := range words(text) {
		if b.opts.Rules.stop[w] || b.opts.Rules.weak[w] {
			continue
		}
		if st := stemIn(langEN, w); !seen[st] {
			seen[st] = true
			out = append(out, st)
		}
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}
