package bot

import (
	"regexp"
	"strings"

	"safedesk/security"
)

// Probe is an attempt to make the bot misbehave or leak data: a prompt
// injection, a claim of authority, a request for other people's data or for
// the service's secrets, or an injection payload.
type Probe struct {
	// Category is one of security's injection categories, or "secrets" for a
	// request for the service's credentials or configuration.
	Category string
	// Rule names what matched, for the security log. It never quotes the
	// message.
	Rule string
}

// probeRule is one of the bot's own probe signatures. They cover what a
// chat assistant is asked and a generic detector does not: prompt-format
// markers, the service's secrets, other people's conversations and records,
// and bulk exports.
type probeRule struct {
	category string
	name     string
	re       *regexp.Regexp
	// except, found in the match, makes it no probe ("my api key", "all my
	// invoices", "the number of the customer service").
	except *regexp.Regexp
	// inside limits except to the match itself.
	inside bool
	// raw rules run on the lower-cased message with its punctuation; the
	// others on the sentence form (see sentence).
	raw bool
}

const (
	peopleWords = `(customer|customers|user|users|person|people|client|clients|member|members|account holder|buyer|buyers|visitor|visitors|someone else|somebody else|anyone else|everyone|everybody)`
	recordWords = `(email|emails|e-mail|email address|email addresses|address|addresses|phone|phone number|phone numbers|number|numbers|name|names|details|data|password|passwords|card|cards|card number|card numbers|orders?|tickets?|messages?|conversations?|chats?|questions?|history|invoices?|payments?|refunds?|info|information)`
	bulkNouns   = `(tickets|refunds|orders|customers|users|clients|addresses|email addresses|emails|names|card numbers|cards|payments|invoices|accounts|phone numbers|messages|conversations|chats|sessions|session tokens|tokens|passwords|password hashes|records|transcripts|people)`
)

