package bot

import (
	"math"
	"strings"
)

// A translated article answers a question in its language better than the
// site-language article it translates, even when the original, with more
// words and the rules' concepts (concepts.go), ranks first. Nothing in an
// article says what it translates, so the index finds out: an article not
// in the site's language translates the site-language article that its
// words, rendered in the site's language by the concepts, and its numbers
// (prices, days) resemble most, clearly more than any other.

// Thresholds of linkTranslations: the least cosine similarity, and how
// much more like the article the original must be than the next one.
const (
	translationMinSim = 0.2
	sectionMinSim     = 0.1
	translationMargin = 1.3
)

// foreignWords keeps the words of a block of section sec, of an article not
// in the site's language, for linkTranslations.
func (b *builder) foreignWords(sec int32, text string) {
	if b.foreignSecs == nil {
		b.foreignSecs = map[int32][][]string{}
	}
	b.foreignSecs[sec] = append(b.foreignSecs[sec], words(text))
}

// linkTranslations sets index.translationOf (and index.translated) for the
// articles not in the site's language (foreignTitles), by the cosine
// similarity, over the site-language terms weighted by how rare they are
// over site-language articles, between each of them (its title and
// sections) and every site-language article; and index.sectionOf, the same
// way, between the sections of an article and those of its original.
func (b *builder) linkTranslations() {
	if len(b.foreignTitles) == 0 {
		return
	}
	idx := b.idx
	st := b.siteStats()
	idx.translationOf, idx.translated, idx.sectionOf = map[int32]int32{}, map[int32][]int32{}, map[int32]int32{}
	for ai, a := range idx.arts {
		title, ok := b.foreignTitles[int32(ai)]
		if !ok {
			continue
		}
		secTerms := make([]map[string]bool, a.n)
		terms := b.siteTerms(a.lang, [][]string{title})
		for k := range secTerms {
			secTerms[k] = b.siteTerms(a.lang, b.foreignSecs[a.first+int32(k)])
			for t := range secTerms[k] {
				terms[t] = true
			}
		}
		best, ok := st.mostLike(terms, translationMinSim, func(sec int32) int32 { return idx.secs[sec].art }, st.artNorm)
		if !ok {
			continue
		}
		idx.translationOf[int32(ai)] = best
		idx.translated[best] = append(idx.translated[best], int32(ai))
		orig := idx.arts[best]
		inOrig := func(sec int32) int32 {
			if sec < orig.first || sec >= orig.first+orig.n {
				return -1
			}
			return sec
		}
		for k, ts := range secTerms {
			if e, ok := st.mostLike(ts, sectionMinSim, inOrig, st.secNorm); ok {
				idx.sectionOf[a.first+int32(k)] = e
			}
		}
	}
}

// siteStats are what linkTranslations compares by: the site-language
// sections each site-language term is in, its weight (its inverse
// frequency over site-language articles), and each site-language
// article's and section's squared norm.
type siteStats struct {
	secs    map[string][]int32
	idf     map[string]float64
	artNorm map[int32]float64
	secNorm map[int32]float64
}

func (b *builder) siteStats() siteStats {
	idx := b.idx
	site := idx.siteLang
	nSite := 0
	for _, a := range idx.arts {
		if a.lang == site {
			nSite++
		}
	}
	st := siteStats{secs: map[string][]int32{}, idf: map[string]float64{}, artNorm: map[int32]float64{}, secNorm: map[int32]float64{}}
	for t, ps := range idx.postings {
		if !strings.HasPrefix(t, site+":") {
			continue
		}
		var secs, arts []int32
		for _, p := range ps {
			sec := p.sec()
			if a := idx.secs[sec].art; idx.arts[a].lang == site {
				secs = append(secs, sec)
				if len(arts) == 0 || arts[len(arts)-1] != a {
					arts = append(arts, a)
				}
			}
		}
		if len(arts) == 0 {
			continue
		}
		w := math.Log(1 + (float64(nSite)-float64(len(arts))+0.5)/(float64(len(arts))+0.5))
		st.secs[t], st.idf[t] = secs, w
		for _, a := range arts {
			st.artNorm[a] += w * w
		}
		for _, sec := range secs {
			st.secNorm[sec] += w * w
		}
	}
	return st
}

// mostLike returns what terms are most like, of the units that key maps
// site-language sections to (-1: none), by cosine similarity with the
// units' norms: the best, if it reaches least and translationMargin times
// the next one.
func (st siteStats) mostLike(terms map[string]bool, least float64, key func(sec int32) int32, norm map[int32]float64) (int32, bool) {
	sim := map[int32]float64{}
	var own float64
	for t := range terms {
		w, ok := st.idf[t]
		if !ok {
			continue
		}
		own += w * w
		seen := int32(-1)
		for _, sec := range st.secs[t] {
			if u := key(sec); u >= 0 && u != seen {
				sim[u] += w * w
				seen = u
			}
		}
	}
	best, first, second := int32(-1), 0.0, 0.0
	for u, s := range sim {
		s /= math.Sqrt(own * norm[u])
		switch {
		case s > first:
			best, first, second = u, s, first
		case s > second:
			second = s
		}
	}
	return best, best >= 0 && first >= least && first >= translationMargin*second
}

// siteTerms are the site-language terms of an article in lang: its words'
// and phrases' renderings by the concepts, and its numbers.
func (b *builder) siteTerms(lang string, blocks [][]string) map[string]bool {
	site := b.idx.siteLang
	out := map[string]bool{}
	r := b.rules
	for _, toks := range blocks {
		for i, w := range toks {
			if isNumber(w) {
				out[term(site, w)] = true
			}
			for k := 1; k <= r.maxConcept && i+k <= len(toks); k++ {
				for _, rd := range r.translations(toks[i:i+k], langBit(lang), site) {
					for _, t := range r.renderingTerms(rd) {
						out[t] = true
					}
				}
			}
		}
	}
	return out
}

// translationIn returns the article in lang that translates article a,
// or -1.
func (idx *index) translationIn(a int32, lang string) int32 {
	for _, t := range idx.translated[a] {
		if idx.arts[t].lang == lang {
			return t
		}
	}
	return -1
}

// translationPair reports whether one of two articles translates the
// other. Two translations of one article are not a pair: of those, the bot
// quotes the one in the visitor's chosen language (Bot.prefer).
func (idx *index) translationPair(a, b int32) bool {
	if o, ok := idx.translationOf[a]; ok && o == b {
		return true
	}
	o, ok := idx.translationOf[b]
	return ok && o == a
}
