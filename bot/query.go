package bot

import (
	"math"
	"slices"
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
	neg    bool // it is, or has as a synonym, a word of negation ("outside")
	place  bool // a country or a city (places.go)
}

type alt struct {
	stem   string   // a term; for a phrase, its terms joined by "+"
	phrase []string // the terms of a phrase, all of which must be found
	f      float64
	ids    []int32 // the places of its terms in index.stems (query.setIDs)
	// translated marks a concept's word in another language (concepts.go),
	// whose specificity is its own language's business, not the question's.
	translated bool
}

// Strengths of the ways a group is found.
const (
	synonymStrength = 0.8 // a synonym from the rules
	typoStrength    = 0.8 // the knowledge base's word closest to a typo
	partStrength    = 0.7 // a word the visitor's word is part of, or a part of it
	// formStrength is for another form of the word that stems
	// differently ("retourneren" and "retour"). It was 0.7; 0.95 ranks one
	// more question of the tuning half first and 0.5 percentage points more
	// of the example questions taken out (TestTuneExamples), and keeps the
	// development set's figure (0.85 and 1.0 do less).
	formStrength = 0.95
	// otherFormStrength is for a word none of whose own stems the knowledge
	// base has, found as another form ("loyal" for "loyalty"): a guess.
	otherFormStrength = 0.5
	phrasePart        = 0.5 // one word of a phrase of the question found alone
	weakFactor        = 0.25
)

// query is a question prepared for the index.
type query struct {
	groups []group
	total  float64 // sum of the weights
	known  float64 // share of the weight in groups the knowledge base has
	asks   intent
	lang   string  // the question's language, as far as its words tell
	langs  uint8   // the languages its stopwords tell (allLangs when none)
	after  float64 // a time the question says has passed ("after 8 months"), in minutes, or 0
	top    int     // the heaviest group the knowledge base has, or -1
}

// written returns the language the question is written in, when its
// stopwords tell one language only.
func (q query) written() (string, bool) {
	for _, l := range languages {
		if q.langs == langBit(l) {
			return l, true
		}
	}
	return "", false
}

