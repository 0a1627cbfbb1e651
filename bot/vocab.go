package bot

import (
	"math/bits"
	"sort"
	"strings"
	"unicode/utf8"
)

// vocabulary is every word the knowledge base uses, as written (folded),
// with its stems and in how many sections it occurs: what a typo is
// corrected to, and what the fallback for words no stemmer knows (compounds,
// other spellings) compares against.
type vocabulary struct {
	words  map[string]*vword
	byLen  map[int][]vref // by length in runes
	sorted []string       // every word, sorted
}

type vword struct {
	stems []string
	df    int
	langs uint8 // the languages of the articles it occurs in (langBit)
}

type vref struct {
	word string
	mask uint64 // which letters it has (a–z, digits folded onto a few bits)
}

type vocabBuilder struct{ v *vocabulary }

func newVocabBuilder() *vocabBuilder {
	return &vocabBuilder{v: &vocabulary{words: map[string]*vword{}, byLen: map[int][]vref{}}}
}

func (b *vocabBuilder) add(w, st string) {
	e := b.v.words[w]
	if e == nil {
		e = &vword{}
		b.v.words[w] = e
		n := utf8.RuneCountInString(w)
		b.v.byLen[n] = append(b.v.byLen[n], vref{word: w, mask: letterMask(w)})
	}
	e.df++
	e.langs |= langBit(st[:strings.IndexByte(st, ':')])
	for _, s := range e.stems {
		if s == st {
			return
		}
	}
	e.stems = append(e.stems, st)
}

func (b *vocabBuilder) done() *vocabulary {
	for w := range b.v.words {
		b.v.sorted = append(b.v.sorted, w)
	}
	sort.Strings(b.v.sorted)
	return b.v
}

// partDF is how common a part of a compound is: as a word of its own, or,
// at five letters or more, as the start of the knowledge base's words
// ("versand" of "versandkosten"); 0 when it is neither.
func (v *vocabulary) partDF(p string) int {
	if e := v.words[p]; e != nil {
		return e.df
	}
	if len(p) < 5 {
		return 0
	}
	n := 0
	for i := sort.SearchStrings(v.sorted, p); i < len(v.sorted) && strings.HasPrefix(v.sorted[i], p); i++ {
		n += v.words[v.sorted[i]].df
	}
	return n
}

func letterMask(w string) uint64 {
	var m uint64
	for _, r := range w {
		switch {
		case 'a' <= r && r <= 'z':
			m |= 1 << (r - 'a')
		case '0' <= r && r <= '9':
			m |= 1 << (26 + r - '0')
		default:
			m |= 1 << (36 + r%28)
		}
	}
	return m
}

// maxEdits is how many edits a word of n letters may be away from the
// knowledge base's word it is taken for: none below four letters (too many
// short words are one edit apart), one up to seven, two from eight. A swap
// of neighbouring letters ("retrun") is one edit.
func maxEdits(n int) int {
	switch {
	case n < 4:
		return 0
	case n < 8:
		return 1
	default:
		return 2
	}
}

// editBudget is the most a correction of k edits may cost: k edits, of
// which at most one is a substitution. Two letters wrong in place more
// often make another word than a typo of this one ("pretending" is not
// "preventing", "wonder" is not "wander"), while a letter left out or
// added beside one wrong is a common slip ("pasword", "adress").
func editBudget(k int) float64 {
	if k < 2 {
		return float64(k) * costSubst
	}
	return costSubst + float64(k-1)*costIndel
}

// Costs of the edits that turn a typo into the word meant. Customers more
// often leave a letter out, add one or swap two than type a wrong one, so
// of two words as many edits away, the one reached without substitutions
// is taken ("ofen" is "often", not "open").
const (
	costSwap   = 0.8
	costIndel  = 0.9
	costSubst  = 1.0
	editsSlack = 1e-9
)

