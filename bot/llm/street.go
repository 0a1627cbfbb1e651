package llm

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Words that make a street: after its name and number ("221B Baker
// Street"), before its name after the number ("12 rue de la Paix"), at the
// end of the name before the number ("Hauptstraße 5", "Kerkstraat 12"), or
// before the name and the number ("Calle Mayor 3").
var (
	streetAfter  = setOf("street st road rd avenue ave lane ln drive dr boulevard blvd way court ct place pl square sq close crescent terrace parkway highway hwy", " ")
	streetBefore = setOf("rue avenue boulevard chemin allée impasse place calle avenida via viale piazza", " ")
	streetSuffix = []string{"straße", "strasse", "str", "weg", "gasse", "platz", "allee", "damm", "straat", "laan", "gracht", "plein", "kade", "dijk", "singel"}
	streetLead   = setOf("calle avenida via", " ")
)

// word is a run of letters and digits in a text.
type word struct {
	s          string // lower case
	start, end int
}

// splitWords returns text's words; a sentence mark between two words is
// kept as a word of its own, so that a street does not run past it.
func splitWords(text string) []word {
	var out []word
	start := -1
	for i, r := range text {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			out = append(out, word{strings.ToLower(text[start:i]), start, i})
			start = -1
		}
		if strings.ContainsRune(".,;:!?()\n", r) {
			out = append(out, word{string(r), i, i + utf8.RuneLen(r)})
		}
	}
	if start >= 0 {
		out = append(out, word{strings.ToLower(text[start:]), start, len(text)})
	}
	return out
}

// houseNumber reports whether w is a house number: up to five digits and
// at most one letter ("12", "221b").
func houseNumber(w string) bool {
	digits := 0
	for i, r := range w {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case i == len(w)-1 && digits > 0 && unicode.IsLetter(r):
		default:
			return false
		}
	}
	return digits > 0 && digits <= 5
}

func nameWord(w string) bool {
	r, _ := utf8.DecodeRuneInString(w)
	return unicode.IsLetter(r)
}

// streets returns the spans of street addresses in text.
func streets(text string) [][2]int {
	ws := splitWords(text)
	var out [][2]int
	for i, w := range ws {
		switch {
		case streetAfter[w.s]:
			// A number up to four name words back: "221B Baker Street".
			for k := i - 1; k >= 0 && k >= i-4; k-- {
				if houseNumber(ws[k].s) {
					out = append(out, [2]int{ws[k].start, w.end})
					break
				}
				if !nameWord(ws[k].s) {
					break
				}
			}
		case i > 0 && houseNumber(ws[i-1].s) && streetBefore[w.s]:
			// "12 rue de la Paix": the name runs up to four words on.
			end := w.end
			for k := i + 1; k < len(ws) && k <= i+4 && nameWord(ws[k].s); k++ {
				end = ws[k].end
			}
			out = append(out, [2]int{ws[i-1].start, end})
		case i+1 < len(ws) && houseNumber(ws[i+1].s) && hasStreetSuffix(w.s):
			out = append(out, [2]int{w.start, ws[i+1].end})
		case streetLead[w.s]:
			// "Calle Mayor 3".
			for k := i + 1; k < len(ws) && k <= i+4; k++ {
				if houseNumber(ws[k].s) {
					out = append(out, [2]int{w.start, ws[k].end})
					break
				}
				if !nameWord(ws[k].s) {
					break
				}
			}
		}
	}
	return out
}

func hasStreetSuffix(w string) bool {
	for _, suf := range streetSuffix {
		if strings.HasSuffix(w, suf) {
			return true
		}
	}
	return false
}

// replaceSpans replaces each span of text with with; overlapping spans
// become one.
func replaceSpans(text string, spans [][2]int, with string) string {
	if len(spans) == 0 {
		return text
	}
	slices.SortFunc(spans, func(a, b [2]int) int { return a[0] - b[0] })
	var b strings.Builder
	last := 0
	for _, sp := range spans {
		if sp[1] <= last {
			continue
		}
		b.WriteString(text[last:max(last, sp[0])])
		b.WriteString(with)
		last = sp[1]
	}
	b.WriteString(text[last:])
	return b.String()
}
