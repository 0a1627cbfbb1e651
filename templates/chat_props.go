package templates

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"safedesk/store"
	"safedesk/templates/i18n"
)

// ChatState is where a conversation stands, for the pieces of the chat page
// that change with it.
type ChatState struct {
	ID       int64
	Status   string // store.ChatStatus*, "" before consent
	Closed   string // store.ChatClosed* when closed
	TicketID int64  // the request it became, if any
	Verified string // masked address of the verified customer, or ""
	Deadline time.Time
	LastID   int64  // the newest message shown
	Step     string // "code" while the bot waits for a verification code
	// NobodyFree is set once the visitor was told nobody can join (none
	// available, or the wait is over): the chat waits for their address.
	NobodyFree bool
}

// Waiting reports whether the conversation is in the staff queue.
func (s ChatState) Waiting() bool { return s.Status == store.ChatStatusWaiting }

// WithAgent reports whether an agent has taken the conversation over.
func (s ChatState) WithAgent() bool { return s.Status == store.ChatStatusAgent }

// Over reports whether the conversation has ended.
func (s ChatState) Over() bool { return s.Status == store.ChatStatusClosed }

// Live reports whether the page should poll for messages from staff.
func (s ChatState) Live() bool { return s.Waiting() || s.WithAgent() }

// ChatLine is one message as the page shows it.
type ChatLine struct {
	ID      int64
	Author  string // store.ChatAuthor*
	Name    string // how the author is named to the reader
	Body    string
	At      time.Time
	Warning string // why something was removed from the visitor's message
	Quote   string // the article section the assistant quotes, one block a line
	Section string
	Slug    string
	Title   string
	Lang    string // the quoted article's language
	URL     string // the section's address: /kb/{slug}#{anchor}
	// AlsoTitle and AlsoURL name a second section that is nearly as good,
	// in its article's language AlsoLang; AlsoOpening says it is the
	// opening of the quoted article, which is named as such rather than by
	// the same title again.
	AlsoTitle, AlsoURL, AlsoLang string
	AlsoOpening                  bool
	Tickets                      []ChatTicket
	Offers                       []string // verify, human, ticket
	Intent                       string   // staff views: what the assistant made of a visitor message
	Outcome                      string
	// Written marks an answer a language model wrote from the Cited
	// sections, which are linked under it.
	Written bool
	Cited   []ChatCite
	// Answered says the visitor already answered "did this answer your
	// question?" under this answer: the thanks shows in place of the form.
	Answered bool
}

// ChatCite is a section a model-written answer cites.
type ChatCite struct {
	Title string // the article's title and the section's heading
	URL   string // /kb/{slug}#{anchor}
}

// ChatTicket is one of the customer's requests in a status answer.
type ChatTicket struct {
	ID        int64
	Subject   string
	Status    string
	UpdatedAt time.Time
	LastBy    string
}

// ChatComposer is the message form with what was typed and why it was
// refused, if it was.
type ChatComposer struct {
	Text     string
	Error    string
	MaxRunes int
	// Reconsent: the privacy notice changed since the visitor consented,
	// so the composer asks for consent again (chatReconsent), keeping Text.
	Reconsent bool
}

// ChatPageProps is the visitor's chat page: the consent notice before the
// first message, then the transcript and the composer.
type ChatPageProps struct {
	Page
	State         ChatState
	Lines         []ChatLine
	Composer      ChatComposer
	ConsentError  string
	RetentionDays int
	Hours         string // when people answer, in words; "" for always
	HandoffWait   time.Duration
	// ModelHost is the host of the language model that phrases answers,
	// "" when there is none; the consent notice names it.
	ModelHost string
}

// ChatUpdateProps is the fragment that answers a message, a hand-off or a
// poll: new lines, and the parts of the page whose state may have changed.
type ChatUpdateProps struct {
	Lines    []ChatLine
	State    ChatState
	Composer ChatComposer
	// Poll: the fragment answers the poller, so the lines go out of band
	// and the poller itself is the main content.
	Poll bool
	// Changed: the status changed, so the status line, the hand-off
	// button and the composer are replaced too.
	Changed bool
}

func chatPollURL(s ChatState) string {
	return fmt.Sprintf("/chat/poll?after=%d&status=%s", s.LastID, s.Status)
}

// chatTime is t's time of day in ctx's language and the business's zone.
func chatTime(ctx context.Context, t time.Time) string { return i18n.From(ctx).Clock(t) }

