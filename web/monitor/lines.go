package monitor

import (
	"regexp"
	"strings"

	"safedesk/bot"
	"safedesk/store"
	"safedesk/templates/i18n"
)

// The chat's lines that the site writes itself, often without the visitor
// on the page (a sweep, an agent's action): a message keeps its line's id
// and arguments (bot.Extra.Line, Args), so the visitor reads it in their
// own language, and its body in English, for staff.
const (
	LineTimedOut     = "handoff_timed_out" // nobody answered a hand-off in time
	LineIsTicket     = "chat_is_ticket"    // Args: the ticket's number
	LineAgentJoined  = "agent_joined"
	LineAgentEnded   = "agent_ended"
	LineEmailEntered = "email_entered" // Args: the address, masked
	LineCodeEntered  = "code_entered"
)

// lineKeys are the lines' texts.
var lineKeys = map[string]i18n.Key{
	LineTimedOut: i18n.ChatNobodyFreeEmail, LineIsTicket: i18n.ChatIsTicket, LineAgentJoined: i18n.ChatAgentJoined,
	LineAgentEnded: i18n.ChatAgentEnded, LineEmailEntered: i18n.ChatEmailEntered, LineCodeEntered: i18n.ChatCodeEntered,
}

// Line is a message by author of the line id with args: its body in
// English and the id in its extra part.
func Line(author, id string, args ...string) store.NewChatMessage {
	x := bot.Extra{Line: id, Args: args}
	body, _ := LineText(i18n.New(i18n.Default, nil), x)
	return store.NewChatMessage{Author: author, Body: body, Extra: x.Encode()}
}

// LineText is the text of the line x names in l's language; false when x
// names none (the message's body is the text).
func LineText(l i18n.Locale, x bot.Extra) (string, bool) {
	k, ok := lineKeys[x.Line]
	if !ok {
		return "", false
	}
	args := make([]any, len(x.Args))
	for i, a := range x.Args {
		args[i] = a
	}
	return l.T(k, args...), true
}

// englishLines are the lines' English texts as patterns, their
// arguments captured, made once.
var englishLines = func() map[i18n.Key]*regexp.Regexp {
	en := i18n.New(i18n.Default, nil)
	out := make(map[i18n.Key]*regexp.Regexp, len(lineKeys))
	for _, k := range lineKeys {
		out[k] = regexp.MustCompile(strings.ReplaceAll(regexp.QuoteMeta(en.T(k)), "%s", "(.+?)"))
	}
	return out
}()

// LocalLines puts the site's own lines in text, which holds them in
// English (a chat's transcript, copied into a request), into l's
// language.
func LocalLines(l i18n.Locale, text string) string {
	if l.Lang == i18n.Default {
		return text
	}
	for k, re := range englishLines {
		text = re.ReplaceAllStringFunc(text, func(m string) string {
			var args []any
			for _, a := range re.FindStringSubmatch(m)[1:] {
				args = append(args, a)
			}
			return l.T(k, args...)
		})
	}
	return text
}