// parse turns a question into weighted groups over idx.
func (r *retriever) parse(idx *index, text string) query {
	toks := words(text)
	q := query{lang: detectLanguage(toks, r.rules.stop, idx.siteLang), after: durationOf(toks)}
	langs := questionLangs(toks, r.rules.stop)
	q.langs = langs
	if langs&(langBit(langDE)|langBit(langNL)) != 0 {
		toks = r.joinParticles(idx, toks, langs)
	}
	if langs&langBit(langEN) != 0 {
		toks = r.moveObjects(toks)
	}
	var cue map[string]bool
	sent := sentence(text)
	if fixed, ok := r.fixCues(idx, toks, langs); ok {
		sent = " " + strings.Join(fixed, " ") + " "
		toks = fixed
	}
	q.asks, cue = askedFor(sent)
	seen := map[string]bool{}
	for i := 0; i < len(toks); i++ {
		g, n := r.placeGroup(idx, toks, i, langs)
		if g.word == "" {
			g, n = r.phraseGroup(idx, toks, i, langs)
		}
		if n == 1 && cue[toks[i]] {
			continue // "take" of "how long does it take" asks, a synonym or not
		}
		i += n - 1
		single := false
		if g.word == "" {
			t := toks[i]
			if r.rules.stopword(t) || cue[t] || utf8.RuneCountInString(t) > 40 {
				continue
			}
			_, single = cue[t]
			if parts := splitMixed(t); parts != nil && r.rules.synonyms[t] == nil {
				toks = append(toks[:i], append(parts, toks[i+1:]...)...)
				t = toks[i]
			}
			g = r.wordGroup(idx, t, langs)
			if g.word == "" {
				continue // a typo of a stopword
			}
			if g.alts == nil {
				if parts := idx.vocab.parts(t); parts != nil {
					toks = append(toks[:i], append(parts, toks[i+1:]...)...)
					i--
					continue
				}
				for _, w := range idx.vocab.containing(t, 3) {
					g.alts = addTerms(g.alts, idx, w, partStrength)
				}
			}
		}
		// A concept's phrase ("mot de passe") widens each group of its
		// words: the question's words keep their own groups and weights.
		g.alts = r.rules.addRenderings(g.alts, idx, r.rules.phraseTranslations(toks, i-n+1, n, langs, idx.siteLang))
		if len(g.alts) == 0 && single {
			continue // "combien", "wann": the kind of answer, not a topic
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
		g.weak = g.weak || single || r.rules.weak[g.word] || isNumber(g.word)
		for _, a := range g.alts {
			g.neg = g.neg || negationTerms[a.stem]
		}
		q.groups = append(q.groups, g)
	}
	r.weigh(idx, &q)
	q.setIDs(idx)
	return q
}

// fixCues returns toks with the typos of words that ask for a kind of
// answer corrected ("how ofen"), and whether there were any.
func (r *retriever) fixCues(idx *index, toks []string, langs uint8) ([]string, bool) {
	var fixed []string
	for i, t := range toks {
		if cueWords[t] || r.rules.stopword(t) || idx.vocab.words[t] != nil {
			continue
		}
		if c := idx.vocab.correct(t, langs); cueWords[c] {
			if fixed == nil {
				fixed = slices.Clone(toks)
			}
			fixed[i] = c
		}
	}
	return fixed, fixed != nil
}

// phraseGroup finds the longest synonym phrase of the rules at toks[i] and
// returns its group and how many tokens it takes, or an empty group.
func (r *retriever) phraseGroup(idx *index, toks []string, i int, langs uint8) (group, int) {
	for k := min(r.rules.maxPhrase, len(toks)-i); k >= 1; k-- {
		key := strings.Join(toks[i:i+k], " ")
		syn, ok := r.rules.synonyms[key]
		if !ok && k > 1 {
			syn = r.rules.stemSynonym(toks[i:i+k], langs)
			ok = syn != nil
		}
		if !ok {
			continue
		}
		g := group{word: key}
		var own []string
		for _, w := range toks[i : i+k] {
			if !r.rules.stopword(w) {
				own = append(own, w)
			}
		}
		g.alts = addSynonym(g.alts, idx, own, 1)
		if len(own) > 1 {
			for _, w := range own {
				g.alts = addTerms(g.alts, idx, w, phrasePart)
			}
		}
		for _, ws := range syn {
			g.alts = addSynonym(g.alts, idx, r.rules.content(ws), synonymStrength)
		}
		if k == 1 {
			// A longer phrase's concepts are parse's, as every group's
			// (phraseTranslations).
			g.alts = r.rules.addRenderings(g.alts, idx, r.rules.translations(toks[i:i+1], langs, idx.siteLang))
		}
		return g, k
	}
	return group{}, 1
}

// wordGroup is the group of one word: its stems in every language that the
// knowledge base has, its synonyms and its concepts' words in the site's
// language, else the word it is most likely a typo of. alts is nil when
// nothing matches; the group is empty when the word is a typo of a
// stopword.
func (r *retriever) wordGroup(idx *index, t string, langs uint8) group {
	g := group{word: t}
	g.alts = stemAlts(idx, t)
	if len(g.alts) == 0 {
		g.alts = otherForms(idx, t)
	}
	if len(g.alts) == 0 {
		if c := idx.vocab.correct(t, langs); c != "" {
			if r.rules.stopword(c) {
				if len(t) < 6 {
					return g // a short word one letter from a stopword is more likely a word of its own
				}
				return group{}
			}
			g.alts = addTerms(nil, idx, c, typoStrength)
			g.weak = r.rules.weak[c]
			t = c
		}
	}
	syn := r.rules.synonyms[t]
	if syn == nil {
		syn = r.rules.stemSynonym([]string{t}, langs)
	}
	for _, ws := range syn {
		g.alts = addSynonym(g.alts, idx, r.rules.content(ws), synonymStrength)
	}
	g.alts = r.rules.addRenderings(g.alts, idx, r.rules.translations([]string{t}, langs, idx.siteLang))
	return g
}

// addSynonym adds to alts, with strength f, a word or a phrase.
func addSynonym(alts []alt, idx *index, ws []string, f float64) []alt {
	switch len(ws) {
	case 0:
		return alts
	case 1:
		return addTerms(alts, idx, ws[0], f)
	}
	for _, l := range languages {
		ts := make([]string, 0, len(ws))
		for _, w := range ws {
			if t := term(l, w); idx.has(t) {
				ts = append(ts, t)
			}
		}
		if len(ts) == len(ws) {
			alts = addAlt(alts, idx, alt{stem: strings.Join(ts, "+"), phrase: ts, f: f})
		}
	}
	return alts
}

// addTerms adds to alts, with strength f, the terms of w that some section
// or title has: w as the knowledge base's own articles stemmed it, and w
// stemmed in every language.
func addTerms(alts []alt, idx *index, w string, f float64) []alt {
	if v := idx.vocab.words[w]; v != nil {
		for _, t := range v.stems {
			alts = addAlt(alts, idx, alt{stem: t, f: f})
		}
	}
	for _, l := range languages {
		// A stemmer that leaves fewer than three letters of a longer word
		// ("coed" is "co") has made a stem of a typo, not of a word.
		if t := term(l, w); len(stemOf(t)) >= 3 || len(stemOf(t)) == len(w) {
			alts = addAlt(alts, idx, alt{stem: t, f: f})
		}
	}
	return alts
}

// stemAlts returns the terms of w at full strength, and other forms of the
// word that the stemmers did not reduce to the same stem ("retour" and
// "retourn"): a stem that starts with one of them, or that one of them
// starts with, of five letters or more.
func stemAlts(idx *index, w string) []alt {
	out := addTerms(nil, idx, w, 1)
	for _, a := range out[:len(out):len(out)] {
		if a.phrase != nil {
			continue
		}
		for _, t := range idx.termsWithPrefix(a.stem) {
			out = addAlt(out, idx, alt{stem: t, f: formStrength})
		}
		lang, st, _ := strings.Cut(a.stem, ":")
		for k := 5; k < len(st); k++ {
			out = addAlt(out, idx, alt{stem: lang + ":" + st[:k], f: formStrength})
		}
	}
	return out
}

// otherForms finds, for a word none of whose stems the knowledge base has,
// the knowledge base's words that stem to a longer or shorter form of one
// of its stems ("loyal" and "loyalty", "subscriber" and "subscription").
func otherForms(idx *index, w string) []alt {
	var out []alt
	for _, l := range languages {
		st := stemIn(l, w)
		if len(st) < 5 {
			continue
		}
		for _, t := range idx.termsWithPrefix(l + ":" + st) {
			out = addAlt(out, idx, alt{stem: t, f: otherFormStrength})
		}
		for k := len(st) - 1; k >= 5; k-- {
			out = addAlt(out, idx, alt{stem: l + ":" + st[:k], f: otherFormStrength})
			if k >= 6 && k >= len(st)-2 {
				for _, t := range idx.termsWithPrefix(l + ":" + st[:k]) {
					out = addAlt(out, idx, alt{stem: t, f: otherFormStrength})
				}
			}
		}
	}
	return out
}

// addAlt adds n unless it is there or unknown.
func addAlt(alts []alt, idx *index, n alt) []alt {
	for _, a := range alts {
		if a.stem == n.stem {
			return alts
		}
	}
	if idx.knows(n) {
		alts = append(alts, n)
	}
	return alts
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
		// A concept's word in another language (concepts.go) weighs the
		// group only when nothing else is found: how common "order" is in
		// English says nothing of "aduanas".
		for _, translated := range []bool{false, true} {
			for _, a := range g.alts {
				if a.translated != translated || !idx.knows(a) {
					continue
				}
				g.known = true
				d := idx.altDF(a)
				if a.f == 1 && (!full || d > df) {
					df, full = d, true
				} else if !full && d > df {
					df = d
				}
			}
			if df >= 0 {
				break
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
			if a := &g.alts[j]; a.f < 1 && !a.translated && idx.knows(*a) {
				a.f = math.Min(a.f, idf(float64(idx.altDF(*a)))/g.weight)
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
	q.top = -1
	for i, g := range q.groups {
		if g.known && (q.top < 0 || g.weight > q.groups[q.top].weight) {
			q.top = i
		}
	}
}
