package llm

import (
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"safedesk/security"
)

// Placeholders that stand for what Redact removes.
const (
	placeholderKnown   = "[personal detail removed]"
	placeholderAddress = "[address removed]"
	placeholderOrder   = "[order number removed]"
	placeholderName    = "[name removed]"
	placeholderKey     = "[key removed]"
)

var (
	// postcode finds postcodes of the shapes that cannot be mistaken for an
	// ordinary number: British, Dutch, Canadian (case matters here).
	postcode = regexp.MustCompile(`\b[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}\b|\b\d{4}\s?[A-Z]{2}\b|\b[A-Z]\d[A-Z]\s?\d[A-Z]\d\b`)
	// addressCue finds an address given in words ("I live at", "my address
	// is"), up to the end of the sentence, when what follows holds a number.
	addressCue = regexp.MustCompile(`\b(?:my (?:home |postal |delivery |shipping )?address(?: is|:)|i live at|meine adresse(?: ist|:)|mijn adres(?: is|:)|mon adresse(?: est|:)|mi dirección(?: es|:))\s+([^.!?\n]*\d[^.!?\n]*)`)
	// orderNumber finds an order, invoice or tracking number given with its
	// word, and a standalone "#12345".
	orderNumber = regexp.MustCompile(`\b(?:order|invoice|tracking|parcel|shipment|package|reference|ref|receipt|customer|account|bestellung|bestellnummer|rechnung|commande|facture|pedido|factura|bestelling|factuur)\s*(?:number|no\.?|nr\.?|num|n°|nummer|numéro|número|id|code)?\s*(?:is\s+|was\s+|ist\s+|est\s+|es\s+|:\s*|#\s*)?([a-z0-9][a-z0-9/_-]{3,})\b` +
		`|#\s?\d{4,}\b|\b[a-z]{2,4}-?\d{5,}\b`)
	// opaque is a long run of letters and digits: a key, token or
	// reference of some kind, whatever its format.
	opaque = regexp.MustCompile(`[A-Za-z0-9_-]{20,}`)
	// nameCue finds a name the visitor gives: "my name is Ada Lovelace",
	// "I'm Ada", "this is Ada", "call me Ada", and in the other languages.
	nameCue = regexp.MustCompile(`\b(?:my name is|my name's|name:|call me|this is|i am|i'm|ich bin|mein name ist|ich heiße|je suis|je m'appelle|mon nom est|me llamo|soy|mi nombre es|ik ben|mijn naam is|ik heet)\s+`)
)

// notNames are capitalised words after "I am" or "this is" that are not a
// name ("I'm Looking for", "This is Urgent").
var notNames = setOf("a an the not so very just still also really trying looking wondering asking writing here back sure sorry afraid happy unhappy interested going having unable able new from in on at about with urgent important it that this what why how when where which my your our their i", " ")

func setOf(words, sep string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Split(words, sep) {
		m[w] = true
	}
	return m
}

// Redact returns question with personal data replaced by placeholders: the
// secrets, email addresses and phone numbers security.Scan finds, long
// opaque tokens (keys of any format), postal addresses, order and account numbers, names the visitor gives, and each
// of known (the verified customer's own name and address, and each part of
// the name), wherever it appears.
func Redact(question string, known []string) string {
	text := security.RedactAll(replaceKnown(question, known))
	if !strings.ContainsAny(text, "0123456789") {
		// Addresses, postcodes and order numbers all hold a digit.
		return redactNames(text)
	}
	var spans [][2]int
	for _, m := range addressCue.FindAllStringSubmatchIndex(cueText(text, addressWords), -1) {
		spans = append(spans, [2]int{m[2], m[3]})
	}
	text = replaceSpans(text, spans, placeholderAddress)
	text = opaque.ReplaceAllStringFunc(text, func(t string) string {
		if strings.ContainsAny(t, "0123456789") && strings.ContainsFunc(t, unicode.IsLetter) {
			return placeholderKey
		}
		return t
	})
	text = replaceSpans(text, streets(text), placeholderAddress)
	text = postcode.ReplaceAllString(text, placeholderAddress)
	if lower := asciiLower(text); anyIn(lower, orderWords) || strings.Contains(lower, "#") || digitRun(lower, 5) {
		text = replaceGroupOr(orderNumber, text, placeholderOrder, func(v string) bool { return strings.ContainsAny(v, "0123456789") })
	}
	return redactNames(text)
}

// Words one of which each cue pattern needs: without any, the pattern is
// not run (the patterns cost more than these lookups).
var (
	orderWords   = []string{"order", "invoice", "tracking", "parcel", "shipment", "package", "ref", "receipt", "customer", "account", "bestell", "rechnung", "commande", "facture", "pedido", "factura", "factuur"}
	addressWords = []string{"address", "adres", "live at", "direcci"}
	nameWords    = []string{"name", "call me", "this is", "i am", "i'm", "ich ", "je ", "me llamo", "soy ", "ik ", "mijn naam"}
)

// anyIn reports whether lower holds one of words.
func anyIn(lower string, words []string) bool {
	for _, w := range words {
		if strings.Contains(lower, w) {
			return true
		}
	}
	return false
}

// cueText is text with its ASCII letters in lower case, or "" when it holds
// none of words.
func cueText(text string, words []string) string {
	if lower := asciiLower(text); anyIn(lower, words) {
		return lower
	}
	return ""
}

// digitRun reports whether s has n digits in a row.
func digitRun(s string, n int) bool {
	run := 0
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			if run++; run >= n {
				return true
			}
		} else {
			run = 0
		}
	}
	return false
}