func ticketStatusText(ctx context.Context, t ChatTicket) string {
	s := statusLabel(ctx, t.Status)
	switch t.LastBy {
	case "staff":
		s += " · " + i18n.T(ctx, i18n.ChatLastReplyTeam)
	case "customer":
		s += " · " + i18n.T(ctx, i18n.ChatWaitingOnUs)
	}
	return s
}

func ticketLink(id int64) string { return "/tickets/" + strconv.FormatInt(id, 10) }

// waitMinutes says how long a hand-off waits, in ctx's language.
func waitMinutes(ctx context.Context, d time.Duration) string {
	if d <= 0 {
		return i18n.T(ctx, i18n.ChatFewMinutes)
	}
	return i18n.From(ctx).Duration(d.Round(time.Minute))
}

// AdminChatRow is one conversation in the staff queue.
type AdminChatRow struct {
	Conversation store.Conversation
	Customer     string // masked address, or "" for an anonymous visitor
	Preview      string // the visitor's latest message
	Assignee     string
	WaitingFor   time.Duration
}

// AdminChatListProps is the staff chat queue.
type AdminChatListProps struct {
	AdminPage
	Rows     []AdminChatRow
	Closed   []AdminChatRow
	CanStats bool
	// Availability marks the viewer available for chats, or away.
	Availability *Availability
}

// AdminChatViewProps is one conversation for staff, with the live reply
// form once the viewer has taken it.
type AdminChatViewProps struct {
	AdminPage
	Conversation store.Conversation
	Customer     string
	Assignee     string
	Lines        []ChatLine
	Mine         bool // the viewer holds the conversation
	Reply        string
	Error        string
}

// AdminChatUpdateProps answers the staff view's poll and reply.
type AdminChatUpdateProps struct {
	Conversation store.Conversation
	Lines        []ChatLine
	LastID       int64
	Poll         bool
	Mine         bool
	Changed      bool
}

// ChatGap is a question the assistant could not answer, with how often it
// (or a question with the same words) was asked.
type ChatGap struct {
	Question string
	Count    int
	Last     time.Time
	// WriteURL opens the article editor with the group's questions attached.
	WriteURL string
	// Example is the question with personal data removed, as "this is
	// answered by…" adds it to a section; "" when it cannot be one (too
	// long).
	Example string
	// Section is the section that control proposes ("slug#anchor"): the
	// one the assistant quoted, or else the one its search ranks first;
	// "" for none.
	Section string
	// SectionLabel names Section for people ("Article › Heading").
	SectionLabel string
}

// SectionOption is a section "this is answered by…" can add a question to:
// its value ("slug#anchor") and its label ("Article › Heading").
type SectionOption struct {
	Value, Label string
}

// AdminChatInsightProps is the insight page: deflection, hand-offs and the
// questions the knowledge base does not answer.
type AdminChatInsightProps struct {
	AdminPage
	Days  int
	Stats store.ChatStats
	Gaps  []ChatGap
	Chart ChatChart
	// Feedback ranks the articles by "no" answers to "did this answer your
	// question?", on their page or under an assistant's answer.
	Feedback []store.ArticleStats
	Outcomes []OutcomeCount
	// Model counts the answers a language model wrote and those that fell
	// back to the quote, by reason; empty when no model was asked.
	Model []OutcomeCount
	// Sections are the sections a question may be added to as an example
	// ("this is answered by…"); empty when the staff member may not edit
	// articles, which hides the control.
	Sections []SectionOption
	// CanEdit says the staff member may edit articles: the ranking links
	// each article to its editor, and otherwise to its page.
	CanEdit bool
}

// OutcomeCount is the number of visitor messages with one outcome.
type OutcomeCount struct {
	Label string
	Count int
}

// ChatChart is the daily chart, laid out by the handler: bars in a
// viewBox of Width × Height.
type ChatChart struct {
	Width, Height int
	Bars          []ChartBar
	Labels        []ChartLabel
	Max           int
}

// ChartBar is one rectangle of the chart.
type ChartBar struct {
	X, Y, W, H int
	Class      string
	Title      string
}

// ChartLabel is one axis label.
type ChartLabel struct {
	X, Y int
	Text string
}

// chatAvatar is the icon beside a chat line: the assistant, a person from
// the team, or none (the visitor's own lines and notices).
func chatAvatar(author string) string {
	switch author {
	case store.ChatAuthorBot:
		return "bot"
	case store.ChatAuthorAgent:
		return "headset"
	}
	return ""
}

// cutTitle splits the assistant's sentence around the quoted article's
// title, so the title can be marked with the article's language.
func cutTitle(body, title string) (before, mid, after string, ok bool) {
	if title == "" {
		return "", "", "", false
	}
	before, after, ok = strings.Cut(body, title)
	return before, title, after, ok
}
