package bot

import (
	"context"
	"math"
	"regexp"
	"slices"
	"sort"
	"time"

	"safedesk/store"
)

// Source is the knowledge-base section an answer quotes.
type Source struct {
	Slug    string `json:"Slug"`
	Title   string `json:"Title"`
	Section string `json:"Section,omitempty"` // the section's heading; "" for the article's opening
	Anchor  string `json:"Anchor,omitempty"`  // the heading's id on the article page
	Quote   string `json:"Quote,omitempty"`   // the section, plain text, one block a line
	Lang    string `json:"Lang,omitempty"`    // the article's language
}

// URL is the section's address in the portal.
func (s Source) URL() string {
	if s.Anchor == "" {
		return "/kb/" + s.Slug
	}
	return "/kb/" + s.Slug + "#" + s.Anchor
}

// retriever ranks the knowledge base's sections for a question. The
// assistant and the help-centre search share it, so both find the same
// section for the same words.
type retriever struct {
	x         *indexer
	rules     *Rules
	threshold float64
	sc        scoring
}

func newRetriever(db *store.DB, rules *Rules, threshold float64, now func() time.Time) *retriever {
	return &retriever{x: newIndexer(db, now), rules: rules, threshold: threshold, sc: defaultScoring}
}

// hit is one section ranked for a question.
type hit struct {
	sec    int32
	rank   float64
	conf   float64
	artCov float64 // share of the question's weight the article has anywhere
	title  float64 // share in the article's title
	own    float64 // share found for the section (its heading, text, title and article)
}

// ranked is what a question found: its sections, best first.
type ranked struct {
	idx  *index
	q    query
	hits []hit
}

// scoring holds the weights of the ranking and of the confidence, chosen
// on the tuning half of the evaluation set (testdata/eval.json).
type scoring struct {
	// How much a group of the question counts when it is found in the
	// section's heading, in its text, in its article's title, or only
	// elsewhere in its article.
	head, body, title, context float64
	// titleDamp scales the heading and text of a section for a word of its
	// article's title: the title already says every section is about it.
	titleDamp float64
	// bodyFloor is what a word found once in a long text counts, relative
	// to one found often in a short one.
	bodyFloor float64
	// The article's coverage of the question and of its title add to the
	// rank of each of its sections.
	artCov, artTitle float64
	// intent is added when a section gives the kind of answer asked for.
	intent, intentMul float64
	// howTo is added to a how-to heading for a question that asks how.
	howTo float64
	// within weighs the section's share of the words that tell its
	// article's sections apart.
	within float64
	// negated scales a heading about what is excluded ("Outside the EU")
	// for a question that negates nothing.
	negated float64
	// negMatch is added to such a heading for a question that negates.
	negMatch float64
	// unknown scales the weight of a word the knowledge base does not
	// have: it makes a question about something else less sure.
	unknown float64
	// idfPow flattens the inverse frequencies: rare words count more, but
	// not so much that one incidental rare word outweighs the rest.
	idfPow float64
	// The confidence: weights of the article's coverage, its title's, and
	// the section's own.
	confArt, confTitle, confOwn float64
}

var defaultScoring = scoring{
	head: 1.1, body: 1, title: 0, context: 0.27, titleDamp: 1, bodyFloor: 0.54,
	artCov: 1, artTitle: 0.6, intent: 0, intentMul: 0.4, howTo: 0.2, within: 0.135, negated: 0.5, negMatch: 0.1,
	unknown: 1, idfPow: 1, confArt: 0.45, confTitle: 0.5, confOwn: 0.45,
}

// candidates is how many articles, best covering the question first, have
// their sections ranked.
const candidates = 16

// bm25k and bm25b are BM25's saturation and length normalisation.
const (
	bm25k = 1.2
	bm25b = 0.5
)

