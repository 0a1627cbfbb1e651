package bot

// stem reduces a lower-case word to its Porter stem exactly as SQLite's FTS5
// "porter" tokenizer does, so that the bot's own term statistics (coverage,
// passages, the kb_vocab document frequencies) line up with what FTS5 indexed.
// Like FTS5 it leaves words shorter than 3 or longer than 64 bytes alone and
// works on bytes, so non-ASCII letters simply count as consonants.
func stem(w string) string {
	if len(w) < 3 || len(w) > 64 {
		return w
	}
	var buf [64 + 8]byte
	b := append(buf[:0], w...)
	b = stemStep1(b)
	b = stemStep2(b)
	b = stemStep3(b)
	b = stemStep4(b)
	b = stemStep5(b)
	if string(b) == w {
		return w
	}
	return string(b)
}

func isVowel(c byte, yIsVowel bool) bool {
	return c == 'a' || c == 'e' || c == 'i' || c == 'o' || c == 'u' || (yIsVowel && c == 'y')
}

// gobbleVC skips one vowel run followed by one consonant and returns the index
// just after that consonant, or 0 when there is no such VC. prevCons says
// whether the byte before b was a consonant (it decides whether y is a vowel).
func gobbleVC(b []byte, prevCons bool) int {
	cons := prevCons
	i := 0
	for ; i < len(b); i++ {
		if cons = !isVowel(b[i], cons); !cons {
			break
		}
	}
	for i++; i < len(b); i++ {
		if cons = !isVowel(b[i], cons); cons {
			return i + 1
		}
	}
	return 0
}

// measureGt0, measureGt1 and measureEq1 are Porter's conditions m>0, m>1, m=1.
func measureGt0(b []byte) bool { return gobbleVC(b, false) != 0 }

func measureGt1(b []byte) bool {
	n := gobbleVC(b, false)
	return n != 0 && gobbleVC(b[n:], true) != 0
}

func measureEq1(b []byte) bool {
	n := gobbleVC(b, false)
	return n != 0 && gobbleVC(b[n:], true) == 0
}

// hasVowel is Porter's *v*. As in FTS5, y counts as a vowel anywhere but first.
func hasVowel(b []byte) bool {
	for i, c := range b {
		if isVowel(c, i > 0) {
			return true
		}
	}
	return false
}

// endsCVC is Porter's *o: consonant, vowel, consonant, the last not w, x or y.
func endsCVC(b []byte) bool {
	n := len(b)
	if n == 0 || b[n-1] == 'w' || b[n-1] == 'x' || b[n-1] == 'y' {
		return false
	}
	mask, cons := 0, false
	for _, c := range b {
		cons = !isVowel(c, cons)
		mask <<= 1
		if cons {
			mask |= 1
		}
	}
	return mask&7 == 5
}

func hasSuffix(b []byte, s string) bool {
	return len(b) > len(s) && string(b[len(b)-len(s):]) == s
}

// rule is one suffix rewrite: when b ends in from and the stem before it
// meets cond, from becomes to.
type rule struct {
	from, to string
	cond     func([]byte) bool
}

// applyFirst applies the first rule whose suffix matches (whether or not its
// condition holds, the search stops there, as in Porter's definition).
func applyFirst(b []byte, rules []rule) []byte {
	for _, r := range rules {
		if !hasSuffix(b, r.from) {
			continue
		}
		st := b[:len(b)-len(r.from)]
		if r.cond == nil || r.cond(st) {
			return append(st, r.to...)
		}
		return b
	}
	return b
}

