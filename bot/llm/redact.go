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

// kindPlaceholders name each kind of security.Scan's findings.
var kindPlaceholders = map[security.Kind]string{
	security.KindCard: "[card number removed]", security.KindIBAN: "[IBAN removed]", security.KindSSN: "[SSN removed]",
	security.KindPassword: "[password removed]", security.KindOTP: "[code removed]", security.KindAPIKey: "[API key removed]",
	security.KindPrivateKey: "[private key removed]", security.KindEmail: "[email address removed]",
	security.KindPhone: "[phone number removed]",
}

var (
	// streetAddress finds a street with its number in the usual orders:
	// "12 Baker Street", "12 rue de la Paix", "Hauptstraße 5", "Kerkstraat 12a",
	// "Calle Mayor 3".
	streetAddress = regexp.MustCompile(`(?i)\b\d{1,5}[a-z]?,?\s+(?:[\p{L}'.-]+\s+){0,3}(?:street|st|road|rd|avenue|ave|lane|ln|drive|dr|boulevard|blvd|way|court|ct|place|pl|square|sq|close|crescent|terrace|parkway|highway|hwy)\b\.?` +
		`|\b\d{1,5}[a-z]?,?\s+(?:rue|avenue|boulevard|chemin|allée|impasse|place|calle|avenida|via|viale|piazza)\s+(?:[\p{L}'-]+\s*){1,4}` +
		`|(?:\b(?:calle|avenida|via|rue)\s+)?[\p{L}-]*(?:straße|strasse|str\.|weg|gasse|platz|allee|ring|damm|straat|laan|gracht|plein|kade|dijk|singel)\s+\d{1,5}\s?[a-z]?\b` +
		`|\b(?:calle|avenida|via)\s+(?:[\p{L}'-]+\s+){1,3}\d{1,5}\b`)
	// postcode finds postcodes of the shapes that cannot be mistaken for an
	// ordinary number: British, Dutch, Canadian (case matters here).
	postcode = regexp.MustCompile(`\b[A-Z]{1,2}\d[A-Z\d]?\s?\d[A-Z]{2}\b|\b\d{4}\s?[A-Z]{2}\b|\b[A-Z]\d[A-Z]\s?\d[A-Z]\d\b`)
	// addressCue finds an address given in words ("I live at", "my address
	// is", "deliver to"), up to the end of the sentence, when what follows
	// holds a number.
	addressCue = regexp.MustCompile(`(?i)\b(?:my (?:home |postal |delivery |shipping )?address(?: is|:)|i live (?:at|in)|deliver(?:ed)? (?:it )?to|ship(?:ped)? (?:it )?to|send (?:it )?to|meine adresse(?: ist|:)|mijn adres(?: is|:)|mon adresse(?: est|:)|mi dirección(?: es|:))\s+([^.!?\n]*\d[^.!?\n]*)`)
	// orderNumber finds an order, invoice or tracking number given with its
	// word, and a standalone "#12345".
	orderNumber = regexp.MustCompile(`(?i)\b(?:order|invoice|tracking|parcel|shipment|package|reference|ref|receipt|customer|account|bestellung|bestellnummer|rechnung|commande|facture|pedido|factura|bestelling|factuur)\s*(?:number|no\.?|nr\.?|num|n°|nummer|numéro|número|id|code)?\s*(?:is\s+|was\s+|ist\s+|est\s+|es\s+|:\s*|#\s*)?([A-Z0-9][A-Z0-9/_-]{3,})\b` +
		`|#\s?\d{4,}\b|\b[A-Z]{2,4}-?\d{5,}\b`)
	// opaque is a long run of letters and digits: a key, token or
	// reference of some kind, whatever its format.
	opaque = regexp.MustCompile(`[A-Za-z0-9_-]{20,}`)
	// nameCue finds a name the visitor gives: "my name is Ada Lovelace",
	// "I'm Ada", "this is Ada", "call me Ada", and in the other languages.
	nameCue = regexp.MustCompile(`(?i)\b(?:my name is|my name's|name:|call me|this is|i am|i'm|ich bin|mein name ist|ich heiße|je suis|je m'appelle|mon nom est|me llamo|soy|mi nombre es|ik ben|mijn naam is|ik heet)\s+`)
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
	text := replaceKnown(question, known)
	var b strings.Builder
	last := 0
	for _, f := range security.Scan(text) {
		b.WriteString(text[last:f.Start])
		b.WriteString(kindPlaceholders[f.Kind])
		last = f.End
	}
	b.WriteString(text[last:])
	text = b.String()
	text = addressCue.ReplaceAllStringFunc(text, func(m string) string {
		sub := addressCue.FindStringSubmatchIndex(m)
		return m[:sub[2]] + placeholderAddress
	})
	text = opaque.ReplaceAllStringFunc(text, func(t string) string {
		if strings.ContainsAny(t, "0123456789") && strings.ContainsFunc(t, unicode.IsLetter) {
			return placeholderKey
		}
		return t
	})
	text = streetAddress.ReplaceAllString(text, placeholderAddress)
	text = postcode.ReplaceAllString(text, placeholderAddress)
	text = replaceGroupOr(orderNumber, text, placeholderOrder, func(v string) bool { return strings.ContainsAny(v, "0123456789") })
	return redactNames(text)
}

