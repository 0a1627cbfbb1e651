package mail

import (
	"strings"

	"safedesk/bot"
	"safedesk/store"
)

// contentLanguages reads a Content-Language value (RFC 3282: language tags
// separated by commas) into its tags, lower case.
func contentLanguages(v string) []string {
	var out []string
	for _, t := range strings.Split(v, ",") {
		if t = strings.ToLower(strings.TrimSpace(t)); t != "" {
			out = append(out, t)
		}
	}
	return out
}

// messageLanguage is the language a customer's message is written in, which a
// ticket it opens is filed in (replies and the acknowledgment speak it):
// the first of its Content-Language tags that is one of the site's
// languages, else the language its words are in (bot.DetectLanguage),
// else "" (the caller takes the site's).
func messageLanguage(p *Parsed) string {
	for _, tag := range p.Languages {
		base, _, _ := strings.Cut(tag, "-")
		if store.ValidLanguage(base) {
			return base
		}
	}
	if l, ok := bot.DetectLanguage(p.Subject + "\n" + p.Text); ok {
		return l
	}
	return ""
}
