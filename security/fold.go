package security

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// Text folding is the one place that decides when two pieces of text are the
// same for matching. Two strengths:
//
//   - FoldAccent, for words that must match the knowledge base's index: case
//     and the accents of Latin letters go, as FTS5's unicode61 tokenizer does
//     them, and nothing else changes.
//   - FoldLookalike and Skeleton, for detectors that someone may try to slip
//     past: they also turn compatibility forms and look-alike letters into
//     ASCII and drop invisible characters.
//
// Underneath both of the stronger ones is FoldText, which only normalises
// (Unicode compatibility forms, spaces, invisible characters) and keeps a
// map back to the original, for detectors that must point into it: the
// secret and personal data detectors (Scan) find spans in FoldText's result
// and replace those spans of what the customer typed. A detector that needs
// more adds it here, so that every detector gets it.

// foldLatin1 folds U+00C0–U+00FF to ASCII; '.' keeps the character.
const foldLatin1 = "aaaaaaaceeeeiiiidnooooo.ouuuuy.saaaaaaaceeeeiiiidnooooo.ouuuuy.y"

// FoldAccent returns r in lower case without the accent of a Latin letter
// from Latin-1 and Latin Extended-A ("É" → 'e', "ł" → 'l', "ß" → 's'), and
// any other character lower-cased.
func FoldAccent(r rune) rune {
	r = unicode.ToLower(r)
	switch {
	case r < 0xC0 || r > 0x17F:
		return r
	case r <= 0xFF:
		if c := foldLatin1[r-0xC0]; c != '.' {
			return rune(c)
		}
		return r
	}
	return foldExtendedA(r)
}

// foldExtendedA folds the lower-case letters of Latin Extended-A
// (U+0100–U+017F), which come in runs by base letter.
func foldExtendedA(r rune) rune {
	switch {
	case r <= 0x105:
		return 'a'
	case r <= 0x10D:
		return 'c'
	case r <= 0x111:
		return 'd'
	case r <= 0x11B:
		return 'e'
	case r <= 0x123:
		return 'g'
	case r <= 0x127:
		return 'h'
	case r <= 0x131:
		return 'i'
	case r >= 0x139 && r <= 0x142:
		return 'l'
	case r >= 0x143 && r <= 0x148:
		return 'n'
	case r >= 0x14C && r <= 0x151:
		return 'o'
	case r >= 0x154 && r <= 0x159:
		return 'r'
	case r >= 0x15A && r <= 0x161:
		return 's'
	case r >= 0x162 && r <= 0x167:
		return 't'
	case r >= 0x168 && r <= 0x173:
		return 'u'
	case r >= 0x179 && r <= 0x17E:
		return 'z'
	}
	return r
}

// lookAlikes are Cyrillic and Greek letters that look like Latin ones.
var lookAlikes = map[rune]rune{'а': 'a', 'е': 'e', 'о': 'o', 'р': 'p', 'с': 'c', 'у': 'y', 'х': 'x',
	'і': 'i', 'ј': 'j', 'ѕ': 's', 'ԁ': 'd', 'ɡ': 'g', 'ο': 'o', 'ι': 'i', 'α': 'a', 'ν': 'v', 'κ': 'k', 'τ': 't'}

// FoldLookalike returns the lower-case ASCII form of r where it has one
// (full-width, mathematical and circled letters and digits, Cyrillic and
// Greek look-alikes, accented Latin letters, typographic apostrophes), r
// lower-cased otherwise, or -1 for a character to drop (invisible and
// control characters, combining marks).
func FoldLookalike(r rune) rune {
	if r < utf8.RuneSelf {
		switch {
		case 'A' <= r && r <= 'Z':
			return r + 32
		case r < ' ' || r == 0x7F:
			return -1
		}
		return r
	}
	switch {
	case invisible(r), r == 0x180E,
		r >= 0x0300 && r <= 0x036F, r >= 0xFE00 && r <= 0xFE0F, r == 0x034F, unicode.IsControl(r):
		return -1
	case r >= 0xFF01 && r <= 0xFF5E: // full-width ASCII
		r -= 0xFEE0
	case r >= 0x1D400 && r <= 0x1D6A3: // mathematical letters: 13 alphabets of A–Z a–z
		r = 'a' + (r-0x1D400)%52%26
	case r >= 0x1D7CE && r <= 0x1D7FF: // mathematical digits
		r = '0' + (r-0x1D7CE)%10
	case r >= 0x24B6 && r <= 0x24E9: // circled letters
		r = 'a' + (r-0x24B6)%26
	case r == 0x2018 || r == 0x2019 || r == 0x02BC || r == 0x2032:
		r = '\''
	}
	r = FoldAccent(r)
	if a, ok := lookAlikes[r]; ok {
		return a
	}
	return r
}

