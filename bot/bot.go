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
// it is not sure. It was chosen on the evaluation set (testdata/eval.json),
// where anything from 0.42 to 0.44 gives the same results.
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
	Tickets    []TicketInfo
	Offers     []Offer
	Confidence float64
}

// Extra is the structured part of a reply, stored (sealed) with the message
// and read back to render it.
type Extra struct {
	Warning string       `json:"warning,omitempty"`
	Source  *Source      `json:"source,omitempty"`
	Tickets []TicketInfo `json:"tickets,omitempty"`
	Offers  []Offer      `json:"offers,omitempty"`
}

// Extra returns the structured part of the bot's answer: its source, the
// tickets and the offers. The warning goes with the visitor's own message.
func (r Reply) Extra() Extra {
	return Extra{Source: r.Source, Tickets: r.Tickets, Offers: r.Offers}
}

// Encode is the stored form of e; nil when e is empty.
func (e Extra) Encode() []byte {
	if e.Warning == "" && e.Source == nil && len(e.Tickets) == 0 && len(e.Offers) == 0 {
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

	if p, ok := detectProbe(r.Message); ok {
		r.Probe, r.Outcome = &p, OutcomeRefused
		r.Text = p.reply()
		r.Offers = []Offer{OfferHuman}
		return r, nil
	}

	cls := b.opts.Rules.classify(r.Message)
	r.Intent = cls.intent
	var err error
	switch r.Intent {
	case IntentGreeting:
		r.Outcome = OutcomeSmalltalk
		r.Text = "Hello! I'm " + b.possessive() + " automated assistant, not a person: I answer from our help articles. " +
			"What can I help you with? You can ask for a person at any time."
	case IntentThanks:
		r.Outcome = OutcomeSmalltalk
		r.Text = "You're welcome! Is there anything else I can help with?"
	case IntentAbuse:
		r.Outcome, r.Offers = OutcomeSmalltalk, []Offer{OfferHuman}
		r.Text = "I'm an automated assistant and I'd like to help. If you'd rather talk to a person, " +
			"choose “Talk to a person” and someone from our team will take over."
	case IntentHuman:
		r.Outcome = OutcomeHandoff
		r.Text = "Of course: I'll ask a person from our team to join this conversation."
	case IntentTicketStatus:
		err = b.ticketStatus(ctx, in.CustomerID, &r)
	case IntentAccount:
		err = b.account(ctx, in.CustomerID, &r)
	default:
		err = b.answer(ctx, &r)
	}
	if err != nil {
		return b.Fallback(r), err
	}
	return r, nil
}

func (b *Bot) possessive() string {
	if b.opts.Product == "our" {
		return "the"
	}
	return b.opts.Product + "'s"
}

// Fallback turns r into the reply for when the bot itself failed: no answer,
// an apology, and a person or a request.
func (b *Bot) Fallback(r Reply) Reply {
	r.Outcome, r.Source, r.Tickets, r.Confidence = OutcomeError, nil, nil, 0
	r.Text = "Sorry, I can't look that up right now. A person from our team can help: talk to one now, " +
		"or send us a request and we'll answer by email."
	r.Offers = []Offer{OfferHuman, OfferTicket}
	return r
}

// answer quotes the best article, or says it is not sure.
func (b *Bot) answer(ctx context.Context, r *Reply) error {
	m, err := b.ret.find(ctx, r.Message)
	if err != nil {
		return err
	}
	r.Confidence = m.confidence
	if !m.ok {
		r.Outcome, r.Offers = OutcomeUnsure, []Offer{OfferHuman, OfferTicket}
		r.Text = "I'm not sure I have an answer to that, and I'd rather not guess. " +
			"You can ask in other words, talk to a person, or send us a request and we'll reply by email."
		return nil
	}
	src := m.source
	r.Outcome, r.Source, r.Offers = OutcomeAnswered, &src, []Offer{OfferHuman}
	r.Text = "This is what our help article “" + src.Title + "” says:"
	return nil
}

// account handles orders, payments and account changes, which the chat can
// neither see nor make: it says so, points to the article that explains how
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
		r.Text = "I can't see or change anyone's orders, payments or account details, and before we can discuss " +
			"your account we need to confirm it's you: type your email address here and I'll send you a 6-digit code. " +
			"You can also talk to a person."
	} else {
		r.Outcome, r.Offers = OutcomePrivate, []Offer{OfferHuman}
		r.Text = "I can't see or change orders, payments or account settings from this chat, but a person from our " +
			"team can: choose “Talk to a person”."
	}
	if r.Source != nil {
		r.Text += " Meanwhile, this is what our help article “" + r.Source.Title + "” says:"
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
		r.Text = "I can tell you about your requests once you've confirmed your email address: type it here and " +
			"I'll send you a 6-digit code. Until then I can't see or share anything about any request or account."
		return nil
	}
	r.Outcome, r.Offers = OutcomePrivate, []Offer{OfferHuman}
	var ts []store.Ticket
	if n := askedTicket(r.Message); n > 0 {
		t, err := b.db.GetCustomerTicket(ctx, customerID, n)
		if errors.Is(err, store.ErrNotFound) {
			r.Text = fmt.Sprintf("I can't find request #%d among yours. Here are your most recent requests:", n)
			ts, err = b.db.ListTickets(ctx, store.TicketFilter{CustomerID: customerID, Confirmed: true, Limit: maxTicketsShown})
		} else if err == nil {
			ts = []store.Ticket{t}
			r.Text = fmt.Sprintf("Here is request #%d:", n)
		}
		if err != nil {
			return err
		}
	} else {
		var err error
		if ts, err = b.db.ListTickets(ctx, store.TicketFilter{CustomerID: customerID, Confirmed: true, Limit: maxTicketsShown}); err != nil {
			return err
		}
		r.Text = "Here are your most recent requests:"
	}
	if len(ts) == 0 {
		r.Text = "You have no requests with us yet. If you need help, ask me here, talk to a person, or send us a request."
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
func (b *Bot) Status(ctx context.Context, customerID int64) (Reply, error) {
	if customerID == 0 {
		return Reply{}, errors.New("bot: status needs a verified customer")
	}
	r := Reply{Intent: IntentTicketStatus}
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
		if st := stem(w); !seen[st] {
			seen[st] = true
			out = append(out, st)
		}
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}
