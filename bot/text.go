package bot

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"safedesk/security"
)

// keptWords is words(text) to keep for as long as the rules live: a slice
// of its exact length and strings of their own, not words' scratch
// capacity (16 words, and each word's builder).
func keptWords(text string) []string {
	ws := slices.Clone(words(text))
	for i, w := range ws {
		ws[i] = strings.Clone(w)
	}
	return ws
}

// words splits text into lower-case word tokens the way FTS5's unicode61
// tokenizer (remove_diacritics 2) does: letters and digits form words,
// everything else separates them, and common Latin accents are removed
// (security.FoldAccent). An apostrophe is dropped rather than splitting, so
// "what's" is "whats" and "can't" is "cant", which is how customers type
// them anyway; after a French elided word it splits ("d'acide" is "d",
// "acide"). A percent sign is the word "percent".
func words(text string) []string {
	out := make([]string, 0, 16)
	var b strings.Builder
	flush := func() {
		if b.Len() > 0 {
			out = append(out, b.String())
			b.Reset()
		}
	}
	for i := 0; i < len(text); {
		r, n := utf8.DecodeRuneInString(text[i:])
		i += n
		switch {
		case r < utf8.RuneSelf && ('a' <= r && r <= 'z' || '0' <= r && r <= '9'):
			b.WriteRune(r)
		case r < utf8.RuneSelf && 'A' <= r && r <= 'Z':
			b.WriteRune(r + 'a' - 'A')
		case r == '\'' || r == '’':
			// Inside a word: skip, except after a French elided article or
			// pronoun ("l'", "d'", "qu'"), which is a word of its own.
			if elided[b.String()] {
				flush()
			}
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(security.FoldAccent(r))
		case r == '%':
			flush()
			out = append(out, "percent") // "10%" and "10 percent" are one thing
		default:
			flush()
		}
	}
	flush()
	return out
}

// elided are the French words that drop their vowel before one that starts
// with a vowel ("l'article", "n'étais", "qu'il").
var elided = map[string]bool{"c": true, "d": true, "j": true, "l": true, "m": true, "n": true, "s": true, "t": true, "qu": true,
	"jusqu": true, "lorsqu": true, "puisqu": true, "quoiqu": true}

// sentence is a single-spaced copy of text folded by security.FoldAccent,
// with punctuation turned into spaces except the characters rules care about
// ('@', '#', '-', '.' and '/' are kept) and apostrophes dropped, padded with
// one space at either end so that a rule can look for " word ".
func sentence(text string) string {
	var b strings.Builder
	b.Grow(len(text) + 2)
	b.WriteByte(' ')
	space := true
	for _, r := range text {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(security.FoldAccent(r))
			space = false
		case r == '\'' || r == '’':
		case r == '@' || r == '#' || r == '-' || r == '.' || r == '/':
			b.WriteRune(r)
			space = false
		default:
			if !space {
				b.WriteByte(' ')
				space = true
			}
		}
	}
	if !space {
		b.WriteByte(' ')
	}
	return b.String()
}

// clauses splits text into clauses at question and exclamation marks,
// commas, semicolons, colons, line breaks and full stops that end a sentence
// (a stop inside "bob.smith@example.com" or "2.5" does not), each returned
// as a sentence() string.
func clauses(text string) []string {
	var out []string
	start := 0
	add := func(end int) {
		if s := sentence(text[start:end]); len(s) > 2 {
			out = append(out, s)
		}
	}
	for i := 0; i < len(text); i++ {
		switch c := text[i]; c {
		case '?', '!', ',', ';', ':', '\n':
		case '.':
			if i+1 < len(text) && text[i+1] != ' ' && text[i+1] != '\n' {
				continue
			}
		default:
			continue
		}
		add(i)
		start = i + 1
	}
	add(len(text))
	return out
}

// splitMixed splits a token of digits followed by letters or letters
// followed by digits ("1kg", "v60") at the change, or returns nil.
func splitMixed(t string) []string {
	for i := 1; i < len(t); i++ {
		a, b := t[i-1], t[i]
		if isDigit(a) != isDigit(b) && isAlnum(a) && isAlnum(b) {
			rest := splitMixed(t[i:])
			if rest == nil {
				rest = []string{t[i:]}
			}
			return append([]string{t[:i]}, rest...)
		}
	}
	return nil
}

func isAlnum(c byte) bool { return isDigit(c) || 'a' <= c && c <= 'z' }
