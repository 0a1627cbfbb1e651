// Package i18n holds the customer-facing text of the portal, the chat and
// customer mail in every language the site speaks (store.Languages, the
// codes the assistant uses too), and formats dates and times for a
// language in the business's time zone.
//
// A message is a Key, a Go constant (keys.go), so a key that does not exist
// does not compile; its texts in every language sit on one row of the
// catalog (catalog*.go). A text takes fmt arguments (%s, %d); a text whose
// key ends in HTML is trusted markup from the catalog (its arguments are
// escaped), and one whose key ends in Count has two forms, one and other,
// separated by "|". TestCatalog holds every row to these rules.
package i18n

import (
	"context"
	"fmt"
	"html"
	"strings"
	"time"

	"github.com/a-h/templ"
	"golang.org/x/text/language"

	"safedesk/store"
)

// Default is the language used when nothing else decides: English.
const Default = "en"

// Languages are the codes of the languages the catalogs hold, in the
// order the switcher offers them: the site's languages (store.Languages).
var Languages = store.Languages

// Names are the languages' own names, for the switcher.
var Names = map[string]string{"en": "English", "de": "Deutsch", "fr": "Français", "es": "Español", "nl": "Nederlands"}

// Supported reports whether code is one of Languages.
func Supported(code string) bool { return store.ValidLanguage(code) }

// Locale is a language and the business's time zone: how a page, a chat or
// a mail speaks and shows times.
type Locale struct {
	Lang string         // one of Languages
	Zone *time.Location // the business's zone (--timezone)
	// Site is the site's language (the settings page): that of what the
	// owner writes, such as categories and articles without a language
	// of their own; "" when not known (Default).
	Site string
}

// ContentLang is the language of content written in lang ("" for the
// site's): what its lang attribute says.
func (l Locale) ContentLang(lang string) string {
	switch {
	case lang != "":
		return lang
	case l.Site != "":
		return l.Site
	}
	return Default
}

// New is the locale of lang in zone; an unknown lang is Default, a nil
// zone UTC.
func New(lang string, zone *time.Location) Locale {
	if !Supported(lang) {
		lang = Default
	}
	if zone == nil {
		zone = time.UTC
	}
	return Locale{Lang: lang, Zone: zone}
}

// text is k's text in l's language.
func (l Locale) text(k Key) string {
	if int(k) < 0 || int(k) >= len(catalog) {
		return ""
	}
	return catalog[k].in(l.Lang)
}

// T is k's text with args.
func (l Locale) T(k Key, args ...any) string {
	s := l.text(k)
	if len(args) == 0 {
		return s
	}
	return fmt.Sprintf(s, args...)
}

// N is the form of k (a Count key) for n, with n as the first argument
// and args after it.
func (l Locale) N(k Key, n int, args ...any) string {
	one, other, _ := strings.Cut(l.text(k), "|")
	form := other
	if pluralOne(l.Lang, n) {
		form = one
	}
	return fmt.Sprintf(form, append([]any{n}, args...)...)
}

// Form is the form of k (a Count key whose forms name a thing without
// its number, "card number|card numbers") for n.
func (l Locale) Form(k Key, n int) string {
	one, other, _ := strings.Cut(l.text(k), "|")
	if pluralOne(l.Lang, n) {
		return one
	}
	return other
}

// HTML is k's text (an HTML key: markup of our own) with args escaped.
func (l Locale) HTML(k Key, args ...any) string {
	s := l.text(k)
	if len(args) == 0 {
		return s
	}
	esc := make([]any, len(args))
	for i, a := range args {
		if str, ok := a.(string); ok {
			esc[i] = html.EscapeString(str)
		} else {
			esc[i] = a
		}
	}
	return fmt.Sprintf(s, esc...)
}

// pluralOne reports whether n takes the "one" form in lang: French says
// "0 article" and "1 article", the others only "1".
func pluralOne(lang string, n int) bool {
	if lang == "fr" {
		return n == 0 || n == 1
	}
	return n == 1
}

type ctxKey struct{}

// fallback is the locale of a context that carries none: English, UTC.
var fallback = Locale{Lang: Default, Zone: time.UTC}

// With returns ctx carrying l.
func With(ctx context.Context, l Locale) context.Context {
	return context.WithValue(ctx, ctxKey{}, l)
}

// From is the locale ctx carries: English in UTC when none.
func From(ctx context.Context) Locale {
	if l, ok := ctx.Value(ctxKey{}).(Locale); ok {
		return l
	}
	return fallback
}

// T is k's text in ctx's language.
func T(ctx context.Context, k Key, args ...any) string { return From(ctx).T(k, args...) }

// N is k's form for n in ctx's language (Locale.N).
func N(ctx context.Context, k Key, n int, args ...any) string { return From(ctx).N(k, n, args...) }

// HTML is k's markup in ctx's language, args escaped, as a component.
func HTML(ctx context.Context, k Key, args ...any) templ.Component {
	return templ.Raw(From(ctx).HTML(k, args...))
}

// matcher matches Accept-Language against Languages.
var matcher = language.NewMatcher([]language.Tag{language.English, language.German, language.French, language.Spanish, language.Dutch})

// Choose chooses the language of a request: chosen (the switcher's
// cookie) when it is one of Languages, else the best match of
// acceptLanguage (an Accept-Language header). It reports false when
// neither names a language we speak: the site's default applies.
func Choose(chosen, acceptLanguage string) (string, bool) {
	if Supported(chosen) {
		return chosen, true
	}
	if acceptLanguage == "" {
		return "", false
	}
	tags, _, err := language.ParseAcceptLanguage(acceptLanguage)
	if err != nil || len(tags) == 0 {
		return "", false
	}
	_, i, conf := matcher.Match(tags...)
	if conf == language.No {
		return "", false
	}
	return Languages[i], true
}