// rank finds and ranks the sections for text.
func (r *retriever) rank(ctx context.Context, text string) (ranked, error) {
	idx, err := r.x.get(ctx)
	if err != nil {
		return ranked{}, err
	}
	q := r.parse(idx, text)
	out := ranked{idx: idx, q: q}
	if len(q.groups) == 0 || q.total == 0 || len(idx.secs) == 0 {
		return out, nil
	}
	sc := &r.sc
	G := len(q.groups)
	ev := r.gather(idx, q)
	secM, artT := ev.sec, ev.art
	arts := r.rankArticles(idx, q, secM, artT)
	negQ := false
	for _, w := range words(text) {
		negQ = negQ || negations[w]
	}
	zero := make([]float64, 2*G)
	disc := make([]float64, G)
	for _, ac := range arts {
		art := idx.arts[ac.art]
		t := artT[ac.art]
		// How well each group tells the article's sections apart: a word
		// in every section of it (often a word of its title) says little
		// about which section answers.
		var discTotal float64
		for gi, g := range q.groups {
			df := 0
			for si := art.first; si < art.first+art.n; si++ {
				if m := secM[si]; m != nil && (m[2*gi] > 0 || m[2*gi+1] > 0) {
					df++
				}
			}
			disc[gi] = 0
			if df > 0 {
				n := float64(art.n)
				disc[gi] = g.weight * math.Log(1+(n-float64(df)+0.5)/(float64(df)+0.5))
			}
			discTotal += disc[gi]
		}
		for si := art.first; si < art.first+art.n; si++ {
			h := hit{sec: si, artCov: ac.cov, title: ac.title}
			m, s := secM[si], idx.secs[si]
			if m == nil {
				m = zero
			}
			var within float64
			for gi, g := range q.groups {
				head := m[2*gi+1] * sc.head
				if s.negated && !negQ && !g.neg {
					head *= sc.negated
				}
				found := math.Max(head, m[2*gi]*sc.body)
				within += disc[gi] * found
				if t != nil && t[gi] > 0 {
					found *= sc.titleDamp
				}
				if t != nil {
					found = math.Max(found, t[gi]*sc.title)
				}
				found = math.Max(found, ac.per[gi]*sc.context)
				h.own += g.weight * found
			}
			h.own /= q.total
			h.rank = h.own + sc.artCov*h.artCov + sc.artTitle*h.title
			if discTotal > 0 {
				h.rank += sc.within * within / discTotal
			}
			if negQ && s.negated {
				h.rank += sc.negMatch
			}
			if q.asks&s.feats != 0 {
				h.rank += sc.intent + sc.intentMul*h.own
			}
			if q.asks&wantSteps != 0 && s.howTo {
				h.rank += sc.howTo
			}
			h.conf = math.Min(1, sc.confArt*h.artCov+sc.confTitle*h.title+sc.confOwn*h.own)
			out.hits = append(out.hits, h)
		}
	}
	sort.SliceStable(out.hits, func(i, j int) bool { return out.hits[i].rank > out.hits[j].rank })
	if advice.MatchString(sentence(text)) {
		// Help articles explain how things work; they do not compare or
		// recommend products or list their specifications, so an article
		// that merely shares words with such a question rarely answers it.
		for i := range out.hits {
			out.hits[i].conf *= adviceFactor
		}
	}
	return out, nil
}

// evidence is what the postings of a question's groups say: per touched
// section, the strength of each group in its text (at 2g) and in its
// heading (at 2g+1); per touched article, in its title (at g).
type evidence struct {
	groups int
	sec    map[int32][]float64
	art    map[int32][]float64
}

func (e *evidence) secRow(s int32) []float64 {
	m := e.sec[s]
	if m == nil {
		m = make([]float64, 2*e.groups)
		e.sec[s] = m
	}
	return m
}

func (e *evidence) artRow(a int32) []float64 {
	m := e.art[a]
	if m == nil {
		m = make([]float64, e.groups)
		e.art[a] = m
	}
	return m
}

// gather reads the postings of every group's terms and phrases.
func (r *retriever) gather(idx *index, q query) evidence {
	e := evidence{groups: len(q.groups), sec: map[int32][]float64{}, art: map[int32][]float64{}}
	for gi, g := range q.groups {
		for _, a := range g.alts {
			if a.phrase != nil {
				r.gatherPhrase(idx, &e, gi, a)
				continue
			}
			for _, p := range idx.postings[a.stem] {
				m := e.secRow(p.sec)
				if p.tf > 0 {
					m[2*gi] = math.Max(m[2*gi], a.f*r.sc.bodyStrength(idx, p))
				}
				if p.head {
					m[2*gi+1] = math.Max(m[2*gi+1], a.f)
				}
			}
			for _, ai := range idx.titles[a.stem] {
				t := e.artRow(ai)
				t[gi] = math.Max(t[gi], a.f)
			}
		}
	}
	return e
}

// gatherPhrase finds the sections and titles that have every term of a
// phrase: its strength in a section is that of its weakest term, and it is
// in the heading when all its terms are.
func (r *retriever) gatherPhrase(idx *index, e *evidence, gi int, a alt) {
	n := len(a.phrase)
	type found struct {
		each  []float64
		heads int
	}
	per := map[int32]*found{}
	for ti, t := range a.phrase {
		for _, p := range idx.postings[t] {
			c := per[p.sec]
			if c == nil {
				if ti > 0 {
					continue
				}
				c = &found{each: make([]float64, n)}
				per[p.sec] = c
			}
			v := 0.0
			if p.tf > 0 {
				v = r.sc.bodyStrength(idx, p)
			}
			if p.head {
				v = 1
				c.heads++
			}
			c.each[ti] = math.Max(c.each[ti], v)
		}
	}
	for si, c := range per {
		weakest := slices.Min(c.each)
		if weakest == 0 {
			continue
		}
		m := e.secRow(si)
		m[2*gi] = math.Max(m[2*gi], a.f*weakest)
		if c.heads == n {
			m[2*gi+1] = math.Max(m[2*gi+1], a.f)
		}
	}
	inTitle := map[int32]int{}
	for ti, t := range a.phrase {
		for _, ai := range idx.titles[t] {
			if inTitle[ai] == ti {
				inTitle[ai]++
			}
		}
	}
	for ai, c := range inTitle {
		if c == n {
			t := e.artRow(ai)
			t[gi] = math.Max(t[gi], a.f)
		}
	}
}

