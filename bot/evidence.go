package bot

import (
	"cmp"
	"slices"
	"sort"
)

// evidence is what the postings of a question's groups say: per touched
// section, the strength of each group in its text and in its heading; per
// touched article, in its title and anywhere in it. Its arrays are reused
// between questions (index.scratch): a question over a large knowledge
// base touches tens of thousands of sections, and allocating for each
// would make the garbage collector a large part of a turn.
type evidence struct {
	g       int     // groups
	secSlot []int32 // per section of the index: its row, or -1
	secs    []int32 // the touched sections
	secRows []float64
	artSlot []int32 // per article of the index: its row, or -1
	arts    []int32 // the touched articles
	artRows []float64
	// Per touched article (by row): the least its key can be, times the
	// question's total weight, from what was read so far (cut.go), and
	// whether gather still reads it once the cut is made.
	bounds []float64
	live   []bool
	top    float64   // the greatest of bounds
	w      []float64 // the groups' weights
}

// Offsets within a section's row (3g values: its text, its heading, its
// example questions) and an article's (2g: its title, anywhere in it).
func textAt(gi int) int        { return 3 * gi }
func headAt(gi int) int        { return 3*gi + 1 }
func exAt(gi int) int          { return 3*gi + 2 }
func titleAt(gi int) int       { return gi }
func anywhereAt(g, gi int) int { return g + gi }
func (e *evidence) secRow(s int32) []float64 {
	return row(e.secSlot[s], e.secRows, 3*e.g)
}
func (e *evidence) artRow(a int32) []float64 {
	return row(e.artSlot[a], e.artRows, 2*e.g)
}

// row is the row at slot o of rows of n values, or nil for -1.
func row(o int32, rows []float64, n int) []float64 {
	if o < 0 {
		return nil
	}
	return rows[int(o)*n : int(o+1)*n]
}

// newEvidence takes scratch arrays sized for idx from its pool.
func newEvidence(idx *index, q query) *evidence {
	e, _ := idx.scratch.Get().(*evidence)
	if e == nil {
		e = &evidence{secSlot: make([]int32, len(idx.secs)), artSlot: make([]int32, len(idx.arts))}
		for _, slots := range [][]int32{e.secSlot, e.artSlot} {
			for i := range slots {
				slots[i] = -1
			}
		}
	}
	e.g, e.top = len(q.groups), 0
	for _, g := range q.groups {
		e.w = append(e.w, g.weight)
	}
	return e
}

// release clears what e touched and returns it to idx's pool.
func (e *evidence) release(idx *index) {
	for _, s := range e.secs {
		e.secSlot[s] = -1
	}
	for _, a := range e.arts {
		e.artSlot[a] = -1
	}
	e.secs, e.secRows, e.arts, e.artRows = e.secs[:0], e.secRows[:0], e.arts[:0], e.artRows[:0]
	e.bounds, e.live, e.w = e.bounds[:0], e.live[:0], e.w[:0]
	idx.scratch.Put(e)
}

// touchSec returns the row of section s, adding one of zeros if needed.
func (e *evidence) touchSec(s int32) []float64 {
	return touch(e.secSlot, &e.secs, &e.secRows, s, 3*e.g)
}

// touchArt returns the row of article a, adding one of zeros if needed.
func (e *evidence) touchArt(a int32) []float64 {
	t := touch(e.artSlot, &e.arts, &e.artRows, a, 2*e.g)
	if len(e.bounds) < len(e.arts) {
		e.bounds, e.live = append(e.bounds, 0), append(e.live, false)
	}
	return t
}

// touch returns the row of i in rows of n values (slot says where it is,
// or -1), adding it to touched and a row of zeros to rows if needed.
func touch(slot []int32, touched *[]int32, rows *[]float64, i int32, n int) []float64 {
	if o := slot[i]; o >= 0 {
		return (*rows)[int(o)*n : int(o+1)*n]
	}
	slot[i] = int32(len(*touched))
	*touched = append(*touched, i)
	*rows = append(*rows, make([]float64, n)...)
	return (*rows)[len(*rows)-n:]
}

// minorShare is the share of a question's weight, in its lightest groups,
// whose postings are read only for the articles the other groups found: a
// section with nothing but those cannot reach the assistant's threshold or
// the search's floor, and the lightest groups are the commonest words,
// whose postings are the longest.
const minorShare = 0.2

// reach is the part of the index a pass of the gathering reads: sections
// lo to hi (excluded); with live, only the articles still live
// (evidence.live); with rows, it records each section's row as well as
// its article's.
type reach struct {
	lo, hi int32
	live   bool
	rows   bool
}

