package bot

import (
	"context"
	"math"
	"regexp"
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
}

func newRetriever(db *store.DB, rules *Rules, threshold float64, now func() time.Time) *retriever {
	return &retriever{x: newIndexer(db, now), rules: rules, threshold: threshold}
}

// hit is one section ranked for a question.
type hit struct {
	sec    int32
	rank   float64
	conf   float64
	artCov float64 // share of the question's weight the article has anywhere
	title  float64 // share in the article's title
	own    float64 // share in the section itself (its heading and text)
}

// ranked is what a question found: its sections, best first.
type ranked struct {
	idx  *index
	q    query
	hits []hit
}

// Weights of the ranking and the confidence, chosen on the tuning half of
// the evaluation set (testdata/eval.json).
const (
	rankTitle   = 0.6  // the article's title, on top of its coverage
	rankOwn     = 1.0  // the section's own heading and text
	rankIntent  = 0.12 // the section gives the kind of answer asked for
	headFactor  = 1.0  // a word in the heading counts as in the text
	negatedHead = 0.5  // a "not"/"outside" heading, for a question that negates nothing
	candidates  = 12   // articles whose sections are ranked
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
	G := len(q.groups)
	// Per touched section: the strength of each group in its text and its
	// heading; per touched article: in its title.
	secM := map[int32][]float64{}
	artT := map[int32][]float64{}
	for gi, g := range q.groups {
		for _, a := range g.alts {
			for _, p := range idx.postings[a.stem] {
				m := secM[p.sec]
				if m == nil {
					m = make([]float64, 2*G)
					secM[p.sec] = m
				}
				if p.tf > 0 {
					s := idx.secs[p.sec]
					sat := float64(p.tf) * 2.2 / (float64(p.tf) + 1.2*(0.5+0.5*float64(s.length)/idx.avgLen))
					m[2*gi] = math.Max(m[2*gi], a.f*(0.6+0.4*sat/2.2))
				}
				if p.head {
					m[2*gi+1] = math.Max(m[2*gi+1], a.f)
				}
			}
			for _, ai := range idx.titles[a.stem] {
				m := artT[ai]
				if m == nil {
					m = make([]float64, G)
					artT[ai] = m
				}
				m[gi] = math.Max(m[gi], a.f)
			}
		}
	}
	arts := r.rankArticles(idx, q, secM, artT)
	negQ := false
	for _, w := range words(text) {
		negQ = negQ || negations[w]
	}
	for _, ac := range arts {
		art := idx.arts[ac.art]
		for si := art.first; si < art.first+art.n; si++ {
			h := hit{sec: si, artCov: ac.cov, title: ac.title}
			m, s := secM[si], idx.secs[si]
			if m == nil {
				m = make([]float64, 2*G)
			}
			for gi, g := range q.groups {
				head := m[2*gi+1] * headFactor
				if s.negated && !negQ {
					head *= negatedHead
				}
				// The title names what every section is about: a title word
				// counts half in every section, fully in one that has it too.
				found := math.Max(m[2*gi], head)
				if t := artT[s.art]; t != nil && t[gi] > 0 {
					found = 0.5*t[gi] + 0.5*found
				}
				h.own += g.weight * found
			}
			h.own /= q.total
			h.rank = h.artCov + rankTitle*h.title + rankOwn*h.own
			if q.asks&s.feats != 0 {
				h.rank += rankIntent
			}
			h.conf = confidence(h, q)
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

// artScore is an article's share of the question's weight: anywhere in it,
// and in its title.
type artScore struct {
	art        int32
	cov, title float64
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
		s := artScore{art: ai}
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
		if ra, rb := a.cov+rankTitle*a.title, b.cov+rankTitle*b.title; ra != rb {
			return ra > rb
		}
		return a.art < b.art
	})
	if len(out) > candidates {
		out = out[:candidates]
	}
	return out
}

// confidence maps a section's coverage of the question to [0, 1]: how much
// of the question its article has, in the title and in the section itself,
// and how much of the question the knowledge base knows at all.
func confidence(h hit, q query) float64 {
	return math.Min(1, 0.45*h.artCov+0.25*h.title+0.45*h.own)
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
