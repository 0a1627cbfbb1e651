package llm

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"unicode/utf8"
)

// Reason names why the model's answer was not used. The insight page
// counts them.
type Reason string

// Reasons.
const (
	ReasonTimeout       Reason = "timeout"        // no answer in time
	ReasonUnreachable   Reason = "unreachable"    // no connection
	ReasonStatus        Reason = "status"         // an error status or a redirect
	ReasonTooLarge      Reason = "too_large"      // the response passed the size cap
	ReasonBadJSON       Reason = "bad_json"       // not the JSON asked for
	ReasonUnknownSource Reason = "unknown_source" // cites a section it was not given, or none
	ReasonRefusal       Reason = "refusal"        // refused, filtered or empty
	ReasonNoSections    Reason = "no_sections"    // nothing to answer from: not asked
)

// Used is what the insight page counts for an answer the model wrote.
const Used = "used"

// Reasons lists every Reason, in the order the insight page shows them.
var Reasons = []Reason{ReasonTimeout, ReasonUnreachable, ReasonStatus, ReasonTooLarge, ReasonBadJSON, ReasonUnknownSource, ReasonRefusal, ReasonNoSections}

// failure is an error with its Reason.
type failure struct {
	reason Reason
	format bool // a ReasonStatus failure whose error names response_format
	msg    string
}

func (f *failure) Error() string { return "llm: " + string(f.reason) + ": " + f.msg }

func failf(r Reason, format string, args ...any) error {
	return &failure{reason: r, msg: fmt.Sprintf(format, args...)}
}

// ReasonOf names why err made the answer fall back; "" for nil, and
// ReasonUnreachable for an error that is not the client's.
func ReasonOf(err error) Reason {
	var f *failure
	switch {
	case err == nil:
		return ""
	case errors.As(err, &f):
		return f.reason
	}
	return ReasonUnreachable
}

// maxAnswer is the longest answer shown, in characters.
const maxAnswer = 1500

// modelAnswer is the JSON the model is asked for.
type modelAnswer struct {
	Answer  string   `json:"answer"`
	Sources []string `json:"sources"`
}

// check turns the model's response into an answer, or says why it cannot
// be shown: every cited id must be among secs, and the text is made plain
// (no HTML, no Markdown links, no URL but a /kb/ link of site).
func check(resp chatResponse, secs []Section, site *url.URL) (Answer, error) {
	if len(resp.Choices) == 0 {
		return Answer{}, failf(ReasonBadJSON, "no choices")
	}
	ch := resp.Choices[0]
	if ch.Message.Refusal != "" || ch.FinishReason == "content_filter" {
		return Answer{}, failf(ReasonRefusal, "the model refused")
	}
	var ma modelAnswer
	if err := json.Unmarshal([]byte(unfence(ch.Message.Content)), &ma); err != nil {
		return Answer{}, failf(ReasonBadJSON, "answer is not the JSON asked for: %v", err)
	}
	sent := map[string]bool{}
	var allowedText strings.Builder
	for _, s := range secs {
		sent[s.ID] = true
		allowedText.WriteString(s.Text + "\n")
	}
	var a Answer
	seen := map[string]bool{}
	for _, id := range ma.Sources {
		id = strings.TrimSpace(id)
		if !sent[id] {
			return Answer{}, failf(ReasonUnknownSource, "cites a section it was not given")
		}
		if !seen[id] {
			seen[id] = true
			a.Sources = append(a.Sources, id)
		}
	}
	if len(a.Sources) == 0 {
		return Answer{}, failf(ReasonUnknownSource, "cites no section")
	}
	a.Text = plain(ma.Answer, site, allowedText.String())
	switch n := utf8.RuneCountInString(a.Text); {
	case n == 0:
		return Answer{}, failf(ReasonRefusal, "empty answer")
	case n > maxAnswer:
		return Answer{}, failf(ReasonTooLarge, "answer of %d characters", n)
	}
	return a, nil
}

// unfence removes a code fence, and any words before the first { or after
// the last }, that some models put around JSON.
func unfence(s string) string {
	if t := strings.TrimSpace(s); strings.HasPrefix(t, "```") && strings.HasSuffix(t, "```") && len(t) > 6 {
		s = t[3 : len(t)-3] // the language word after the fence goes with the words before the {
	}
	if i, j := strings.IndexByte(s, '{'), strings.LastIndexByte(s, '}'); i >= 0 && j > i {
		s = s[i : j+1]
	}
	return s
}

