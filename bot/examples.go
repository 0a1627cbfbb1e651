package bot

import (
	"maps"
	"math"
	"slices"
	"sort"

	"safedesk/store"
)

// Example questions (store.SectionExample) are a field of their section:
// editors write the ways customers ask for what the section answers, often
// with no word of it ("is there a number I can call" for "Ways to reach
// us"). A question is matched against them in two ways: as one field of
// the section (any of its examples having a word of the question, like its
// heading or its text), through postings from term to section; and, for
// the sections of the articles ranked, against each example as a whole
// (the nearest example, by how much of the question it has and how much of
// it the question has). The more examples a section has, the more words
// they share with any question by chance, so once the articles are chosen
// a word counts in its section and article only as much as the example
// that has it is like the whole question (exampleMatch), and the
// confidence counts the examples only through the nearest one
// (scoreArticle): an editor can paste fifteen examples without making the
// bot sure of questions the knowledge base does not answer.

// exEntry is one example question of the index: its terms but stopwords'
// are index.exTerms[off:off+n], each the term's place in index.stems,
// sorted.
type exEntry struct {
	weight float32 // the sum of the inverse section frequencies of its terms
	off    int32
	n      int32
}

// addExamples indexes the example questions of the indexed articles, each
// in its article's language, with its section: the one with its anchor, or
// the article's first for "" or an anchor the article no longer has.
// Examples are kept in section order (secEntry.ex0, exN).
func (b *builder) addExamples(exs []store.SectionExample) {
	idx := b.idx
	byID := make(map[int64]int32, len(idx.arts))
	for ai, a := range idx.arts {
		byID[a.id] = int32(ai)
	}
	type placed struct {
		sec   int32
		terms []string
		near  []string // the rules' phrases standing together in it
	}
	var all []placed
	for _, ex := range exs {
		ai, ok := byID[ex.ArticleID]
		if !ok || idx.arts[ai].n == 0 {
			continue
		}
		art := idx.arts[ai]
		si := idx.exampleSection(ai, ex.Anchor)
		var ts []string
		// Its stopwords and the words that ask for a kind of answer ("how
		// long does … take") are not kept, as a question's are not.
		_, cue := askedFor(sentence(ex.Question))
		b.seq = b.seq[:0]
		for _, w := range words(ex.Question) {
			t := b.term(art.lang, w)
			b.seq = append(b.seq, t)
			b.vb.add(w, t)
			if !builtin.stop[w] && !stopIn[art.lang][w] && !cue[w] {
				ts = append(ts, t)
			}
		}
		clear(b.near)
		b.together(false)
		slices.Sort(ts)
		all = append(all, placed{si, slices.Compact(ts), slices.Collect(maps.Keys(b.near))})
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].sec < all[j].sec })
	count := map[string]int{}
	for i := 0; i < len(all); {
		si, j := all[i].sec, i
		clear(count)
		idx.secs[si].ex0 = int32(len(idx.exs))
		for ; j < len(all) && all[j].sec == si && j-i < store.MaxSectionExamples; j++ {
			for _, k := range all[j].near {
				idx.exTogether[k] = append(idx.exTogether[k], int32(len(idx.exs)))
			}
			idx.exs = append(idx.exs, exEntry{off: int32(len(b.exTerms)), n: int32(len(all[j].terms))})
			b.exTerms = append(b.exTerms, all[j].terms...)
			for _, t := range all[j].terms {
				count[t]++
			}
		}
		idx.secs[si].exN = int16(len(idx.exs) - int(idx.secs[si].ex0))
		for t, n := range count {
			idx.exPostings[t] = append(idx.exPostings[t], newPosting(si, n, false))
			if !hasSection(idx.postings[t], si) {
				idx.exDF[t]++ // a term only in examples weighs by the sections whose examples have it
			}
		}
		for j < len(all) && all[j].sec == si {
			j++ // beyond what a section holds
		}
		i = j
	}
}

