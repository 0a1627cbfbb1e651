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
	// Serious marks unambiguous probing: asking for other people's data,
	// conversations or bulk exports, a password reset for someone else, a
	// claimed role that demands something, or a known payload. Only serious
	// probes count against the conversation and the client. The others
	// (prompt-injection phrases, which a bot without a language model cannot
	// obey, bare claims of authority, questions about the service's secrets)
	// are declined and logged, nothing more.
	Serious bool
}

// probeRule is one of the bot's own probe signatures. They cover what a
// chat assistant is asked and a generic detector does not: prompt-format
// markers, the service's secrets, other people's conversations and records,
// and bulk exports. Each asks for something, of someone else, so that a
// customer who names the same words about their own things passes: "the
// admin password on my router", "the address of the customer on my
// invoice", "all my invoices".
type probeRule struct {
	category string
	name     string
	serious  bool
	re       *regexp.Regexp
	// except, found within the match and 20 bytes either side of it, makes
	// it no probe ("how do I …", "my …", "customer service").
	except *regexp.Regexp
	// raw rules run on the lower-cased message with its punctuation; the
	// others on the sentence form (see sentence).
	raw bool
}

const (
	peopleWords = `(customer|customers|user|users|person|people|client|clients|member|members|account holder|buyer|buyers|visitor|visitors)`
	recordWords = `(email|emails|e-mail|email address|email addresses|address|addresses|phone|phone number|phone numbers|number|numbers|name|names|details|data|password|passwords|card|cards|card number|card numbers|orders?|tickets?|messages?|conversations?|chats?|questions?|history|invoices?|payments?|refunds?|info|information)`
	// bulkNouns are records that only ever belong to other people when
	// asked for all at once.
	bulkNouns = `(customers|users|clients|members|subscribers|people|accounts|email addresses|emails|e-mail addresses|addresses|names and addresses|phone numbers|card numbers|credit cards|cards|passwords|password hashes|sessions|session tokens|tokens|transcripts|conversations|chats|personal data)`
	// personalData are the details of people that a bulk request adds.
	personalData = `(names|addresses|email addresses|emails|phone numbers|card numbers|cards|passwords|personal data|contact details)`
	askVerb      = `(show|give|send|tell|list|reveal|share|display|export|dump|print|forward|read|look up|lookup|find|fetch|get|what is|what are|whats|what s|what was|what were)( me| us)?`
	bulkVerb     = `(export|list|show|give|send|dump|print|download|display|get|output|extract|collect|compile|fetch|retrieve)( me| us)?`
	// ownOrHowTo marks a message about the writer's own things or about
	// doing something oneself.
	ownOrHowTo = `\b(my|our|mine|ours)\b|\b(how (do|can|could|would|should|to)|can i|could i|do i|where (can|do) i|is it possible|is there a way)\b`
	// resetFor asks for a password reset or a code for someone.
	resetFor    = `\b(reset|change|send|give|email|mail|forward|tell)( me)? (the |a )?(password|passcode|login|reset link|password reset|password reset link|login link|sign-in link|code|verification code|2fa code)( link)? (for|of|on) (the )?`
	serviceRefs = `(your|this (site|website|shop|store|service|server|system|bot|chatbot|help ?desk|helpdesk|app)s?|the (server|servers|site|website|service|system|bot|chatbot|help ?desk|helpdesk|backend)s?)`
)