// replaceGroupOr replaces re's first group where it matched (and keep
// accepts it), or the whole match where the pattern has no group there.
func replaceGroupOr(re *regexp.Regexp, text, with string, keep func(string) bool) string {
	var b strings.Builder
	last := 0
	for _, m := range re.FindAllStringSubmatchIndex(text, -1) {
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
	for _, m := range nameCue.FindAllStringIndex(text, -1) {
		if en := nameAt(text, m[1]); en > m[1] {
			spans = append(spans, [2]int{m[1], en})
		}
	}
	if st, en := signedName(text); st >= 0 {
		spans = append(spans, [2]int{st, en})
	}
	if len(spans) == 0 {
		return text
	}
	slices.SortFunc(spans, func(a, b [2]int) int { return a[0] - b[0] })
	var b strings.Builder
	last := 0
	for _, s := range spans {
		if s[0] < last {
			continue
		}
		b.WriteString(text[last:s[0]])
		b.WriteString(placeholderName)
		last = s[1]
	}
	b.WriteString(text[last:])
	return b.String()
}

// nameAt returns the end of up to three capitalised words that start at i,
// or i when the first is not one or is a word that is not a name.
func nameAt(text string, i int) int {
	end, pos := i, i
	for range 3 {
		w, next := wordAt(text, pos)
		r, _ := utf8.DecodeRuneInString(w)
		if w == "" || !unicode.IsUpper(r) || notNames[strings.ToLower(w)] {
			break
		}
		end = next
		if !strings.HasPrefix(text[end:], " ") {
			break
		}
		pos = end + 1
	}
	return end
}

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
	for _, cue := range []string{"thanks", "thank you", "regards", "cheers", "best", "greetings", "danke", "grüße", "gruß", "merci", "cordialement", "gracias", "saludos", "groeten", "groetjes", "bedankt"} {
		low := strings.ToLower(t)
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
	return unicode.IsLetter(r)
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
	for i, p := range parts {
		parts[i] = regexp.QuoteMeta(p)
	}
	re, err := regexp.Compile(`(?i)(^|[^\p{L}\p{N}])(?:` + strings.Join(parts, "|") + `)($|[^\p{L}\p{N}])`)
	if err != nil {
		return text // quoted literals always compile
	}
	// A match consumes the character after it, so repeat for neighbours.
	for range 3 {
		next := re.ReplaceAllString(text, "${1}"+placeholderKnown+"${2}")
		if next == text {
			break
		}
		text = next
	}
	return text
}
