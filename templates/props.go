// Package templates holds safedesk's templ components. Each component takes
// one typed props struct; components render store types but never query.
package templates

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/a-h/templ"

	"safedesk/store"
	"safedesk/templates/i18n"
)

// Page is what every page's layout needs.
type Page struct {
	Title string
	// Customer is the masked address of the verified customer, empty for
	// a visitor who has not verified.
	Customer string
	// Notice is a one-off message shown at the top of the page.
	Notice string
	// Product is the site's name.
	Product string
	// Banner is the site-wide announcement set in the admin settings.
	Banner string
	// FileLimit is the largest file a form takes, for people ("20 MB").
	FileLimit string
	// Path is the page's own address (path and query), where the
	// language switcher comes back to.
	Path string
	// Brand is how the business presents itself (templates/brand.templ).
	Brand Brand
	// Head holds what a page adds to the document's head: its meta
	// description and canonical link.
	Head Head
}

// HomeProps is the portal's front page: the categories as cards, then
// the most viewed articles.
type HomeProps struct {
	Page
	Categories []store.Category
	Articles   []store.Article
}

// KBCategoryProps is a category's page with its published articles.
type KBCategoryProps struct {
	Page
	Category store.Category
	Articles []store.Article
}

// KBListProps lists the knowledge base.
type KBListProps struct {
	Page
	Articles []store.Article
}

// KBArticleProps shows one article. HTML is the article body already
// rendered from Markdown by a renderer that escapes raw HTML.
type KBArticleProps struct {
	Page
	Article store.Article
	HTML    string
	Related []ArticleLink // up to three articles about the same things
	// Category is the article's category; the zero Category for none.
	Category store.Category
	// Contents lists the article's sections for a long article; nil for a
	// short one.
	Contents []store.Section
}

// ArticleLink names an article.
type ArticleLink struct{ Slug, Title, Lang string }

// KBSearchProps shows search results for Query: articles, each with the
// sections that match.
type KBSearchProps struct {
	Page
	Query   string
	Results []SearchHit
}

// SearchHit is one article found, with its matching sections.
type SearchHit struct {
	Slug, Title, Lang string
	Sections          []SearchSection
}

// SearchSection is one matching section: its heading ("" for the opening
// of the article), its link, and a plain-text snippet with the matched
// words marked.
type SearchSection struct {
	Heading, URL string
	Snippet      []store.Segment
}

// KBFeedbackProps answers "did this answer your question?" on an article.
type KBFeedbackProps struct {
	Page
	Slug, Title string
	Helpful     bool
}

// TicketForm is the new-ticket form with what the person typed and the
// message for each invalid field.
type TicketForm struct {
	Email, Name, Subject, Body string
	Errors                     map[string]string
}

// TicketNewProps is the new-ticket page.
type TicketNewProps struct {
	Page
	Form TicketForm
}

// VerifyProps is the email verification page: first the address, then the
// code.
type VerifyProps struct {
	Page
	Email    string
	Code     string
	CodeStep bool
	Errors   map[string]string
}

// TicketListProps lists the verified customer's own tickets.
type TicketListProps struct {
	Page
	Tickets []store.Ticket
}

// TicketViewProps is one ticket with its conversation and the reply form.
type TicketViewProps struct {
	Page
	Ticket   store.Ticket
	Messages []store.Message
	Reply    string
	Errors   map[string]string
}

// PrivacyProps describes what is stored and for how long, from the actual
// configuration.
type PrivacyProps struct {
	Page
	// Notice is the owner's part: the controller, contacts, legal bases,
	// the supervisory authority. Notice.Controller is never empty.
	Notice store.PrivacyNotice
	// Site is the business's own website; "" for none.
	Site             string
	BaseURL          string
	Contact          string // the address our mail comes from; "" when unset
	CustomerIdle     time.Duration
	CustomerLifetime time.Duration
	CodeTTL          time.Duration
	// Retention periods; zero keeps that kind of data until erased.
	TicketRetention   time.Duration
	SecurityRetention time.Duration
	ChatRetention     time.Duration
	// ChatConsentVersion names the chat notice a visitor agrees to.
	ChatConsentVersion string
	// ChatModelHost is the host of the language model that phrases the
	// assistant's answers, "" when there is none.
	ChatModelHost string
	Backups       BackupNotice
	// Processors are the companies that receive personal data from us.
	Processors []Processor
	// NotifyText: reply notifications carry the reply's text.
	NotifyText bool
	// EmailChannel: customers may write to the support address.
	EmailChannel bool
	// HTTPS: the site is served over TLS (directly or by a proxy).
	HTTPS bool
	// How long the cookies a visitor may choose last: staying signed in on
	// a device, the language picked, an article's "did this help?" answer.
	DeviceFor, LanguageFor, AnsweredFor time.Duration
}

// SecurityProps is the customer-facing security page.
type SecurityProps struct {
	Page
	BaseURL    string
	MailDomain string
}

// ErrorProps is an error page. Message is safe to show to anyone.
type ErrorProps struct {
	Page
	Status    int
	Message   string
	RequestID string
}

func fieldErr(errs map[string]string, field string) string { return errs[field] }

func hasErr(errs map[string]string, field string) bool { return errs[field] != "" }

// errAttrs ties a form control to its error message (fieldError) when the
// field has one: aria-invalid, and aria-describedby naming the message
// (after the ids of any hints the control is always described by).
func errAttrs(errs map[string]string, field string, hints ...string) templ.Attributes {
	ids := strings.Join(hints, " ")
	if hasErr(errs, field) {
		ids = strings.TrimSpace(ids + " " + field + "-error")
	}
	a := templ.Attributes{}
	if ids != "" {
		a["aria-describedby"] = ids
	}
	if hasErr(errs, field) {
		a["aria-invalid"] = "true"
	}
	return a
}

func ticketURL(id int64) string { return fmt.Sprintf("/tickets/%d", id) }

// dateTime is t in ctx's language and the business's zone (i18n.Locale).
func dateTime(ctx context.Context, t time.Time) string { return i18n.From(ctx).DateTime(t) }

// isoTime is t for a <time datetime>, in the business's zone.
func isoTime(ctx context.Context, t time.Time) string { return i18n.From(ctx).ISO(t) }

// author names who wrote m, for the customer.
func author(ctx context.Context, m store.Message) string {
	switch m.AuthorType {
	case "customer":
		return i18n.T(ctx, i18n.AuthorYou)
	case "staff":
		return i18n.T(ctx, i18n.AuthorSupport)
	case "bot":
		return i18n.T(ctx, i18n.AuthorBot)
	default:
		return i18n.T(ctx, i18n.AuthorSystem)
	}
}

// statusLabel is a ticket status in the customer's words.
func statusLabel(ctx context.Context, s string) string {
	k, ok := map[string]i18n.Key{"open": i18n.StatusOpen, "pending": i18n.StatusPending,
		"solved": i18n.StatusSolved, "closed": i18n.StatusClosed}[s]
	if !ok {
		return s
	}
	return i18n.T(ctx, k)
}

// Article is a knowledge-base article as the templates see it.
type Article = store.Article

// Message is a ticket message as the templates see it.
type Message = store.Message