// exampleSection is the section of article ai an example question with
// anchor belongs to: the one with that anchor, or the article's first for
// "" or an anchor the article no longer has.
func (idx *index) exampleSection(ai int32, anchor string) int32 {
	art := idx.arts[ai]
	for s := art.first; s < art.first+art.n; s++ {
		if anchor != "" && idx.secs[s].anchor == anchor {
			return s
		}
	}
	return art.first
}

// doneExamples sets each example's terms, as places in idx.stems, and
// its weight, once every term and its section frequency is known.
func (b *builder) doneExamples() {
	idx := b.idx
	n := float64(len(idx.secs))
	idx.exTerms = make([]int32, len(b.exTerms))
	for i, t := range b.exTerms {
		idx.exTerms[i] = idx.termID(t)
	}
	for xi := range idx.exs {
		x := &idx.exs[xi]
		ids := idx.exTerms[x.off : x.off+x.n]
		slices.Sort(ids)
		var w float64
		for _, id := range ids {
			d := float64(idx.df(idx.stems[id]))
			w += math.Log(1 + (n-d+0.5)/(d+0.5))
		}
		x.weight = float32(w)
	}
}

// termID is the place of a term in idx.stems, or -1.
func (idx *index) termID(t string) int32 {
	if i, ok := slices.BinarySearch(idx.stems, t); ok {
		return int32(i)
	}
	return -1
}

// setIDs gives every alternative of q's groups its terms' places in
// idx.stems, to look them up in example questions.
func (q *query) setIDs(idx *index) {
	if len(idx.exs) == 0 {
		return
	}
	for gi := range q.groups {
		for ai := range q.groups[gi].alts {
			a := &q.groups[gi].alts[ai]
			if a.phrase == nil {
				a.ids = []int32{idx.termID(a.stem)}
				continue
			}
			a.ids = make([]int32, len(a.phrase))
			for i, t := range a.phrase {
				a.ids[i] = idx.termID(t)
			}
		}
	}
}

// hasSection reports whether postings, in index order, have section si.
func hasSection(ps []posting, si int32) bool {
	_, ok := slices.BinarySearchFunc(ps, si, bySection)
	return ok
}

// gatherExamples reads the example postings of one alternative of group
// gi in rc: its section's example field gets its strength.
func (r *retriever) gatherExamples(idx *index, e *evidence, gi int, a alt, rc reach) {
	if a.phrase != nil {
		return // a phrase is matched in the nearest example, as a whole
	}
	for _, p := range rc.within(idx.exPostings[a.stem]) {
		si := p.sec()
		art := idx.hot[si].art
		if rc.skips(e, art) {
			continue
		}
		if rc.rows {
			m := e.touchSec(si)
			m[exAt(gi)] = maxf(m[exAt(gi)], a.f)
		}
		e.foundIn(art, gi, a.f*r.sc.exArticle)
	}
}

// exampleMatch compares q with each of section si's example questions.
// near is the similarity of the nearest: the harmonic mean of the share of
// the question's weight the example has and of the share of the example's
// weight the question has (each word weighing its inverse section
// frequency). support[gi] is how strongly the examples find group gi: as
// strongly as the best example that has it is like the question as a
// whole (its share of the question's weight, over exampleWhole), so that a
// word one of many examples shares with the question by chance counts
// little. has is scratch space; support reuses its array.
func exampleMatch(idx *index, q query, si int32, support, has []float64) (near float64, _ []float64) {
	support = support[:0]
	for range q.groups {
		support = append(support, 0)
	}
	s := idx.secs[si]
	for k, ex := range idx.exs[s.ex0 : s.ex0+int32(s.exN)] {
		terms := idx.exTerms[ex.off : ex.off+ex.n]
		var cov, found float64
		for gi, g := range q.groups {
			has[gi] = 0
			for _, a := range g.alts {
				if a.f > has[gi] && hasAll(terms, a.ids) {
					has[gi] = max(has[gi], a.f*idx.exPhraseStrength(a, s.ex0+int32(k)))
				}
			}
			if has[gi] > 0 {
				cov += g.weight * has[gi]
				found += g.weight
			}
		}
		if cov == 0 {
			continue
		}
		cov /= q.total
		own := min(1, found/max(float64(ex.weight), 1e-9))
		near = max(near, 2*cov*own/(cov+own))
		whole := min(1, cov/exampleWhole)
		for gi := range q.groups {
			support[gi] = max(support[gi], has[gi]*whole)
		}
	}
	return near, support
}