// gather reads the postings of every group's terms and phrases and sums
// them up per article, as far as the ranking of articles needs (cut.go).
// The sections' rows are needed only for the articles ranked
// (rankArticles), a few dozen sections, while a question of common words
// has postings in most of the index: unless exhaustive, it records the
// articles' rows only, and gatherSections reads the candidates' postings
// again for their sections.
func (r *retriever) gather(idx *index, q query) *evidence {
	e := newEvidence(idx, q)
	for gi, g := range q.groups {
		for _, a := range g.alts {
			for _, ai := range r.titleHits(idx, a) {
				t := e.touchArt(ai)
				t[titleAt(gi)] = maxf(t[titleAt(gi)], a.f)
			}
		}
	}
	e.boundTitles(r.sc.artTitle)
	c := newCut(q, r.exhaustive)
	for i, s := range c.order {
		a := q.groups[s.gi].alts[s.ai]
		if c.made(e, i) {
			r.gatherLive(idx, e, s.gi, a, c.live)
		} else {
			r.gatherOne(idx, e, s.gi, a, reach{hi: int32(len(idx.secs)), rows: r.exhaustive})
		}
	}
	for _, a := range e.arts {
		t := e.artRow(a)
		for gi := range e.g {
			t[anywhereAt(e.g, gi)] = maxf(t[anywhereAt(e.g, gi)], t[titleAt(gi)])
		}
	}
	return e
}

// gatherOne reads the postings and example postings of alternative a of
// group gi in rc.
func (r *retriever) gatherOne(idx *index, e *evidence, gi int, a alt, rc reach) {
	r.gatherAlt(idx, e, gi, a, rc)
	r.gatherExamples(idx, e, gi, a, rc)
}

// gatherSections records the rows of the sections of the articles cands,
// reading every group's postings in their sections. Their articles' rows
// are already complete (gather read the same postings), so only the
// sections' are new.
func (r *retriever) gatherSections(idx *index, q query, e *evidence, cands []artScore) {
	if r.exhaustive {
		return
	}
	for _, ac := range cands {
		art := idx.arts[ac.art]
		for gi, g := range q.groups {
			for _, a := range g.alts {
				r.gatherOne(idx, e, gi, a, reach{lo: art.first, hi: art.first + art.n, rows: true})
			}
		}
	}
}

// within returns the postings, in index order, of the sections of rc.
func (rc reach) within(ps []posting) []posting {
	i, _ := slices.BinarySearchFunc(ps, rc.lo, bySection)
	j, _ := slices.BinarySearchFunc(ps[i:], rc.hi, bySection)
	return ps[i : i+j]
}

// bySection compares a posting's section with s.
func bySection(p posting, s int32) int { return cmp.Compare(p.sec(), s) }

// skips reports whether rc leaves out the postings of article a.
func (rc reach) skips(e *evidence, a int32) bool {
	return rc.live && (e.artSlot[a] < 0 || !e.live[e.artSlot[a]])
}

// minorGroups marks the lightest groups of q that together weigh no more
// than minorShare of it.
func minorGroups(q query) []bool {
	order := make([]int, len(q.groups))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(i, j int) bool { return q.groups[order[i]].weight < q.groups[order[j]].weight })
	minor := make([]bool, len(q.groups))
	var sum float64
	for _, gi := range order {
		if sum += q.groups[gi].weight; sum > minorShare*q.total {
			break
		}
		minor[gi] = true
	}
	return minor
}

// gatherAlt reads the postings of one alternative of group gi in rc.
// Postings are in index order, so an article's are together: each run of
// them is recorded once, with its strongest.
func (r *retriever) gatherAlt(idx *index, e *evidence, gi int, a alt, rc reach) {
	if a.phrase != nil {
		r.gatherPhrase(idx, e, gi, a, rc)
		return
	}
	run := artRun{art: -1}
	for _, p := range rc.within(idx.postings[a.stem]) {
		if art := idx.hot[p.sec()].art; art != run.art {
			run.record(e, gi)
			run = artRun{art: art, skip: rc.skips(e, art)}
		}
		if run.skip {
			continue
		}
		v, text := 0.0, 0.0
		if p.tf() > 0 {
			v = a.f * r.sc.bodyStrength(idx, p)
			text = v
		}
		if p.head() {
			v = a.f
		}
		run.v = maxf(run.v, v)
		if rc.rows {
			m := e.touchSec(p.sec())
			m[textAt(gi)] = maxf(m[textAt(gi)], text)
			if p.head() {
				m[headAt(gi)] = maxf(m[headAt(gi)], a.f)
			}
		}
	}
	run.record(e, gi)
}

// artRun is the strongest of a run of postings in one article.
type artRun struct {
	art  int32 // -1 before the first
	v    float64
	skip bool
}

// record records the run's strength for group gi in its article.
func (run artRun) record(e *evidence, gi int) {
	if run.art >= 0 && !run.skip {
		e.foundIn(run.art, gi, run.v)
	}
}