var probeRules = []probeRule{
	{category: "override", name: "prompt role marker", raw: true,
		re: regexp.MustCompile(`(^|[\s>\])}"'` + "`" + `])(system|assistant|ai|bot|developer|admin|operator)\s*:\s*\S|</?\s*(system|assistant|article|user|instructions?|prompt|context|im_start|im_end|s)\s*>|\[/?(inst|system)\]|<\|[a-z_]+\|>`)},
	{category: "override", name: "end of message marker",
		re: regexp.MustCompile(`\b(end of (the )?(user |customer |visitor )?(message|input|prompt|conversation|instructions|context))\b|\bnew (instruction|instructions|task|rules?|directive|system message)s? (from|is|are)\b`)},
	{category: "override", name: "ignore the above",
		re: regexp.MustCompile(`\b(ignore|disregard|forget|skip) (the|all the|everything|anything|all) (above|before|earlier|previous|prior|said|written|text above|instructions|rules)\b|\b(ignore|disregard) (your|the|these|those) (rules|instructions|guidelines|policy|policies)\b`)},
	{category: "secrets", name: "service credentials",
		re:     regexp.MustCompile(`\b(smtp|imap|database|db|sql|admin|administrator|root|server|system|master|encryption|signing|api|secret|private|session|oauth|ssh|aws|stripe|webhook|backend|hosting)( [a-z]+)? (password|passwords|passwd|key|keys|token|tokens|credentials?|secrets?|hash|hashes)\b`),
		except: regexp.MustCompile(`\bmy (own )?(api|private|session)\b`)},
	{category: "secrets", name: "configuration",
		re: regexp.MustCompile(`\b(print|show|reveal|dump|display|give|send|tell|output|leak|cat|read)( me| us)?( all| the| your| its| of)* (config|configuration|env|environment|environment variables|env vars|settings file|source code|server logs|logs|internal (settings|config|configuration|files|data)|backend)\b` +
			`|\b(environment|env) (variables|vars)\b|\bconfig(uration)? files?\b|\bwhat (is|are|s) (in )?your (config|configuration|source code|settings)\b`)},
	{category: "enumeration", name: "another person's records",
		re: regexp.MustCompile(`\b` + recordWords + ` (of|for|from|belonging to|owned by) (the|a|an|another|other|that|this|every|each|all|any|some) (other )?` + peopleWords + `\b` +
			`|\b(what|whats|what s|tell me|give me|show me|send me|reveal|find|look up|lookup)( is| are| was| were)?( the)? (their|his|her) ` + recordWords + `\b` +
			`|\b(other|another|different) ` + peopleWords + `s? ` + recordWords + `\b` +
			`|\b(someone|somebody|anyone|everyone|everybody) elses? ` + recordWords + `\b`),
		except: regexp.MustCompile(`\b(customer|user|client) (service|support|care|team|portal|area|account page|number)\b`)},
	{category: "enumeration", name: "who is behind a record",
		re: regexp.MustCompile(`\bwho( [a-z]+){0,2} (opened|placed|made|wrote|created|filed|submitted|sent|owns|raised) (the |this |that )?(ticket|tickets|order|orders|request|case|complaint|message|account)\b` +
			`|\b(which|what) (customers?|users?|people|clients|buyers|persons)( [a-z]+){0,3} (ordered|bought|paid|returned|complained|opened|placed|wrote|asked|have|has|did)\b` +
			`|\bwhose (ticket|order|account|request|card|email|address|details)\b|\bwho (is|was) (the )?(customer|user|person|owner) (of|in|behind|on)\b`)},
	{category: "enumeration", name: "other conversations",
		re: regexp.MustCompile(`\b(last|previous|other|another|earlier|next|former) (person|customer|user|visitor|people|customers|users|visitors|chats?|conversations?|sessions?)( you| that you)? (talked|spoke|chatted|helped|asked|said|wrote|had|was|were)\b` +
			`|\b(other|another|previous) (peoples?|customers?|users?|visitors?) (chats?|conversations?|messages?|questions?)\b|\bwhat (did|do|have) (the )?other (people|customers|users)\b`)},
	{category: "enumeration", name: "account takeover",
		re: regexp.MustCompile(`\b(reset|change|send|give|email|mail|forward|tell)( me)? (the |a )?(password|passcode|login|reset link|password reset|password reset link|login link|sign-in link|code|verification code|2fa code)( link)? (for|of|on) (the )?(admin|administrator|root|owner|staff|another|someone|somebody|other|[a-z0-9._%+-]+@[a-z0-9.-]+)`)},
	{category: "enumeration", name: "bulk export",
		re: regexp.MustCompile(`\b(export|list|show|give|send|dump|print|download|display|get|output|extract|collect|compile|fetch|retrieve)( me| us)? (all|every|each|the last [0-9]+|the latest [0-9]+|the last|the latest|the recent|recent|the full|all the|all of the|the whole|the entire|the complete|everyone s)( [a-z-]+){0,3} ` + bulkNouns + `\b` +
			`|\b(list|show|give|dump|print|export|display|output|extract|reveal|tell)( me| us)? (every|each) (single )?(customer|user|client|email address|email|ticket|account|person|address|phone number|card number)\b`),
		except: regexp.MustCompile(`\b(my|our) `), inside: true},
}

// detectProbe checks a redacted message with security's detectors and the
// bot's own rules.
func detectProbe(text string) (Probe, bool) {
	if f, ok := security.DetectInjection(text); ok {
		return Probe{Category: string(f.Category), Rule: f.Rule}, true
	}
	if sig, ok := security.ScanPayload(text); ok {
		return Probe{Category: string(security.InjectionPayload), Rule: sig}, true
	}
	raw := strings.ToLower(text)
	var sent string
	for i := range probeRules {
		r := &probeRules[i]
		s := raw
		if !r.raw {
			if sent == "" {
				sent = sentence(text)
			}
			s = sent
		}
		if r.matches(s) {
			return Probe{Category: r.category, Rule: r.category + ": " + r.name}, true
		}
	}
	return Probe{}, false
}

// matches reports whether the rule matches s somewhere its exception does
// not also match (within the match and 20 bytes either side of it, or
// only within the match for inside rules).
func (r *probeRule) matches(s string) bool {
	for _, m := range r.re.FindAllStringIndex(s, 8) {
		if r.except == nil {
			return true
		}
		from, to := max(0, m[0]-20), min(len(s), m[1]+20)
		if r.inside {
			from, to = m[0], m[1]
		}
		if !r.except.MatchString(s[from:to]) {
			return true
		}
	}
	return false
}
