package web

import (
	"regexp"
	"strings"
	"time"

	"safedesk/store"
	"safedesk/templates/i18n"
	"safedesk/web/monitor"
)

// The parts of a chat's transcript as the store writes it into a request
// (in English, for staff), read from the store's own wording.
var (
	transcriptHeadRe = regexp.MustCompile("^" + strings.Replace(regexp.QuoteMeta(store.TranscriptHead), "%s", "(.+?)", 1))
	transcriptLineRe = regexp.MustCompile(`(?m)^\[(\d\d:\d\d)\] (` + transcriptAuthorNames() + `): `)
	transcriptNoteRe = regexp.MustCompile(`(?m)^    \(article: (/kb/\S+)\)$`)
)

// transcriptAuthors are the transcript's names of authors, with the
// portal's.
var transcriptAuthors = map[string]i18n.Key{
	store.TranscriptAuthors[store.ChatAuthorVisitor]: i18n.AuthorYou,
	store.TranscriptAuthors[store.ChatAuthorBot]:     i18n.AuthorBot,
	store.TranscriptAuthors[store.ChatAuthorAgent]:   i18n.AuthorSupport,
	store.TranscriptAuthors[store.ChatAuthorSystem]:  i18n.AuthorSystem,
}

// transcriptAuthorNames is the store's names of authors as alternatives
// of a regular expression.
func transcriptAuthorNames() string {
	var names []string
	for _, n := range store.TranscriptAuthors {
		names = append(names, regexp.QuoteMeta(n))
	}
	return strings.Join(names, "|")
}

// localTranscript shows a request's message in l's language when it is
// the transcript of the chat the request came from: its heading, the
// authors, the article notes and the site's own lines. Anything else is
// returned as it is.
func localTranscript(l i18n.Locale, m store.Message) string {
	head := transcriptHeadRe.FindStringSubmatch(m.Body)
	if l.Lang == i18n.Default || m.AuthorType != "system" || head == nil {
		return m.Body
	}
	started := head[1]
	if t, err := time.Parse(store.TranscriptTime, head[1]); err == nil {
		started = l.DateTime(t)
	}
	body := l.T(i18n.TranscriptHead, started) + m.Body[len(head[0]):]
	body = transcriptLineRe.ReplaceAllStringFunc(body, func(s string) string {
		p := transcriptLineRe.FindStringSubmatch(s)
		return "[" + p[1] + "] " + l.T(transcriptAuthors[p[2]]) + ": "
	})
	body = transcriptNoteRe.ReplaceAllString(body, "    ("+l.T(i18n.TranscriptArticle, "${1}")+")")
	body = strings.ReplaceAll(body, store.TranscriptOmitted, l.T(i18n.TranscriptOmitted))
	return monitor.LocalLines(l, localPlaceholders(l, body))
}