// foundIn records that group gi is found in article a with strength v,
// and what that adds to the least its key can be.
func (e *evidence) foundIn(a int32, gi int, v float64) {
	t := e.touchArt(a)
	at := anywhereAt(e.g, gi)
	if old := t[at]; v > old {
		t[at] = v
		title, o := t[titleAt(gi)], e.artSlot[a]
		e.bounds[o] += e.w[gi] * (maxf(v, title) - maxf(old, title))
		e.top = maxf(e.top, e.bounds[o])
	}
}

// gatherPhrase finds the sections that have every term of a phrase: its
// strength in a section is that of its weakest term, and it is in the
// heading when all its terms are. A phrase of the rules whose terms stand
// together nowhere in the section but are all there counts at
// apartStrength, unless they are all in the heading (phrases.go). Postings
// are in index order, so this is a merge of sorted lists.
func (r *retriever) gatherPhrase(idx *index, e *evidence, gi int, a alt, rc reach) {
	lists := make([][]posting, len(a.phrase))
	for i, t := range a.phrase {
		lists[i] = rc.within(idx.postings[t])
	}
	tracked := idx.tracks(a)
	near, np := rc.within(idx.together[a.stem]), 0
	pos := make([]int, len(lists))
	for _, p := range lists[0] {
		if rc.skips(e, idx.hot[p.sec()].art) {
			continue
		}
		weakest, heads, all := 2.0, 0, true
		for i, l := range lists {
			for pos[i] < len(l) && l[pos[i]].sec() < p.sec() {
				pos[i]++
			}
			if pos[i] == len(l) || l[pos[i]].sec() != p.sec() {
				all = false
				break
			}
			q := l[pos[i]]
			v := 0.0
			if q.tf() > 0 {
				v = r.sc.bodyStrength(idx, q)
			}
			if q.head() {
				v = 1
				heads++
			}
			weakest = minf(weakest, v)
		}
		if !all || weakest == 0 {
			continue
		}
		if tracked && heads < len(lists) {
			for np < len(near) && near[np].sec() < p.sec() {
				np++
			}
			if np == len(near) || near[np].sec() != p.sec() {
				weakest *= apartStrength
			}
		}
		if rc.rows {
			m := e.touchSec(p.sec())
			m[textAt(gi)] = maxf(m[textAt(gi)], a.f*weakest)
			if heads == len(lists) {
				m[headAt(gi)] = maxf(m[headAt(gi)], a.f)
			}
		}
		e.foundIn(idx.hot[p.sec()].art, gi, a.f*max(weakest, float64(heads/len(lists))))
	}
}

// titleHits returns the articles whose title has the term, or every term
// of the phrase.
func (r *retriever) titleHits(idx *index, a alt) []int32 {
	if a.phrase == nil {
		return idx.titles[a.stem]
	}
	out := idx.titles[a.phrase[0]]
	for _, t := range a.phrase[1:] {
		other := idx.titles[t]
		var both []int32
		j := 0
		for _, ai := range out {
			for j < len(other) && other[j] < ai {
				j++
			}
			if j < len(other) && other[j] == ai {
				both = append(both, ai)
			}
		}
		out = both
	}
	return out
}

// bodyStrength is how strongly a posting's count in its section's text
// says the section is about its term: BM25's saturation, with a floor.
func (sc *scoring) bodyStrength(idx *index, p posting) float64 {
	tf := float64(p.tf())
	return sc.bodyFloor + (1-sc.bodyFloor)*tf/(tf+float64(idx.hot[p.sec()].norm))
}

// artScore is an article's share of the question's weight: anywhere in it,
// and in its title.
type artScore struct {
	art        int32
	cov, title float64
}

// rankArticles returns the candidates best articles by how much of the
// question they cover, the title counting extra.
func (r *retriever) rankArticles(q query, e *evidence) []artScore {
	out := make([]artScore, 0, candidates+1)
	key := func(s artScore) float64 { return s.cov + r.sc.artTitle*s.title }
	for _, a := range e.arts {
		t := e.artRow(a)
		s := artScore{art: a}
		for gi, g := range q.groups {
			s.cov += g.weight * t[anywhereAt(e.g, gi)]
			s.title += g.weight * t[titleAt(gi)]
		}
		s.cov, s.title = s.cov/q.total, s.title/q.total
		// Keep the best candidates, best first, by insertion.
		i := len(out)
		for i > 0 && (key(out[i-1]) < key(s) || key(out[i-1]) == key(s) && out[i-1].art > s.art) {
			i--
		}
		if i >= candidates {
			continue
		}
		out = append(out, artScore{})
		copy(out[i+1:], out[i:])
		out[i] = s
		if len(out) > candidates {
			out = out[:candidates]
		}
	}
	return out
}

// maxf and minf are max and min for the scores, which are never NaN:
// math.Max's care for NaN and signed zeros shows in the inner loops.
func maxf(a, b float64) float64 {
	if a > b {
		return a
	}
	return b
}

func minf(a, b float64) float64 {
	if a < b {
		return a
	}
	return b
}