// Skeleton is text normalised by FoldText with every character folded by
// FoldLookalike, the dropped ones removed and each run of white space made
// one space, with none at either end.
func Skeleton(text string) string {
	folded := FoldText(text).Text
	var b strings.Builder
	b.Grow(len(folded))
	space := true
	for _, r := range folded {
		if unicode.IsSpace(r) {
			if !space {
				b.WriteByte(' ')
				space = true
			}
			continue
		}
		if r = FoldLookalike(r); r >= 0 {
			b.WriteRune(r)
			space = false
		}
	}
	return strings.TrimSuffix(b.String(), " ")
}

// Folded is text normalised by FoldText, with the way back to the original.
type Folded struct {
	// Text is the normalised text.
	Text string
	// from[i] and to[i] are the span of the original that Text[i] came
	// from (one normalisation segment); both are nil when Text is the
	// original.
	from, to []int32
}

// FoldText normalises text for detection while keeping track of where each
// part came from: Unicode compatibility forms become their plain
// equivalents (NFKC: full-width and other compatibility digits and letters,
// ligatures, the no-break, thin and other special spaces); every other
// space separator (\p{Zs}) and the tab become a plain space; dashes (\p{Pd}
// and the minus sign) become '-'; and invisible format characters are
// dropped (zero-width space and joiners U+200B–U+200D, word joiner U+2060,
// byte order mark U+FEFF, soft hyphen, direction marks). Line breaks, the
// case of letters and other punctuation stay. ASCII text without tabs comes
// back as it is, without a copy.
func FoldText(text string) Folded {
	plain := true
	for i := 0; i < len(text) && plain; i++ {
		plain = text[i] < utf8.RuneSelf && text[i] != '\t'
	}
	if plain {
		return Folded{Text: text}
	}
	out := make([]byte, 0, len(text))
	from := make([]int32, 0, len(text))
	to := make([]int32, 0, len(text))
	var it norm.Iter
	it.InitString(norm.NFKC, text)
	for !it.Done() {
		start := it.Pos()
		seg := it.Next()
		end := it.Pos()
		for len(seg) > 0 {
			r, n := utf8.DecodeRune(seg)
			seg = seg[n:]
			switch {
			case invisible(r):
				continue
			case r == '\t' || unicode.Is(unicode.Zs, r):
				r = ' '
			case r > utf8.RuneSelf && (unicode.Is(unicode.Pd, r) || r == '\u2212'):
				r = '-'
			}
			before := len(out)
			out = utf8.AppendRune(out, r)
			for range len(out) - before {
				from, to = append(from, int32(start)), append(to, int32(end))
			}
		}
	}
	return Folded{Text: string(out), from: from, to: to}
}

// Span maps the byte span [start, end) of f.Text to the span of the
// original text it came from.
func (f Folded) Span(start, end int) (int, int) {
	if f.from == nil || start >= end {
		return start, end
	}
	return int(f.from[start]), int(f.to[end-1])
}

// invisible reports whether r is a character that shows nothing and that
// detectors skip: format characters (Cf), such as zero-width spaces and
// joiners, the byte order mark, the soft hyphen and direction marks.
func invisible(r rune) bool {
	return r >= 0x200B && r <= 0x200F || r == 0xFEFF || r == 0x00AD || unicode.Is(unicode.Cf, r)
}
