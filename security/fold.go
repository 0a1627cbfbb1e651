package security

import (
	"strings"
	"unicode"
	"unicode/utf8"
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
// A detector that needs more (compatibility normalisation of whole strings,
// separators inside numbers) adds it to Skeleton, so that every detector
// gets it.

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
	case r >= 0x200B && r <= 0x200F, r >= 0x2060 && r <= 0x2064, r == 0xFEFF, r == 0x00AD, r == 0x180E,
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

// Skeleton is text with every character folded by FoldLookalike, the
// dropped ones removed and each run of white space made one space, with
// none at either end.
func Skeleton(text string) string {
	var b strings.Builder
	b.Grow(len(text))
	space := true
	for _, r := range text {
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
