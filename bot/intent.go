package bot

import (
	"regexp"
	"strings"

	"safedesk/security"
)

// The structural rules below find requests about the visitor's own data.
// They work on the clauses of a message (see clauses), each a lower-case,
// space-padded string without punctuation.
const (
	// ownNouns are things of a customer's that only they may see or change.
	ownNouns = `(account|acount|accounts|order|orders|subscription|subscriptions|sub|card|cards|payment|payments|` +
		`invoice|invoices|bill|bills|refund|refunds|return|returns|ticket|tickets|request|requests|case|cases|complaint|` +
		`email|e-mail|mail|email address|address|addresses|password|details|profile|gift card|giftcard|voucher|balance|` +
		`delivery|deliveries|parcel|parcels|package|packages|shipment|history|phone number|number|name|plan|` +
		`membership|two-step|two-step sign-in|2fa|sign-in|login|wallet|loyalty|discount|purchase|purchases)`
	// ticketNouns make a private request about support requests.
	ticketNouns = `(ticket|tickets|request|requests|case|cases|complaint|support request|support ticket)`
	// actionVerbs, at the start of a clause, order the bot to do something.
	actionVerbs = `(cancel|change|update|edit|modify|amend|refund|delete|remove|erase|close|deactivate|pause|resume|` +
		`restart|unpause|stop|skip|resend|send|reissue|put|add|apply|set|switch|move|turn off|turn on|disable|enable|` +
		`reset|unlock|look up|lookup|check|show|tell|give|list|find|confirm|merge|transfer|upgrade|downgrade|process|` +
		`replace|reactivate|block|unblock|track|open|read|display|fetch|pull up|bring up)`
	// politeLead may come before an order: "please", "can you", "I want you to".
	politeLead = `((please|pls|plz|kindly|hi|hey|hello|ok|okay|so|and|now|just|also|then|can you|could you|would you|` +
		`will you|can u|could u|i want you to|i need you to|i would like you to|id like you to|go ahead and|` +
		`you need to|you must|you should|i demand you|i demand that you) )*`
	// dataQuestion starts a question about the state of something.
	dataQuestion = `(what|whats|which|when|whens|where|wheres|has|have|did|is|are|was|were|how much is|how much will|` +
		`how much did|how much have|how much do i owe|any news|any update|any updates|status of)`
)

var (
	// ownRef is a reference to the visitor's own records: "my order", "my
	// open order", order and invoice numbers, "what I ordered", "on file".
	ownRef = regexp.MustCompile(`\bmy( [a-z0-9-]+){0,2} ` + ownNouns + `\b` +
		`|\b(order|invoice|ticket|request)( number| no| nr| #)? ?#?(nw-?[0-9]{4,}|npc-[0-9-]+|[0-9]{1,9})\b|\bnw-[0-9]{5,}\b|\bnpc-[0-9]{4}-[0-9]+\b` +
		`|\b(did|have|had) i (order|ordered|buy|bought|pay|paid|purchase|purchased|spend|spent)\b` +
		`|\b(you have|you hold|you keep|you ve got|you store|you have saved|you have stored|do you have) (on|about|for) me\b` +
		`|\b(on file|saved for me|stored for me|(on|about) me)\b`)
	ticketRef   = regexp.MustCompile(`\b(my( [a-z0-9-]+){0,2} ` + ticketNouns + `|(ticket|request|case)( number| no| #)? ?#?[0-9]{1,9})\b`)
	actionStart = regexp.MustCompile(`^ ` + politeLead + actionVerbs + `\b`)
	dataStart   = regexp.MustCompile(`^ ` + politeLead + `(can you |could you )?(tell me )?` + dataQuestion + `\b`)
	// howTo marks a question about doing something oneself, which the
	// knowledge base answers: "how do I cancel", "can I change…".
	howTo = regexp.MustCompile(`\b(how (do|can|could|would|should|to|does)|can i|could i|do i|should i|would i|may i|i can|is it possible|` +
		`is there a way|where (do|can|could) i|what do i|what should i|what happens|steps to)\b`)
	// ticketNumber finds a request number a visitor asks about.
	ticketNumber = regexp.MustCompile(`(?i)(?:ticket|request|case)\s*(?:number|no\.?|nr\.?)?\s*#?\s*(\d{1,9})\b|#(\d{1,9})\b`)
)

// privateRequest reports whether text asks the bot to act on, or tell about,
// the visitor's own records, and whether that is about their support
// requests (ticket status) rather than their account.
func privateRequest(text string) (private, tickets bool) {
	for _, c := range clauses(text) {
		if !ownRef.MatchString(c) {
			continue
		}
		if howTo.MatchString(c) {
			continue
		}
		if actionStart.MatchString(c) || dataStart.MatchString(c) {
			private = true
			if ticketRef.MatchString(c) {
				tickets = true
			}
		}
	}
	return private, tickets
}

