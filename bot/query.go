package bot

import (
	"math"
	"sort"
	"strings"
	"unicode/utf8"
)

// group is one idea of a question: the visitor's word or phrase, and the
// stems that count as finding it, each with how strongly (1 for the word
// itself in any language, less for a synonym, a corrected typo or a part of
// a compound).
type group struct {
	word   string
	alts   []alt
	weight float64 // inverse section frequency, less for a weak word
	known  bool    // some section or title has one of alts
	weak   bool
}

type alt struct {
	stem string
	f    float64
}

// Strengths of the ways a group is found.
const (
	synonymStrength = 0.8 // a synonym from the rules
	typoStrength    = 0.8 // the knowledge base's word closest to a typo
	partStrength    = 0.7 // a word the visitor's word is part of, or a part of it
	weakFactor      = 0.25
)

// query is a question prepared for the index.
type query struct {
	groups []group
	total  float64 // sum of the weights
	known  float64 // share of the weight in groups the knowledge base has
	asks   intent
	lang   string // the question's language, as far as its words tell
}

// parse turns a question into weighted groups over idx.
func (r *retriever) parse(idx *index, text string) query {
	toks := words(text)
	q := query{lang: detectLanguage(toks, r.rules.stop, idx.siteLang)}
	var cue map[string]bool
	q.asks, cue = askedFor(sentence(text))
	seen := map[string]bool{}
	for i := 0; i < len(toks); i++ {
		g, n := r.phraseGroup(toks, i)
		i += n - 1
		if g.word == "" {
			t := toks[i]
			if r.stopword(t) || cue[t] || utf8.RuneCountInString(t) > 40 {
				continue
			}
			if parts := splitMixed(t); parts != nil && r.rules.synonyms[t] == nil {
				toks = append(toks[:i], append(parts, toks[i+1:]...)...)
				t = toks[i]
			}
			g = r.wordGroup(idx, t)
			if g.alts == nil {
				if parts := idx.vocab.parts(t); parts != nil {
					toks = append(toks[:i], append(parts, toks[i+1:]...)...)
					i--
					continue
				}
				for _, w := range idx.vocab.containing(t, 3) {
					g.alts = append(g.alts, stemAlts(idx, w, partStrength)...)
				}
			}
		}
		if len(g.alts) == 0 {
			// A word the knowledge base does not have: it still weighs, so
			// that a question about something else is not answered.
			g.alts = []alt{{stem: "\x00" + g.word, f: 1}}
		}
		if seen[g.alts[0].stem] {
			continue
		}
		seen[g.alts[0].stem] = true
		g.weak = g.weak || r.rules.weak[g.word] || isNumber(g.word)
		q.groups = append(q.groups, g)
	}
	r.weigh(idx, &q)
	return q
}

// stopword reports whether t is a stopword in English (the rules) or in any
// other language the assistant reads.
func (r *retriever) stopword(t string) bool {
	if r.rules.stop[t] {
		return true
	}
	for _, l := range languages[1:] {
		if stopIn[l][t] {
			return true
		}
	}
	return false
}

// phraseGroup finds the longest synonym phrase of the rules at toks[i] and
// returns its group and how many tokens it takes, or an empty group.
func (r *retriever) phraseGroup(toks []string, i int) (group, int) {
	for k := min(r.rules.maxPhrase, len(toks)-i); k >= 1; k-- {
		key := strings.Join(toks[i:i+k], " ")
		syn, ok := r.rules.synonyms[key]
		if !ok {
			continue
		}
		g := group{word: key}
		for _, w := range toks[i : i+k] {
			if !r.stopword(w) {
				g.alts = append(g.alts, alt{stem: stemIn(langEN, w), f: 1})
			}
		}
		for _, w := range syn {
			if !r.rules.stop[w] {
				g.alts = append(g.alts, alt{stem: stemIn(langEN, w), f: synonymStrength})
			}
		}
		return g, k
	}
	return group{}, 1
}

