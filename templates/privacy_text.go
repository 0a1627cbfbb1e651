package templates

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/a-h/templ"

	"safedesk/store"
	"safedesk/templates/i18n"
)

// Processor is a company that handles personal data for us, as facts:
// the privacy page and the export put it into words (Words) in the
// reader's language.
type Processor struct {
	Kind ProcessorKind
	// Host is the company's host name alone (never a URL with a user or
	// port); "" when it cannot be told.
	Host string
	// Support is the address customers write to (ProcessorMailbox).
	Support string
	// NotifyText: our notifications carry the text of our replies
	// (ProcessorRelay).
	NotifyText bool
	// EmailChannel: customers may write to us by email (ProcessorRelay).
	EmailChannel bool
}

// ProcessorKind is what a processor does for us.
type ProcessorKind string

// The processors the configuration can name.
const (
	ProcessorRelay   ProcessorKind = "mail_relay" // carries the mail we send
	ProcessorMailbox ProcessorKind = "mailbox"    // holds the mail customers send us
	ProcessorModel   ProcessorKind = "ai_model"   // phrases some chat answers
)

// ProcessorWords is a processor in words: its name, what it does for us
// and what it receives.
type ProcessorWords struct{ Name, Purpose, Data string }

// Words puts p into words in l's language.
func (p Processor) Words(l i18n.Locale) ProcessorWords {
	host := p.Host
	if host == "" {
		host = l.T(i18n.ProcOurProvider)
	}
	switch p.Kind {
	case ProcessorMailbox:
		return ProcessorWords{l.T(i18n.ProcMailboxName, host), l.T(i18n.ProcMailboxPurpose, p.Support), l.T(i18n.ProcMailboxData)}
	case ProcessorModel:
		return ProcessorWords{l.T(i18n.ProcModelName, host), l.T(i18n.ProcModelPurpose), l.T(i18n.ProcModelData)}
	}
	data := l.T(i18n.ProcRelayData)
	if !p.NotifyText {
		data = l.T(i18n.ProcRelayDataNoText)
	}
	if p.EmailChannel {
		data = l.T(i18n.ProcRelayDataChannel, data)
	}
	return ProcessorWords{l.T(i18n.ProcRelayName, host), l.T(i18n.ProcRelayPurpose), data}
}

// Ladder puts a backup retention ladder (--backup-keep, "3,7d,4w,12m")
// into words in l's language: which backups are kept ("the newest 3
// backups and the newest backup of each of the last 7 days, 4 weeks and
// 12 months") and how old the oldest kept one can be ("about 12 months").
// Something it cannot read is shown as it is.
func Ladder(l i18n.Locale, keep string) (words, longest string) {
	var parts []string
	var most time.Duration
	newest := 0
	for part := range strings.SplitSeq(keep, ",") {
		part = strings.TrimSpace(part)
		if n, err := strconv.Atoi(part); err == nil && n > 0 {
			newest = n // a bare number: the newest n, whatever their age
			continue
		}
		if len(part) < 2 {
			continue
		}
		n, err := strconv.Atoi(part[:len(part)-1])
		if err != nil || n < 1 {
			return keep, keep
		}
		var key i18n.Key
		var span time.Duration
		switch part[len(part)-1] {
		case 'd':
			key, span = i18n.DaysCount, time.Duration(n)*24*time.Hour
		case 'w':
			key, span = i18n.WeeksCount, time.Duration(n)*7*24*time.Hour
		case 'm':
			key, span = i18n.MonthsCount, time.Duration(n)*31*24*time.Hour
		default:
			return keep, keep
		}
		text := l.N(key, n)
		parts = append(parts, text)
		if span > most {
			most, longest = span, l.T(i18n.LadderAbout, text)
		}
	}
	switch {
	case len(parts) == 0 && newest <= 1:
		return l.T(i18n.LadderOnlyNewest), l.T(i18n.LadderUntilNext)
	case len(parts) == 0:
		return l.N(i18n.LadderNewestCount, newest), l.N(i18n.LadderMoreCount, newest)
	}
	words = l.T(i18n.LadderEach, List(l, parts))
	if newest > 1 {
		words = l.N(i18n.LadderNewestAndCount, newest, words)
		longest = l.N(i18n.LadderOrMoreCount, newest, longest)
	}
	return words, longest
}

// List joins items as a sentence does in l's language: "a, b and c".
func List(l i18n.Locale, items []string) string {
	if len(items) < 2 {
		return strings.Join(items, "")
	}
	return l.T(i18n.ListAnd, strings.Join(items[:len(items)-1], ", "), items[len(items)-1])
}

// defaultNotice is the notice's wording until the owner writes their own:
// ours, so it is shown in the visitor's language (noticeText).
var defaultNotice = store.DefaultPrivacyNotice()

// noticeText is an owner's field of the notice in l's language: the
// owner's own words as they wrote them, our default wording translated.
func noticeText(l i18n.Locale, value string) string {
	k, ok := map[string]i18n.Key{
		defaultNotice.Authority: i18n.DefaultAuthority, defaultNotice.BasisTickets: i18n.DefaultBasisTickets,
		defaultNotice.BasisChat: i18n.DefaultBasisChat, defaultNotice.BasisEmail: i18n.DefaultBasisEmail,
		defaultNotice.BasisBackups: i18n.DefaultBasisBackups, defaultNotice.BasisSecurity: i18n.DefaultBasisSecurity,
	}[value]
	if !ok {
		return value
	}
	return l.T(k)
}

// langAttr is the lang attribute of content written in lang ("" for the
// site's language), where it differs from the page's: an article's title
// or an owner's category in a page in another language.
func langAttr(ctx context.Context, lang string) templ.Attributes {
	l := i18n.From(ctx)
	if c := l.ContentLang(lang); c != l.Lang {
		return templ.Attributes{"lang": c}
	}
	return nil
}

// retention is how long data kept for d is kept, in l's language: the
// text of k with d, or until erased when d is zero.
func retention(l i18n.Locale, d time.Duration, k i18n.Key) string {
	if d <= 0 {
		return l.T(i18n.KeepUntilErased)
	}
	return l.T(k, l.Duration(d))
}