var (
	// scriptBlock is an element whose content is code, dropped whole.
	scriptBlock = regexp.MustCompile(`(?is)<(script|style|iframe|object|template)\b.*?(?:</\s*(?:script|style|iframe|object|template)\s*>|$)`)
	// htmlTag is any tag or comment.
	htmlTag = regexp.MustCompile(`(?s)<!--.*?(?:-->|$)|</?[a-zA-Z][^>]*>?`)
	// mdLink is a Markdown link or image: only its text stays.
	mdLink = regexp.MustCompile(`!?\[([^\]]*)\]\([^)]*\)|!?\[([^\]]*)\]\[[^\]]*\]`)
	// mdMarks are Markdown emphasis, code and heading marks.
	mdMarks = regexp.MustCompile("\\*\\*|__|`+|(?m)^\\s{0,3}#{1,6}\\s+|(?m)^\\s*>\\s?")
	// token is a run of non-space characters, tested as a link.
	token = regexp.MustCompile(`\S+`)
	// bareHost is a domain name, maybe with a port and a path.
	bareHost = regexp.MustCompile(`(?i)^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,24}(?::\d+)?(?:[/?#].*)?$`)
	// email is an email address.
	email = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[a-zA-Z]{2,}$`)
	// spaces are runs of spaces and tabs left behind.
	spaces = regexp.MustCompile(`[ \t]{2,}|[ \t]+([.,;:!?)])|\(\s*\)`)
)

// plain makes the model's text plain: code elements and tags go, Markdown
// links become their text, and any URL other than a /kb/ link of site (or
// email address the sections do not hold) is removed.
func plain(s string, site *url.URL, sections string) string {
	s = scriptBlock.ReplaceAllString(s, "")
	s = htmlTag.ReplaceAllString(s, "")
	s = mdLink.ReplaceAllString(s, "$1$2")
	s = mdMarks.ReplaceAllString(s, "")
	s = token.ReplaceAllStringFunc(s, func(t string) string {
		core := strings.TrimLeft(t, "([{\"'«“‘")
		lead := t[:len(t)-len(core)]
		core = strings.TrimRight(core, ")]}\"'».,;:!?”’")
		trail := t[len(lead)+len(core):]
		if core == "" || keepToken(core, site, sections) {
			return t
		}
		return lead + strings.TrimLeft(trail, ")]}\"'»”’")
	})
	s = spaces.ReplaceAllStringFunc(s, func(m string) string {
		switch {
		case strings.HasPrefix(m, "("):
			return ""
		case strings.TrimLeft(m, " \t") != "":
			return strings.TrimLeft(m, " \t")
		}
		return " "
	})
	return strings.TrimSpace(s)
}

// keepToken reports whether a word may stay: anything that is not a link,
// a /kb/ link of this help centre, or an email address the sections hold.
func keepToken(t string, site *url.URL, sections string) bool {
	lower := strings.ToLower(t)
	switch {
	case strings.HasPrefix(lower, "/kb/") || lower == "/kb":
		return true
	case strings.Contains(t, "@"):
		return !email.MatchString(t) || strings.Contains(sections, t)
	case strings.HasPrefix(t, "/") && len(t) > 1, strings.HasPrefix(lower, "www."):
		return false
	case strings.Contains(lower, "://"):
		u, err := url.Parse(t)
		return err == nil && site != nil && (u.Scheme == "http" || u.Scheme == "https") &&
			strings.EqualFold(u.Host, site.Host) && u.User == nil && (u.Path == "/kb" || strings.HasPrefix(u.Path, "/kb/"))
	case schemeLike(lower):
		return false
	}
	return !bareHost.MatchString(t)
}

// schemeLike reports whether t starts like a URL without slashes:
// "javascript:", "data:", "mailto:", "tel:".
func schemeLike(t string) bool {
	for _, p := range []string{"javascript:", "data:", "mailto:", "tel:", "file:", "vbscript:", "sms:"} {
		if strings.HasPrefix(t, p) {
			return true
		}
	}
	return false
}
