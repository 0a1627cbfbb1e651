package bot

import (
	"context"
	"regexp"
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
	// exhaustive reads every posting (but the minor groups', as ever)
	// and records every section's row, without the cut (cut.go): the
	// tests check that the fast reading ranks the same.
	exhaustive bool
}

func newRetriever(db *store.DB, rules *Rules, threshold float64, now func() time.Time) *retriever {
	return &retriever{x: newIndexer(db, rules, now), rules: rules, threshold: threshold, sc: defaultScoring}
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
	ok         bool   // confidence reached the threshold
	rk         ranked // the ranking, for more sections (modelSections)
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
	m := match{confidence: best.conf, ok: best.conf >= r.threshold, rk: rk}
	if !m.ok {
		return m, nil
	}
	if m.source, err = r.source(ctx, rk, best); err != nil {
		return match{}, err
	}
	// The next section that is not the best one's article or its
	// translation (or original): the same text in another language is
	// nothing more to read.
	for _, second := range rk.hits[1:] {
		if rk.idx.translationPair(rk.idx.secs[second.sec].art, rk.idx.secs[best.sec].art) {
			continue
		}
		if second.rank >= alsoRatio*best.rank && second.conf >= r.threshold {
			s := rk.name(second)
			m.also = &s
		}
		break
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