// exPhraseStrength is 1, or apartStrength for a phrase of the rules
// whose words example question xi has apart only.
func (idx *index) exPhraseStrength(a alt, xi int32) float64 {
	if !idx.tracks(a) {
		return 1
	}
	if _, ok := slices.BinarySearch(idx.exTogether[a.stem], xi); ok {
		return 1
	}
	return apartStrength
}

// exampleWhole is the share of a question's weight an example question
// must have for its words to count in full in its section. Chosen on the
// tuning half and the development set, and on the example questions each
// taken out of the knowledge base (TestTuneExamples): with the demo's
// 1,517 examples, 0.7, 0.85 and 1 find the right section for 253, 252 and
// 253 of the 281 tuning and development questions, and 53.9%, 54.5% and
// 54.3% of the examples taken out.
const exampleWhole = 0.85

// hasAll reports whether the sorted terms have every one of ids.
func hasAll(terms, ids []int32) bool {
	for _, id := range ids {
		if _, ok := slices.BinarySearch(terms, id); !ok {
			return false
		}
	}
	return len(ids) > 0
}

// exampled reports whether a section's row m has a group found in its
// example questions.
func exampled(m []float64, groups int) bool {
	if m == nil {
		return false
	}
	for gi := range groups {
		if m[exAt(gi)] > 0 {
			return true
		}
	}
	return false
}

// articleExamples is what an article's example questions say for a
// question, each word counting by the example that has it (exampleMatch):
// per section, the similarity of its nearest example (near) and each
// group's support (support[k*g+gi] for the article's k-th section and g
// groups); per group, the article's strength for it anywhere, its examples
// counting by their support weighed as exArticle (art) or not at all
// (bare).
type articleExamples struct {
	near, support, art, bare []float64
}

// exampleEvidence gathers articleExamples for art, whose row is per. A
// word counts in the article as strongly as its postings say, at most: a
// word in one of many examples no longer counts for as much as one in its
// text, nor does the article's coverage grow with its number of examples.
func (r *retriever) exampleEvidence(idx *index, q query, e *evidence, art artEntry, per []float64) articleExamples {
	g, n := len(q.groups), int(art.n)
	buf := make([]float64, n+n*g+3*g)
	ae := articleExamples{near: buf[:n], support: buf[n : n+n*g], art: buf[n+n*g : n+n*g+g], bare: buf[n+n*g+g : n+n*g+2*g]}
	has := buf[n+n*g+2*g:]
	for gi := range g {
		ae.art[gi], ae.bare[gi] = per[titleAt(gi)], per[titleAt(gi)]
	}
	for k := range n {
		si := art.first + int32(k)
		m := e.secRow(si)
		if m == nil {
			continue
		}
		sup := ae.support[k*g : (k+1)*g : (k+1)*g]
		if exampled(m, g) {
			ae.near[k], _ = exampleMatch(idx, q, si, sup, has)
		}
		for gi := range g {
			ae.bare[gi] = max(ae.bare[gi], m[textAt(gi)], m[headAt(gi)])
			ae.art[gi] = max(ae.art[gi], ae.bare[gi], sup[gi]*r.sc.exArticle)
		}
	}
	for gi := range g {
		ae.art[gi] = min(ae.art[gi], per[anywhereAt(e.g, gi)])
		ae.bare[gi] = min(ae.bare[gi], per[anywhereAt(e.g, gi)])
	}
	return ae
}

// coverage is the share of q's weight an article has with strengths art.
func (ae articleExamples) coverage(q query, art []float64) float64 {
	var cov float64
	for gi, g := range q.groups {
		cov += g.weight * art[gi]
	}
	return cov / q.total
}
