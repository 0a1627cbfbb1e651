package mail

import (
	"regexp"
	"strings"
)

// Replies carry the whole conversation below the new text, and a
// signature. TrimQuoted cuts a message at the first of these, as the
// common mail programs write them:
//
//   - Gmail and Apple Mail: "On Mon, 7 Dec 2026 at 10:02, Anna <a@example.com> wrote:"
//     (in a few languages, wrapped over up to three lines);
//   - Outlook: "-----Original Message-----", or a block of "From:", "Sent:"
//     and "Subject:" lines, often under a line of underscores;
//   - a block of "> " lines that runs to the end;
//   - the signature separator "-- ", and "Sent from my iPhone" and the like.
//
// Nothing is cut when the marker opens the message (the reply is below a
// quote), and the whole text stays with the message for staff.

var (
	attribution = regexp.MustCompile(`(?is)^(on|am|le|el|op|il|em|på|den)\s.{0,300}\s(wrote|schrieb|a écrit|escribió|schreef|ha scritto|escreveu|skrev)(\s.{0,200})?\s*:\s*$`)
	originalMsg = regexp.MustCompile(`(?i)^-{2,}\s*(original message|ursprüngliche nachricht|message d'origine|mensaje original|oorspronkelijk bericht|messaggio originale)\s*-{2,}\s*$`)
	headerFrom  = regexp.MustCompile(`(?i)^\*?(from|von|de|van|da)\s?:\*?\s`)
	headerSent  = regexp.MustCompile(`(?i)^\*?(sent|date|gesendet|datum|envoyé|verzonden|enviado|inviato)\s?:\*?\s`)
	headerSubj  = regexp.MustCompile(`(?i)^\*?(subject|betreff|objet|onderwerp|asunto|oggetto)\s?:\*?\s`)
	underscores = regexp.MustCompile(`^_{10,}\s*$`)
	sentFrom    = regexp.MustCompile(`(?i)^(sent from my \w+|get outlook for \w+|von meinem \w+ gesendet|envoyé de mon \w+)`)
)

// TrimQuoted returns text without the quoted history and signature of a
// reply (see above), or text itself when nothing is to cut or all of it
// would go.
func TrimQuoted(text string) string {
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	seen := false // a line of the reply's own before this one
	for i, l := range lines {
		t := strings.TrimSpace(l)
		if seen && quoteStarts(lines, i) {
			if out := strings.TrimSpace(strings.Join(lines[:i], "\n")); out != "" {
				return out
			}
		}
		if t != "" && !strings.HasPrefix(t, ">") {
			seen = true
		}
	}
	return strings.TrimSpace(text)
}

// quoteStarts reports whether the history or signature starts at line i.
func quoteStarts(lines []string, i int) bool {
	l := strings.TrimRight(lines[i], " \t\r")
	t := strings.TrimSpace(l)
	switch {
	case l == "--" || l == "-- " || lines[i] == "-- ":
		return true
	case originalMsg.MatchString(t), sentFrom.MatchString(t):
		return true
	case underscores.MatchString(t) && i+1 < len(lines) && headerFrom.MatchString(strings.TrimSpace(lines[i+1])):
		return true
	case headerFrom.MatchString(t) && outlookBlock(lines[i+1:]):
		return true
	case strings.HasPrefix(t, ">") && onlyQuotes(lines[i:]):
		return true
	}
	// An attribution may be wrapped over three lines.
	joined := t
	for j := i; j < i+3 && j < len(lines); j++ {
		if j > i {
			joined += " " + strings.TrimSpace(lines[j])
		}
		if attribution.MatchString(joined) {
			return true
		}
	}
	return false
}

// outlookBlock reports whether the lines after a "From:" line hold the
// rest of Outlook's header block: a date and a subject within six lines.
func outlookBlock(rest []string) bool {
	var sent, subject bool
	for j := 0; j < 6 && j < len(rest); j++ {
		t := strings.TrimSpace(rest[j])
		sent = sent || headerSent.MatchString(t)
		subject = subject || headerSubj.MatchString(t)
	}
	return sent && subject
}

// onlyQuotes reports whether every non-empty line is quoted.
func onlyQuotes(lines []string) bool {
	for _, l := range lines {
		if t := strings.TrimSpace(l); t != "" && !strings.HasPrefix(t, ">") {
			return false
		}
	}
	return true
}
