package bot

import (
	"context"
	"math"
	"sort"
)

// hit is one section ranked for a question.
type hit struct {
	sec    int32
	f      features
	rank   float64
	conf   float64
	artCov float64 // share of the question's weight the article has anywhere
	title  float64 // share in the article's title
	own    float64 // share found for the section (its heading and text, or its article)
}

// ranked is what a question found: its sections, best first.
type ranked struct {
	idx  *index
	q    query
	hits []hit
}

// scoring holds the weights of the ranking and of the confidence, chosen
// on the tuning half of the evaluation set (testdata/eval.json) and the
// developers' own questions, never on the held-out half.
type scoring struct {
	// How much a group of the question counts when it is found in the
	// section's heading, in its text, in its example questions, or only
	// elsewhere in its article.
	head, body, example, context float64
	// bodyFloor is what a word found once in a long text counts, relative
	// to one found often in a short one.
	bodyFloor float64
	// artTitle is how much the article's title counts, beside its
	// coverage of the question, in choosing the articles whose sections
	// are ranked.
	artTitle float64
	// exArticle is how strongly a word of the question found in an
	// example question counts as found in its article, for the choice of
	// the articles whose sections are ranked and their coverage.
	exArticle float64
	// negated scales a heading about what is excluded ("Outside the EU")
	// for a question that negates nothing.
	negated float64
	// w are the weights of the sections' features (rerank.go).
	w features
	// The confidence: weights of the article's coverage, its title's, and
	// the section's own, each without the example questions' words (the
	// nearest example standing for them in the section's own).
	confArt, confTitle, confOwn float64
}

