package bot

import (
	"cmp"
	"math"
	"slices"
)

// Only the candidates best articles (rankArticles) have their sections
// ranked, and an article's key is a sum over the question's groups, each
// adding at most its weight times the strength of its strongest
// alternative. So gather reads the alternatives one by one, the heaviest
// first, and keeps for each article the least its key can be
// (evidence.bounds); once what the alternatives left could add (cut.rest)
// is below the candidates-th of those bounds, an article none of those
// read so far found cannot become a candidate, nor can one whose bound,
// plus that rest, stays below it. From then on gather reads the rest only
// for the articles still live: the common words and the weak synonyms and
// other forms, whose postings cover most of the index, come last and are
// read for a few articles. The lightest groups (minorShare) are read only
// for the articles the others found, as before: the cut is made at the
// first of them at the latest. Nothing is approximated: the candidates and
// every figure of theirs are what reading everything gives
// (TestGatherMatchesExhaustive).

// cut is gather's plan: the order of the alternatives and, once made, the
// articles it still reads.
type cut struct {
	order  []step    // the alternatives of the other groups, heaviest first, then the minor groups'
	rest   []float64 // rest[i] is the most order[i:] can add to a key, times the total weight
	minor  []bool
	margin float64 // for the rounding of sums taken in other orders
	prune  bool    // false for the exhaustive reading, which cuts at the minor groups only
	isMade bool
	live   []int32 // the rows of the articles still read, once made
}

// step is one alternative of a group, and the most it adds to a key.
type step struct {
	gi, ai int
	most   float64
}

// newCut plans the reading of q's alternatives.
func newCut(q query, exhaustive bool) *cut {
	c := &cut{minor: minorGroups(q), prune: !exhaustive, margin: 1e-9 * q.total}
	for gi, g := range q.groups {
		for ai, a := range g.alts {
			c.order = append(c.order, step{gi, ai, g.weight * a.f})
		}
	}
	slices.SortStableFunc(c.order, func(s, t step) int {
		if c.minor[s.gi] != c.minor[t.gi] {
			if c.minor[s.gi] {
				return 1
			}
			return -1
		}
		return cmp.Compare(t.most, s.most)
	})
	// What the steps from i on can add: for each group, its strongest
	// alternative among them.
	c.rest = make([]float64, len(c.order)+1)
	most := make([]float64, len(q.groups))
	for i := len(c.order) - 1; i >= 0; i-- {
		s := c.order[i]
		c.rest[i] = c.rest[i+1] + max(0, s.most-most[s.gi])
		most[s.gi] = max(most[s.gi], s.most)
	}
	return c
}

// made reports whether the cut is made before step order[i] is read,
// making it if it can be, and leaves in c.live the articles still read.
func (c *cut) made(e *evidence, i int) bool {
	rest := c.rest[i] + c.margin
	if !c.isMade {
		if !c.minor[c.order[i].gi] && (!c.prune || rest >= e.top || !e.above(rest)) {
			return false
		}
		c.isMade = true
		for o := range e.arts {
			e.live[o] = true
			c.live = append(c.live, int32(o))
		}
	}
	if c.prune {
		c.live = e.prune(c.live, rest)
	}
	return true
}

// above reports whether the bounds of candidates articles exceed x: then
// an article with none cannot become a candidate when x is what the rest
// can add.
func (e *evidence) above(x float64) bool {
	n := 0
	for _, b := range e.bounds {
		if b > x {
			if n++; n == candidates {
				return true
			}
		}
	}
	return false
}

// kth is the candidates-th greatest bound of the articles at rows, or
// -Inf when there are fewer.
func (e *evidence) kth(rows []int32) float64 {
	if len(rows) < candidates {
		return math.Inf(-1)
	}
	var top [candidates]float64 // the greatest so far, least first
	for k, o := range rows {
		b := e.bounds[o]
		if k >= candidates && b <= top[0] {
			continue
		}
		// Insert b, dropping the least once there are candidates.
		j := min(k, candidates-1)
		if k >= candidates {
			j = 0
			for j+1 < candidates && top[j+1] < b {
				top[j] = top[j+1]
				j++
			}
		} else {
			for j > 0 && top[j-1] > b {
				top[j] = top[j-1]
				j--
			}
		}
		top[j] = b
	}
	return top[0]
}

// prune drops from the rows of live articles those whose bound, with
// rest added, stays below the candidates-th bound.
func (e *evidence) prune(live []int32, rest float64) []int32 {
	floor := e.kth(live)
	out := live[:0]
	for _, o := range live {
		if e.bounds[o]+rest < floor {
			e.live[o] = false
			continue
		}
		out = append(out, o)
	}
	return out
}

// boundTitles sets the bounds of the articles the titles found: their
// titles' share counts in their keys twice, as coverage and as title.
func (e *evidence) boundTitles(artTitle float64) {
	for o := range e.arts {
		t := row(int32(o), e.artRows, 2*e.g)
		var b float64
		for gi, w := range e.w {
			b += w * t[titleAt(gi)]
		}
		e.bounds[o] = b * (1 + artTitle)
		e.top = maxf(e.top, e.bounds[o])
	}
}

// seekCost is what finding an article's postings in a term's costs
// (binary searches), in postings read one after the other.
const seekCost = 32

// gatherLive reads alternative a of group gi for the live articles: by
// seeking each one's postings when they are few, else by reading the
// postings through.
func (r *retriever) gatherLive(idx *index, e *evidence, gi int, a alt, live []int32) {
	n := len(idx.postings[a.stem]) + len(idx.exPostings[a.stem]) + len(idx.together[a.stem])
	for _, t := range a.phrase {
		n += len(idx.postings[t])
	}
	if r.exhaustive || len(live)*seekCost >= n {
		r.gatherOne(idx, e, gi, a, reach{hi: int32(len(idx.secs)), live: true, rows: r.exhaustive})
		return
	}
	for _, o := range live {
		art := idx.arts[e.arts[o]]
		r.gatherOne(idx, e, gi, a, reach{lo: art.first, hi: art.first + art.n})
	}
}
