package bot

import (
	"math"

	"safedesk/store"
)

// Example questions (store.SectionExample) are a field of their section:
// editors write the ways customers ask for what the section answers, often
// with no word of it ("is there a number I can call" for "Ways to reach
// us"). A question is matched against them in two ways: as one field of
// the section (any of its examples having a word of the question, like its
// heading or its text) and against each example as a whole (the nearest
// example, by how much of the question it has and how much of it the
// question has).

// exEntry is one example question of the index.
type exEntry struct {
	sec    int32   // its section
	weight float32 // the sum of the inverse section frequencies of its words that are not stopwords
}

// addExamples indexes the example questions of the indexed articles, each
// in its article's language, with its section: the one with its anchor, or
// the article's first for "" or an anchor the article no longer has.
func (b *builder) addExamples(exs []store.SectionExample) {
	idx := b.idx
	byID := make(map[int64]int32, len(idx.arts))
	for ai, a := range idx.arts {
		byID[a.id] = int32(ai)
	}
	secTerms := map[int32]map[string]bool{}
	for _, ex := range exs {
		ai, ok := byID[ex.ArticleID]
		if !ok || len(idx.exs) >= maxSections {
			continue
		}
		art := idx.arts[ai]
		if art.n == 0 {
			continue
		}
		si := art.first
		for s := art.first; s < art.first+art.n; s++ {
			if ex.Anchor != "" && idx.secs[s].anchor == ex.Anchor {
				si = s
			}
		}
		xi := int32(len(idx.exs))
		e := exEntry{sec: si}
		seen := map[string]bool{}
		var content []string
		for _, w := range words(ex.Question) {
			t := b.term(art.lang, w)
			b.vb.add(w, t)
			if seen[t] {
				continue
			}
			seen[t] = true
			if !builtin.stop[w] && !stopIn[art.lang][w] {
				content = append(content, t)
			}
			idx.exPostings[t] = append(idx.exPostings[t], newPosting(xi, 1, false))
			if secTerms[si] == nil {
				secTerms[si] = map[string]bool{}
			}
			secTerms[si][t] = true
		}
		idx.exs = append(idx.exs, e)
		b.exTerms = append(b.exTerms, content)
	}
	// A term only in examples counts, for its weight, the sections whose
	// examples have it.
	for si, ts := range secTerms {
		for t := range ts {
			if !hasSection(idx.postings[t], si) {
				idx.exDF[t]++
			}
		}
	}
}

// weighExamples sets each example's weight, once every term's section
// frequency is known.
func (b *builder) weighExamples() {
	idx := b.idx
	n := float64(len(idx.secs))
	for xi, ts := range b.exTerms {
		var w float64
		for _, t := range ts {
			d := float64(idx.df(t))
			w += math.Log(1 + (n-d+0.5)/(d+0.5))
		}
		idx.exs[xi].weight = float32(w)
	}
}

// hasSection reports whether postings, in index order, have section si.
func hasSection(ps []posting, si int32) bool {
	lo, hi := 0, len(ps)
	for lo < hi {
		m := (lo + hi) / 2
		if ps[m].sec() < si {
			lo = m + 1
		} else {
			hi = m
		}
	}
	return lo < len(ps) && ps[lo].sec() == si
}

// gatherExamples reads the example postings of one alternative of group
// gi: the example's row and its section's example field get its strength.
func (r *retriever) gatherExamples(idx *index, e *evidence, gi int, a alt, onlyKnown bool) {
	if a.phrase != nil {
		return // a phrase's words are matched one by one in an example
	}
	for _, p := range idx.exPostings[a.stem] {
		xi := p.sec()
		si := idx.exs[xi].sec
		if onlyKnown && e.artSlot[idx.secs[si].art] < 0 {
			continue
		}
		x := e.touchEx(xi)
		x[gi] = maxf(x[gi], a.f)
		m := e.touchSec(si)
		m[exAt(gi)] = maxf(m[exAt(gi)], a.f)
		e.foundIn(idx.secs[si].art, gi, a.f*r.sc.exArticle)
	}
}

// nearestExamples sets, for each section with a touched example, the
// similarity of its nearest example to q: the harmonic mean of the share of
// the question's weight the example has and of the share of the example's
// weight the question has (each word weighing its inverse section
// frequency).
func nearestExamples(idx *index, q query, e *evidence) map[int32]float64 {
	if len(e.exs) == 0 {
		return nil
	}
	out := make(map[int32]float64, len(e.exs))
	for _, xi := range e.exs {
		x := e.exRow(xi)
		var cov, found float64
		for gi, g := range q.groups {
			if x[gi] > 0 {
				cov += g.weight * x[gi]
				found += g.weight
			}
		}
		cov /= q.total
		ex := idx.exs[xi]
		own := min(1, found/max(float64(ex.weight), 1e-9))
		if cov+own == 0 {
			continue
		}
		if sim := 2 * cov * own / (cov + own); sim > out[ex.sec] {
			out[ex.sec] = sim
		}
	}
	return out
}