var defaultScoring = scoring{
	head: 1.1, body: 1, example: 0.85, context: 0.27, bodyFloor: 0.54, artTitle: 0.6, exArticle: 0.5, negated: 0.5, w: rankWeights,
	confArt: 0.45, confTitle: 0.5, confOwn: 0.45,
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
	if len(q.groups) == 0 || q.total == 0 || len(idx.secs) == 0 || q.placesOnly() {
		return out, nil
	}
	e := r.gather(idx, q)
	defer e.release(idx)
	negQ, troubleQ := false, false
	for _, w := range words(text) {
		negQ = negQ || negations[w]
		troubleQ = troubleQ || negations[w] || troubles[w]
	}
	cands := r.rankArticles(q, e)
	r.gatherSections(idx, q, e, cands)
	for _, ac := range cands {
		out.hits = r.scoreArticle(idx, q, e, ac, negQ, troubleQ, out.hits)
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
	r.preferTranslation(&out)
	return out, nil
}

// preferTranslation puts first, for a question written in another language
// than the site's, the section of the translation into that language of
// the best section's article (translations.go) that translates the best
// section, else the translation's best: the visitor reads their own
// language best, and a translation, with fewer words than its original to
// be found by, ranks and is sure less for the same question. It takes the
// original's rank and confidence.
func (r *retriever) preferTranslation(rk *ranked) {
	l, ok := rk.q.written()
	if !ok || l == rk.idx.siteLang || len(rk.hits) < 2 {
		return
	}
	orig := rk.hits[0]
	tr := rk.idx.translationIn(rk.idx.secs[orig.sec].art, l)
	if tr < 0 {
		return
	}
	// The translation's section that translates the best one, else its
	// best-ranked one.
	at := -1
	for i, h := range rk.hits {
		if rk.idx.secs[h.sec].art != tr {
			continue
		}
		if at < 0 {
			at = i
		}
		if e, ok := rk.idx.sectionOf[h.sec]; ok && e == orig.sec {
			at = i
			break
		}
	}
	if at < 0 {
		return
	}
	h := rk.hits[at]
	h.rank, h.conf = max(h.rank, orig.rank), max(h.conf, orig.conf) // the original's words answer for it
	copy(rk.hits[1:at+1], rk.hits[:at])
	rk.hits[0] = h
}

// scoreArticle appends the hits of an article's sections.
func (r *retriever) scoreArticle(idx *index, q query, e *evidence, ac artScore, negQ, troubleQ bool, hits []hit) []hit {
	sc := &r.sc
	art := idx.arts[ac.art]
	per := e.artRow(ac.art)
	disc, discTotal := discrimination(q, e, art)
	ae := r.exampleEvidence(idx, q, e, art, per)
	artCov, bareCov := ae.coverage(q, ae.art), ae.coverage(q, ae.bare)
	ng := len(q.groups)
	for si := art.first; si < art.first+art.n; si++ {
		h := hit{sec: si, artCov: artCov, title: ac.title}
		m, s := e.secRow(si), idx.secs[si]
		k := int(si - art.first)
		support, near := ae.support[k*ng:(k+1)*ng], ae.near[k]
		var within, head, body, exField, bare float64
		var inHead int
		for gi, g := range q.groups {
			var found, plain float64
			if m != nil {
				hd := m[headAt(gi)] * sc.head
				if s.negated && !negQ && !g.neg {
					hd *= sc.negated
				}
				plain = math.Max(hd, m[textAt(gi)]*sc.body)
				found = math.Max(plain, support[gi]*sc.example)
				head += g.weight * m[headAt(gi)]
				body += g.weight * m[textAt(gi)]
				exField += g.weight * m[exAt(gi)]
				if m[headAt(gi)] > 0 {
					inHead++
				}
				if gi == q.top && (m[headAt(gi)] > 0 || m[textAt(gi)] > 0) {
					h.f[fTopGroup] = 1
				}
			}
			within += disc[gi] * found
			h.own += g.weight * math.Max(found, ae.art[gi]*sc.context)
			bare += g.weight * math.Max(plain, ae.bare[gi]*sc.context)
		}
		h.own /= q.total
		h.f[fOwn], h.f[fArtCov], h.f[fTitle] = h.own, h.artCov, h.title
		h.f[fHead], h.f[fBody], h.f[fExample] = head/q.total, body/q.total, exField/q.total
		h.f[fExNear] = near
		if discTotal > 0 {
			h.f[fWithin] = within / discTotal
		}
		if troubleQ && s.trouble {
			// "the link is not arriving", "the button is gone": a
			// heading about what went wrong ("Didn't get the email?",
			// "Too late?") is the kind of section that answers.
			h.f[fTrouble] = 1
		}
		if q.asks&s.feats != 0 {
			h.f[fIntentOwn], h.f[fIntentAny] = h.own, 1
		}
		if q.asks&s.asks&^wantSteps != 0 {
			h.f[fHeadIntent] = 1
		}
		if q.asks&wantSteps != 0 && s.howTo {
			h.f[fHowTo] = 1
		}
		if q.after > 0 && s.limit > 0 && q.after > float64(s.limit) {
			// "after 8 months" is past "in the first 30 days".
			h.f[fOverLimit] = 1
		}
		if s.headN > 0 {
			h.f[fHeadCover] = math.Min(1, float64(inHead)/float64(s.headN))
		}
		if si == art.first {
			h.f[fIntro] = 1
		}
		h.f[fLength] = math.Min(3, float64(s.length)/max(idx.avgLen, 1))
		if q.langs == langBit(art.lang) {
			h.f[fLang] = 1
		}
		h.rank = h.f.dot(&r.sc.w)
		// The confidence counts the example questions only by the nearest
		// one: the words a section's examples share with a question by
		// chance grow with their number, one example's likeness to the
		// whole question does not.
		h.conf = math.Min(1, sc.confArt*bareCov+sc.confTitle*h.title+sc.confOwn*max(bare/q.total, near))
		hits = append(hits, h)
	}
	return hits
}

// discrimination returns how well each group tells an article's sections
// apart, weighted by the group's weight, and their sum: a word in every
// section of it (often a word of its title) says little about which
// section answers.
func discrimination(q query, e *evidence, art artEntry) ([]float64, float64) {
	disc := make([]float64, len(q.groups))
	var total float64
	n := float64(art.n)
	for gi, g := range q.groups {
		df := 0
		for si := art.first; si < art.first+art.n; si++ {
			if m := e.secRow(si); m != nil && (m[textAt(gi)] > 0 || m[headAt(gi)] > 0) {
				df++
			}
		}
		if df > 0 {
			disc[gi] = g.weight * math.Log(1+(n-float64(df)+0.5)/(float64(df)+0.5))
			total += disc[gi]
		}
	}
	return disc, total
}