func stemStep1(b []byte) []byte {
	// 1a
	if n := len(b); b[n-1] == 's' {
		switch {
		case b[n-2] == 'e' && ((n > 4 && b[n-4] == 's' && b[n-3] == 's') || (n > 3 && b[n-3] == 'i')):
			b = b[:n-2]
		case b[n-2] == 'e':
			b = b[:n-1]
		case b[n-2] != 's':
			b = b[:n-1]
		}
	}
	// 1b
	stripped := false
	switch {
	case hasSuffix(b, "eed"):
		if measureGt0(b[:len(b)-3]) {
			b = b[:len(b)-1]
		}
	case hasSuffix(b, "ed") && hasVowel(b[:len(b)-2]):
		b, stripped = b[:len(b)-2], true
	case hasSuffix(b, "ing") && hasVowel(b[:len(b)-3]):
		b, stripped = b[:len(b)-3], true
	}
	if stripped {
		n := len(b)
		switch {
		case hasSuffix(b, "at") || hasSuffix(b, "bl") || hasSuffix(b, "iz"):
			b = append(b, 'e')
		case n >= 2 && !isVowel(b[n-1], false) && b[n-1] != 'l' && b[n-1] != 's' && b[n-1] != 'z' && b[n-1] == b[n-2]:
			b = b[:n-1]
		case measureEq1(b) && endsCVC(b):
			b = append(b, 'e')
		}
	}
	// 1c
	if n := len(b); n > 0 && b[n-1] == 'y' && hasVowel(b[:n-1]) {
		b[n-1] = 'i'
	}
	return b
}

// Step 2 to 4 rules are grouped by the last-but-one letter, as in FTS5: only
// the group of that letter is searched.
var step2 = map[byte][]rule{
	'a': {{"ational", "ate", measureGt0}, {"tional", "tion", measureGt0}},
	'c': {{"enci", "ence", measureGt0}, {"anci", "ance", measureGt0}},
	'e': {{"izer", "ize", measureGt0}},
	'g': {{"logi", "log", measureGt0}},
	'l': {{"bli", "ble", measureGt0}, {"alli", "al", measureGt0}, {"entli", "ent", measureGt0}, {"eli", "e", measureGt0}, {"ousli", "ous", measureGt0}},
	'o': {{"ization", "ize", measureGt0}, {"ation", "ate", measureGt0}, {"ator", "ate", measureGt0}},
	's': {{"alism", "al", measureGt0}, {"iveness", "ive", measureGt0}, {"fulness", "ful", measureGt0}, {"ousness", "ous", measureGt0}},
	't': {{"aliti", "al", measureGt0}, {"iviti", "ive", measureGt0}, {"biliti", "ble", measureGt0}},
}

var step3 = map[byte][]rule{
	'a': {{"ical", "ic", measureGt0}},
	's': {{"ness", "", measureGt0}},
	't': {{"icate", "ic", measureGt0}, {"iciti", "ic", measureGt0}},
	'u': {{"ful", "", measureGt0}},
	'v': {{"ative", "", measureGt0}},
	'z': {{"alize", "al", measureGt0}},
}

func measureGt1ST(b []byte) bool {
	n := len(b)
	return n > 0 && (b[n-1] == 's' || b[n-1] == 't') && measureGt1(b)
}

var step4 = map[byte][]rule{
	'a': {{"al", "", measureGt1}},
	'c': {{"ance", "", measureGt1}, {"ence", "", measureGt1}},
	'e': {{"er", "", measureGt1}},
	'i': {{"ic", "", measureGt1}},
	'l': {{"able", "", measureGt1}, {"ible", "", measureGt1}},
	'n': {{"ant", "", measureGt1}, {"ement", "", measureGt1}, {"ment", "", measureGt1}, {"ent", "", measureGt1}},
	'o': {{"ion", "", measureGt1ST}, {"ou", "", measureGt1}},
	's': {{"ism", "", measureGt1}},
	't': {{"ate", "", measureGt1}, {"iti", "", measureGt1}},
	'u': {{"ous", "", measureGt1}},
	'v': {{"ive", "", measureGt1}},
	'z': {{"ize", "", measureGt1}},
}

func stepGroup(b []byte, groups map[byte][]rule) []byte {
	if len(b) < 2 {
		return b
	}
	return applyFirst(b, groups[b[len(b)-2]])
}

func stemStep2(b []byte) []byte { return stepGroup(b, step2) }
func stemStep3(b []byte) []byte { return stepGroup(b, step3) }
func stemStep4(b []byte) []byte { return stepGroup(b, step4) }

func stemStep5(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == 'e' {
		st := b[:n-1]
		if measureGt1(st) || (measureEq1(st) && !endsCVC(st)) {
			b = st
		}
	}
	if n := len(b); n > 1 && b[n-1] == 'l' && b[n-2] == 'l' && measureGt1(b[:n-1]) {
		b = b[:n-1]
	}
	return b
}