var probeRules = []probeRule{
	// Prompt-format markers and fake turns: nothing to inject into, so
	// they are declined and logged.
	{category: "override", name: "prompt markup", raw: true,
		re: regexp.MustCompile(`<\|[a-z_]+\|>|\[/?(inst|system)\]|<</?sys>>|</\s*(system|assistant|article|user|instructions?|prompt|context)\s*>|<\s*(system|assistant|instructions?|prompt|im_start|im_end)\s*>` +
			`|(^|\n|[>\])}"'` + "`" + `]\s*)(assistant|ai|bot)\s*:\s*(sure|ok|okay|certainly|of course|here (is|are))\b`)},
	{category: "override", name: "end of message marker",
		re: regexp.MustCompile(`\bend of (the )?(user|customer|visitor) (message|input)\b|\bend of (the )?(system )?(prompt|instructions)\b` +
			`|\bnew (system message|instructions? from (the |your )?(developer|developers|system|admin|administrator))\b`)},
	{category: "override", name: "ignore the instructions",
		re: regexp.MustCompile(`\b(ignore|disregard|forget) (all |any )?(of )?(the |your )?(previous|prior|above|earlier|preceding|original|system) (instructions|rules|prompt|prompts|guidelines|directives)\b` +
			`|\b(ignore|disregard|forget) your (rules|instructions|guidelines|programming|prompt)\b`)},
	// The service's own secrets: declined and logged.
	{category: "secrets", name: "service credentials",
		re: regexp.MustCompile(`\b` + serviceRefs + `( s)? (smtp|imap|database|db|sql|admin|administrator|root|server|master|encryption|signing|api|secret|private|ssh|aws|stripe|webhook|backend|hosting|staff|internal)( [a-z]+)? (password|passwords|passwd|key|keys|token|tokens|credentials?|secrets?|hashes)\b` +
			`|\b(password|passwords|key|keys|token|tokens|credentials?|secrets?) (configured|used|stored|set up|kept) (for|by|in|on) (this|your|the) (help ?desk|helpdesk|site|website|server|service|bot|chatbot|system|shop)\b`),
		// "can your staff see passwords" asks whether customers' passwords
		// are safe, not for the staff's own.
		except: regexp.MustCompile(`\b(staff|team|admins?|administrators?|employees|developers) (see|view|read|access|know|store|keep)\b`)},
	{category: "secrets", name: "configuration",
		re: regexp.MustCompile(`\b(print|show|reveal|dump|display|give|send|tell|output|leak|cat|read)( me| us)?( all| the)*( of)? your (config|configuration|env|environment|environment variables|env vars|settings files?|config files?|source code|server logs|logs|internal (settings|config|configuration|files|data)|backend|system settings)\b` +
			`|\bwhat (is|are|s) (in )?your (config|configuration|config files?|source code|environment variables)\b|\byour (environment|env) (variables|vars)\b`)},
	// Other people's data: serious.
	{category: "enumeration", name: "another person's records", serious: true,
		re: regexp.MustCompile(`\b` + askVerb + `( the| all the| all)? ` + recordWords + ` (of|for|from|belonging to|owned by) (another|other|a different|different|every|each|all|all the|all of the|all your|any|some other|the other) ` + peopleWords + `\b` +
			`|\b` + askVerb + `( the)? ` + recordWords + ` (of|for|belonging to) (the|this|that) (other )?` + peopleWords + ` (in|on|of|behind|who|with|from)\b` +
			`|\b` + askVerb + `( the| all)? (other|another|different) ` + peopleWords + `( s)? ` + recordWords + `\b` +
			`|\b` + askVerb + `( the)? (someone|somebody|anyone|everyone|everybody) elses? ` + recordWords + `\b`),
		except: regexp.MustCompile(ownOrHowTo + `|\b(customer|user|client) (service|support|care|team|portal|area|account page)\b`)},
	{category: "enumeration", name: "who is behind a record", serious: true,
		re: regexp.MustCompile(`\bwho( [a-z]+)? (opened|placed|made|wrote|created|filed|submitted|raised|owns|sent) (the |this |that )?(ticket|order|request|case|complaint|message|account)( number| no| nr)? #?\d+` +
			`|\bwho (is|was) the (customer|user|person|owner|client) (of|behind|on|in|for) (ticket|order|request|case|account)\b` +
			`|\b(which|what) (other )?(customers|users|people|clients|buyers|persons) (ordered|bought|purchased|paid for|returned|complained|wrote|asked|opened|placed)\b`)},
	{category: "enumeration", name: "other conversations", serious: true,
		re: regexp.MustCompile(`\b(last|previous|other|another|earlier|next|former) (person|customer|user|visitor|people|customers|users|visitors)( that| who)? you (talked|spoke|chatted|helped|were talking|have talked|had)\b` +
			`|\bwhat (did|do|have) (the )?(other|previous|last) (people|customers|users|visitors|person|customer|user|visitor) (ask|asked|say|said|write|wrote|type|typed|tell)\b` +
			`|\b` + askVerb + `( the)? (other|another|previous) (people|peoples|customer|customers|user|users|visitor|visitors) (chats?|conversations?|messages?|questions?)\b`),
		except: regexp.MustCompile(ownOrHowTo)},
	{category: "enumeration", name: "account takeover", serious: true,
		re:     regexp.MustCompile(resetFor + `(admin|administrator|root|owner|staff|another|someone|somebody|other)\b`),
		except: regexp.MustCompile(ownOrHowTo)},
	{category: "enumeration", name: "password reset for an address",
		re:     regexp.MustCompile(resetFor + `[a-z0-9._%+-]+@[a-z0-9.-]+`),
		except: regexp.MustCompile(ownOrHowTo)},
	{category: "enumeration", name: "bulk export", serious: true,
		re: regexp.MustCompile(`\b` + bulkVerb + ` (all|every|each|the last [0-9]+|the latest [0-9]+|all the|all of the|all your|the full|the whole|the entire|the complete|everyones|everyone s)( [a-z-]+){0,3} ` + bulkNouns + `\b` +
			`|\b` + bulkVerb + ` (every|each) (single )?(customer|user|client|email address|email|person|phone number|card number|password)\b` +
			`|\b` + bulkVerb + ` (the |all |all the |the last [0-9]+ |the latest [0-9]+ )?([a-z]+ ){0,3}(tickets|orders|refunds|payments|invoices|messages|requests|conversations|chats) (with|including|and) (the |their |all )?` + personalData + `\b`),
		except: regexp.MustCompile(ownOrHowTo)},
}