// correct returns the knowledge base's word that w is most likely a typo
// of: the cheapest edits (insertions, deletions, substitutions,
// transpositions of neighbours), then the most common, among the words of
// the languages in langs that start with the same letter (or whose first
// two letters w swaps: people rarely get the first letter wrong). It
// returns "" when none is close enough. Digits are never corrected.
func (v *vocabulary) correct(w string, langs uint8) string {
	rw := []rune(w)
	n := len(rw)
	k := maxEdits(n)
	if k == 0 || isNumber(w) {
		return ""
	}
	mask := letterMask(w)
	best, bestD, bestDF := "", editBudget(k)+editsSlack, 0
	for l := n - k; l <= n+k; l++ {
		for _, c := range v.byLen[l] {
			if bits.OnesCount64(mask^c.mask) > 2*k {
				continue
			}
			e := v.words[c.word]
			if e.langs&langs == 0 || !sameStart(rw, c.word) {
				continue
			}
			d := editCost(rw, []rune(c.word), bestD)
			if d > bestD+editsSlack {
				continue
			}
			if d < bestD-editsSlack || e.df > bestDF || (e.df == bestDF && c.word < best) {
				best, bestD, bestDF = c.word, d, e.df
			}
		}
	}
	return best
}

// sameStart reports whether w and c start with the same letter, or with
// the same two letters swapped.
func sameStart(w []rune, c string) bool {
	rc := []rune(c)
	if len(rc) == 0 || len(w) == 0 {
		return false
	}
	if w[0] == rc[0] {
		return true
	}
	return len(w) > 1 && len(rc) > 1 && w[0] == rc[1] && w[1] == rc[0]
}

// editCost is the weighted optimal-string-alignment distance of a and b (a
// swap of neighbours is one edit), or more than limit when it exceeds it.
func editCost(a, b []rune, limit float64) float64 {
	if d := float64(len(a)-len(b)) * costIndel; d > limit+editsSlack || -d > limit+editsSlack {
		return limit + 1
	}
	prev2 := make([]float64, len(b)+1)
	prev := make([]float64, len(b)+1)
	cur := make([]float64, len(b)+1)
	for j := range prev {
		prev[j] = float64(j) * costIndel
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = float64(i) * costIndel
		rowMin := cur[0]
		for j := 1; j <= len(b); j++ {
			sub := costSubst
			if a[i-1] == b[j-1] {
				sub = 0
			}
			c := min(prev[j]+costIndel, cur[j-1]+costIndel, prev[j-1]+sub)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				c = min(c, prev2[j-2]+costSwap)
			}
			cur[j] = c
			rowMin = min(rowMin, c)
		}
		if rowMin > limit+editsSlack {
			return limit + 1
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}

// parts splits a word no stemmer knows into two words the knowledge base
// uses, or starts of its words ("versandkosten" → "versand", "kosten";
// "expressversand" → "express", "versand"; "giftcard" → "gift", "card"),
// allowing a linking s or e between them, as German and Dutch compounds
// have. It returns nil when there is no such split.
func (v *vocabulary) parts(w string) []string {
	if len(w) < 7 {
		return nil
	}
	best, bestDF := []string(nil), 0
	for i := 3; i <= len(w)-3; i++ {
		left, right := w[:i], w[i:]
		for _, l := range []string{left, strings.TrimSuffix(left, "s"), strings.TrimSuffix(left, "e")} {
			if len(l) < 3 {
				continue
			}
			if df := min(v.partDF(l), v.partDF(right)); df > bestDF {
				best, bestDF = []string{l, right}, df
			}
		}
	}
	return best
}

// containing returns up to max words of the knowledge base that start or
// end with w (a word of at least five letters no stemmer knows), most
// common first: "versand" finds "versandkosten", "kosten" finds
// "versandkosten" too. This is the language-independent fallback for
// compounds.
func (v *vocabulary) containing(w string, max int) []string {
	n := utf8.RuneCountInString(w)
	if n < 5 {
		return nil
	}
	type hit struct {
		w  string
		df int
	}
	var hits []hit
	for l, refs := range v.byLen {
		if l < n+3 {
			continue
		}
		for _, c := range refs {
			if strings.HasPrefix(c.word, w) || strings.HasSuffix(c.word, w) {
				hits = append(hits, hit{c.word, v.words[c.word].df})
			}
		}
	}
	for i := 1; i < len(hits); i++ {
		for j := i; j > 0 && (hits[j].df > hits[j-1].df || hits[j].df == hits[j-1].df && hits[j].w < hits[j-1].w); j-- {
			hits[j], hits[j-1] = hits[j-1], hits[j]
		}
	}
	var out []string
	for i := 0; i < len(hits) && i < max; i++ {
		out = append(out, hits[i].w)
	}
	return out
}