// asciiLower lower-cases the ASCII letters of s, and only those, so that
// offsets into it are offsets into s: the cue patterns are written in lower
// case, which is faster than matching without regard to case.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// replaceGroupOr replaces re's first group where it matched (and keep
// accepts it), or the whole match where the pattern has no group there.
func replaceGroupOr(re *regexp.Regexp, text, with string, keep func(string) bool) string {
	var b strings.Builder
	last := 0
	for _, m := range re.FindAllStringSubmatchIndex(asciiLower(text), -1) {
		st, en := m[0], m[1]
		if m[2] >= 0 {
			if !keep(text[m[2]:m[3]]) {
				continue
			}
			st, en = m[2], m[3]
		}
		b.WriteString(text[last:st])
		b.WriteString(with)
		last = en
	}
	b.WriteString(text[last:])
	return b.String()
}

// redactNames replaces the capitalised words after a name cue and before a
// sign-off at the end.
func redactNames(text string) string {
	var spans [][2]int
	for _, m := range nameCue.FindAllStringIndex(cueText(text, nameWords), -1) {
		if en := nameAt(text, m[1]); en > m[1] {
			spans = append(spans, [2]int{m[1], en})
		}
	}
	if st, en := signedName(text); st >= 0 {
		spans = append(spans, [2]int{st, en})
	}
	return replaceSpans(text, spans, placeholderName)
}

// nameAt returns the end of up to three capitalised words that start at i
// (with particles such as "de" or "van" between them), or i when the first
// is not one or is a word that is not a name.
func nameAt(text string, i int) int {
	end, pos := i, i
	for n := 0; n < 3; {
		w, next := wordAt(text, pos)
		r, _ := utf8.DecodeRuneInString(w)
		switch {
		case n > 0 && particles[w] && strings.HasPrefix(text[next:], " "):
			pos = next + 1
			continue
		case w == "" || !unicode.IsUpper(r) || notNames[strings.ToLower(w)]:
			return end
		}
		n++
		end = next
		if !strings.HasPrefix(text[end:], " ") {
			break
		}
		pos = end + 1
	}
	return end
}

// particles join the parts of a name: "Jan de Vries", "Ludwig van Beethoven".
var particles = setOf("de van von der den da di le la du del della ten ter", " ")

// wordAt returns the word of letters (and ' or -) that starts at i, and
// where it ends.
func wordAt(text string, i int) (string, int) {
	j := i
	for j < len(text) {
		r, n := utf8.DecodeRuneInString(text[j:])
		if !unicode.IsLetter(r) && r != '\'' && r != '-' {
			break
		}
		j += n
	}
	return text[i:j], j
}

// signedName finds a name that ends the text after a sign-off such as
// "Thanks, Ada" or "Regards, Ada Lovelace"; -1 when there is none.
func signedName(text string) (int, int) {
	t := strings.TrimRight(text, " .!\n")
	low := strings.ToLower(t)
	if len(low) != len(t) {
		low = asciiLower(t)
	}
	for _, cue := range []string{"thanks", "thank you", "regards", "cheers", "best", "greetings", "danke", "grüße", "gruß", "merci", "cordialement", "gracias", "saludos", "groeten", "groetjes", "bedankt"} {
		i := strings.LastIndex(low, cue)
		if i < 0 || (i > 0 && isLetterBefore(low, i)) {
			continue
		}
		st := i + len(cue)
		for st < len(t) && strings.ContainsRune(",!. -–—\n", rune(t[st])) {
			st++
		}
		if st < len(t) && st > i+len(cue) {
			if en := nameAt(t, st); en == len(t) {
				return st, en
			}
		}
	}
	return -1, -1
}

func isLetterBefore(s string, i int) bool {
	r, _ := utf8.DecodeLastRuneInString(s[:i])
	return unicode.IsLetter(r) || unicode.IsDigit(r)
}

// replaceKnown replaces each known value, and each word of two letters or
// more of a known name, wherever it appears as a whole word, ignoring case.
func replaceKnown(text string, known []string) string {
	var parts []string
	for _, k := range known {
		k = strings.TrimSpace(k)
		if utf8.RuneCountInString(k) < 2 {
			continue
		}
		parts = append(parts, k)
		if !strings.Contains(k, "@") {
			for _, w := range strings.Fields(k) {
				if w = strings.Trim(w, ".,"); utf8.RuneCountInString(w) >= 2 {
					parts = append(parts, w)
				}
			}
		}
	}
	if len(parts) == 0 {
		return text
	}
	// Longest first, so that "Ada Lovelace" goes before "Ada".
	slices.SortFunc(parts, func(a, b string) int { return len(b) - len(a) })
	var b strings.Builder
	last := 0
	for i := 0; i < len(text); {
		if i == 0 || !isLetterBefore(text, i) {
			if n := knownAt(text, i, parts); n > 0 {
				b.WriteString(text[last:i])
				b.WriteString(placeholderKnown)
				i += n
				last = i
				continue
			}
		}
		_, n := utf8.DecodeRuneInString(text[i:])
		i += n
	}
	b.WriteString(text[last:])
	return b.String()
}

// knownAt returns the length of the first of parts that text has at i as
// a whole word (ignoring case), or 0.
func knownAt(text string, i int, parts []string) int {
	for _, p := range parts {
		end := i + len(p)
		if end > len(text) || !strings.EqualFold(text[i:end], p) {
			continue
		}
		if r, _ := utf8.DecodeRuneInString(text[end:]); end == len(text) || !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			return len(p)
		}
	}
	return 0
}