// reply is the bot's answer to the probe: a plain refusal when it was
// serious, otherwise a reminder of what the bot does.
func (p Probe) reply(lang string) string {
	if p.Serious {
		return say(lang, "refused")
	}
	return say(lang, "declined")
}

// detectProbe checks a redacted message with security's detectors and the
// bot's own rules. A serious finding wins over any other.
func detectProbe(text string) (Probe, bool) {
	found, ok := Probe{}, false
	if f, hit := security.DetectInjection(text); hit {
		found, ok = Probe{Category: string(f.Category), Rule: f.Rule, Serious: f.Serious}, true
		if f.Serious {
			return found, true
		}
	}
	if sig, hit := security.ScanPayload(text); hit {
		return Probe{Category: string(security.InjectionPayload), Rule: sig, Serious: true}, true
	}
	raw := strings.ToLower(text)
	sent := sentence(text)
	for i := range probeRules {
		r := &probeRules[i]
		if ok && !r.serious {
			continue
		}
		s := sent
		if r.raw {
			s = raw
		}
		if r.matches(s) {
			found, ok = Probe{Category: r.category, Rule: r.category + ": " + r.name, Serious: r.serious}, true
			if r.serious {
				return found, true
			}
		}
	}
	return found, ok
}

// matches reports whether the rule matches s somewhere its exception does
// not also match (within the match and 20 bytes either side of it).
func (r *probeRule) matches(s string) bool {
	for _, m := range r.re.FindAllStringIndex(s, 8) {
		if r.except == nil || !r.except.MatchString(s[max(0, m[0]-20):min(len(s), m[1]+20)]) {
			return true
		}
	}
	return false
}