// bodyStrength is how strongly a posting's count in its section's text
// says the section is about its term: BM25's saturation, with a floor.
func (sc *scoring) bodyStrength(idx *index, p posting) float64 {
	tf := float64(p.tf)
	sat := tf / (tf + bm25k*(1-bm25b+bm25b*float64(idx.secs[p.sec].length)/idx.avgLen))
	return sc.bodyFloor + (1-sc.bodyFloor)*sat
}

// artScore is an article's share of the question's weight: anywhere in it,
// and in its title, with the strength of each group anywhere in it.
type artScore struct {
	art        int32
	cov, title float64
	per        []float64
}

// rankArticles returns the candidates best articles by how much of the
// question they cover, the title counting extra.
func (r *retriever) rankArticles(idx *index, q query, secM map[int32][]float64, artT map[int32][]float64) []artScore {
	G := len(q.groups)
	cov := map[int32][]float64{}
	get := func(a int32) []float64 {
		c := cov[a]
		if c == nil {
			c = make([]float64, G)
			cov[a] = c
		}
		return c
	}
	for si, m := range secM {
		c := get(idx.secs[si].art)
		for gi := range G {
			c[gi] = math.Max(c[gi], math.Max(m[2*gi], m[2*gi+1]))
		}
	}
	for ai, m := range artT {
		c := get(ai)
		for gi := range G {
			c[gi] = math.Max(c[gi], m[gi])
		}
	}
	out := make([]artScore, 0, len(cov))
	for ai, c := range cov {
		s := artScore{art: ai, per: c}
		t := artT[ai]
		for gi, g := range q.groups {
			s.cov += g.weight * c[gi]
			if t != nil {
				s.title += g.weight * t[gi]
			}
		}
		s.cov, s.title = s.cov/q.total, s.title/q.total
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if ra, rb := a.cov+r.sc.artTitle*a.title, b.cov+r.sc.artTitle*b.title; ra != rb {
			return ra > rb
		}
		return a.art < b.art
	})
	if len(out) > candidates {
		out = out[:candidates]
	}
	return out
}

// advice finds requests for product advice or specifications: comparisons,
// recommendations, colours, sizes, capacity, loudness, materials.
var advice = regexp.MustCompile(`\b(which|what) (one |model )?(is|s|are) (better|best|nicer|faster|quieter|cheaper)\b|\b(better|best|good enough|fine enough|suitable) for\b|\brecommend|\bsuggest a\b|\bcome in (black|white|red|blue|green|grey|gray|silver|other colou?rs?)\b|\bwhat colou?rs?\b|\bhow (many|much) (litres|liters|ml|watts|grams|cups)\b|\bhow (loud|big|heavy|tall|wide|noisy|fast does|long is the cable)\b|\b(bpa|made of|dimensions|decibels|wattage)\b`)

// adviceFactor scales the confidence of an answer to an advice question.
const adviceFactor = 0.75

// match is what the assistant makes of the ranking: the best section, a
// second one nearly as good, and how sure it is.
type match struct {
	source     Source
	also       *Source
	confidence float64
	ok         bool // confidence reached the threshold
}

// alsoRatio is how close the second section's rank must come to the best
// one's to be named as "also relevant".
const alsoRatio = 0.9

// find returns the best section for text. Below the threshold, match.ok is
// false and the source must not be shown.
func (r *retriever) find(ctx context.Context, text string) (match, error) {
	rk, err := r.rank(ctx, text)
	if err != nil || len(rk.hits) == 0 {
		return match{}, err
	}
	best := rk.hits[0]
	m := match{source: rk.source(best), confidence: best.conf, ok: best.conf >= r.threshold}
	if m.ok && len(rk.hits) > 1 {
		if second := rk.hits[1]; second.rank >= alsoRatio*best.rank && second.conf >= r.threshold {
			s := rk.source(second)
			s.Quote = ""
			m.also = &s
		}
	}
	return m, nil
}

// language is the language a question seems to be in: the one whose
// stopwords it has most of, else the site's.
func (r *retriever) language(ctx context.Context, text string) string {
	site := langEN
	if idx, err := r.x.get(ctx); err == nil {
		site = normLang(idx.siteLang, langEN)
	}
	return detectLanguage(words(text), r.rules.stop, site)
}