// wordGroup is the group of one word: its stems in every language that the
// knowledge base has, its synonyms, else the word it is most likely a typo
// of. alts is nil when nothing matches.
func (r *retriever) wordGroup(idx *index, t string) group {
	g := group{word: t}
	g.alts = stemAlts(idx, t, 1)
	if len(g.alts) == 0 {
		if c := idx.vocab.correct(t); c != "" {
			g.alts = stemAlts(idx, c, typoStrength)
			t = c
		}
	}
	syn := r.rules.synonyms[t]
	if syn == nil {
		syn = r.rules.stemSynonyms[stemIn(langEN, t)]
	}
	for _, w := range syn {
		if !r.rules.stop[w] {
			if a := stemAlts(idx, w, synonymStrength); len(a) > 0 {
				g.alts = append(g.alts, a[0])
			}
		}
	}
	return g
}

// stemAlts returns the stems of w, in every language and as the knowledge
// base stemmed it, that some section or title has.
func stemAlts(idx *index, w string, f float64) []alt {
	var out []alt
	add := func(st string) {
		for _, a := range out {
			if a.stem == st {
				return
			}
		}
		if idx.has(st) {
			out = append(out, alt{stem: st, f: f})
		}
	}
	if v := idx.vocab.words[w]; v != nil {
		for _, st := range v.stems {
			add(st)
		}
	}
	for _, l := range languages {
		add(stemIn(l, w))
	}
	if f == 1 && len(out) > 0 {
		// Another form of the word that the stemmers did not reduce to the
		// same stem ("retour" and "retourn"): a stem that starts with this
		// one, or that this one starts with, of five letters or more.
		for _, a := range out[:len(out):len(out)] {
			for _, st := range idx.stemsWithPrefix(a.stem) {
				add2(&out, idx, st, partStrength)
			}
			for k := 5; k < len(a.stem); k++ {
				add2(&out, idx, a.stem[:k], partStrength)
			}
		}
	}
	return out
}

// add2 adds st to alts with strength f unless it is there or unknown.
func add2(alts *[]alt, idx *index, st string, f float64) {
	for _, a := range *alts {
		if a.stem == st {
			return
		}
	}
	if idx.has(st) {
		*alts = append(*alts, alt{stem: st, f: f})
	}
}

// stemsWithPrefix returns the index's stems longer than p that start with
// it, for a p of five letters or more.
func (idx *index) stemsWithPrefix(p string) []string {
	if len(p) < 5 {
		return nil
	}
	i := sort.SearchStrings(idx.stems, p)
	var out []string
	for ; i < len(idx.stems) && strings.HasPrefix(idx.stems[i], p) && len(out) < 4; i++ {
		if idx.stems[i] != p {
			out = append(out, idx.stems[i])
		}
	}
	return out
}

// has reports whether a section or a title has the stem.
func (idx *index) has(st string) bool {
	return len(idx.postings[st]) > 0 || len(idx.titles[st]) > 0
}

// df is the number of sections with the stem, or whose article has it in
// the title.
func (idx *index) df(st string) int {
	n := len(idx.postings[st])
	for _, a := range idx.titles[st] {
		n += int(idx.arts[a].n)
	}
	return min(n, len(idx.secs))
}

// weigh sets each group's weight: the inverse frequency, over sections, of
// its most common stem found with full strength (or of any, for a group
// found only through synonyms or corrections); a word the knowledge base
// does not have weighs like the rarest.
func (r *retriever) weigh(idx *index, q *query) {
	n := float64(len(idx.secs))
	idf := func(d float64) float64 { return math.Log(1 + (n-d+0.5)/(d+0.5)) }
	q.total, q.known = 0, 0
	for i := range q.groups {
		g := &q.groups[i]
		df, full := -1, false
		for _, a := range g.alts {
			if !idx.has(a.stem) {
				continue
			}
			g.known = true
			d := idx.df(a.stem)
			if a.f == 1 && (!full || d > df) {
				df, full = d, true
			} else if !full && d > df {
				df = d
			}
		}
		if df < 0 {
			df = 0
		}
		g.weight = idf(float64(df))
		if g.weak {
			g.weight *= weakFactor
		}
		// A synonym or a correction counts no more than it is itself
		// specific: "number" for "serial no" says little.
		for j := range g.alts {
			if a := &g.alts[j]; a.f < 1 && idx.has(a.stem) {
				a.f = math.Min(a.f, idf(float64(idx.df(a.stem)))/g.weight)
			}
		}
		q.total += g.weight
		if g.known {
			q.known += g.weight
		}
	}
	if q.total > 0 {
		q.known /= q.total
	}
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