// classified is the intent of a message with what led to it.
type classified struct {
	intent Intent
	scores map[Intent]float64
	// content counts the words that are neither stopwords nor part of a
	// greeting or thanks: a "hi" before a real question is a question.
	content int
}

// classify finds the intent of a (redacted) message.
func (r *Rules) classify(text string) classified {
	toks := words(text)
	used := make([]bool, len(toks))
	c := classified{intent: IntentQuestion, scores: map[Intent]float64{}}
	for _, in := range []Intent{IntentGreeting, IntentThanks} {
		if ir := r.intents[in]; ir != nil {
			c.scores[in] = ir.score(toks, used)
		}
	}
	for i, t := range toks {
		if !used[i] && !r.stop[t] {
			c.content++
		}
	}
	scratch := make([]bool, len(toks))
	for _, in := range []Intent{IntentHuman, IntentTicketStatus, IntentAccount, IntentAbuse} {
		if ir := r.intents[in]; ir != nil {
			c.scores[in] = ir.score(toks, scratch)
		}
	}
	private, tickets := privateRequest(text)
	if private {
		if tickets {
			c.scores[IntentTicketStatus] += 4
		} else {
			c.scores[IntentAccount] += 4
		}
	}
	lower := sentence(text)
	if howTo.MatchString(lower) {
		// "How do I see my tickets?" is a question about the portal.
		c.scores[IntentTicketStatus] -= 2
		c.scores[IntentAccount] -= 2
	}
	over := func(in Intent) bool {
		ir := r.intents[in]
		return ir != nil && c.scores[in] >= ir.min
	}
	switch {
	case over(IntentHuman):
		c.intent = IntentHuman
	case over(IntentTicketStatus) && c.scores[IntentTicketStatus] >= c.scores[IntentAccount]:
		c.intent = IntentTicketStatus
	case over(IntentAccount):
		c.intent = IntentAccount
	case over(IntentTicketStatus):
		c.intent = IntentTicketStatus
	case over(IntentAbuse):
		c.intent = IntentAbuse
	case c.content > 1:
		c.intent = IntentQuestion
	case over(IntentThanks) && c.scores[IntentThanks] >= c.scores[IntentGreeting]:
		c.intent = IntentThanks
	case over(IntentGreeting):
		c.intent = IntentGreeting
	case over(IntentThanks):
		c.intent = IntentThanks
	}
	return c
}

// askedTicket returns the request number a message names, or 0.
func askedTicket(text string) int64 {
	m := ticketNumber.FindStringSubmatch(text)
	if m == nil {
		return 0
	}
	s := m[1]
	if s == "" {
		s = m[2]
	}
	var n int64
	for _, d := range s {
		n = n*10 + int64(d-'0')
	}
	return n
}

// EmailMessage reports whether a chat message is nothing but an email
// address (perhaps after "my email is" or "it's"), returning the address: the
// visitor's answer when the bot asks for their address. A message that
// holds a secret is never an address, nor is a local part with ':' or '=':
// "password:P@ssw0rd.1" and "pw=S3cr3t@home.net" are passwords.
func EmailMessage(text string) (string, bool) {
	if _, found := security.Redact(text); len(found) > 0 {
		return "", false
	}
	t := strings.TrimSpace(text)
	t = strings.TrimRight(t, ".! ")
	low := strings.ToLower(t)
	for _, p := range []string{"my email address is ", "my email is ", "my address is ", "email: ", "email ", "it's ", "its ", "it is ", "sure, ", "sure ", "ok, ", "ok "} {
		if strings.HasPrefix(low, p) {
			t, low = strings.TrimSpace(t[len(p):]), low[len(p):]
		}
	}
	if strings.ContainsAny(t, " \t\n<>,;") || strings.Count(t, "@") != 1 {
		return "", false
	}
	at := strings.IndexByte(t, '@')
	if at < 1 || !strings.Contains(t[at:], ".") || len(t) > 254 || strings.ContainsAny(t[:at], ":=") {
		return "", false
	}
	return t, true
}

var codeOnly = regexp.MustCompile(`^\s*(?:(?:my |the )?code(?: is)?:?\s*)?(\d{3})[\s-]?(\d{3})\s*\.?\s*$`)

// CodeMessage reports whether a chat message is nothing but a 6-digit code
// ("123456", "123 456", "code: 123456"), returning the digits.
func CodeMessage(text string) (string, bool) {
	m := codeOnly.FindStringSubmatch(strings.ToLower(text))
	if m == nil {
		return "", false
	}
	return m[1] + m[2], true
}
