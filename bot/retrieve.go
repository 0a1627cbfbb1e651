package bot

import (
	"context"
	"math"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"safedesk/store"
)

// Source is the knowledge-base passage an answer quotes.
type Source struct {
	Slug    string
	Title   string
	Section string // the heading above the passage, if any
	Quote   string // the passage, plain text
}

// URL is the article's address in the portal.
func (s Source) URL() string { return "/kb/" + s.Slug }

// match is what retrieval found for a message: the best article and how sure
// the bot is that it answers the message.
type match struct {
	source     Source
	confidence float64
	coverage   float64 // share of the query's weight found in the article
	title      float64 // share found in the title
	passage    float64 // share found in its best passage
	known      float64 // share of the query's weight in words some article uses
	margin     float64 // how far the best article's rank is ahead of the next
	ok         bool    // confidence reached the threshold
}

// group is one idea of the query: the visitor's word or phrase with the
// words its synonyms add, and its weight (inverse document frequency).
type group struct {
	word   string
	stems  []string  // the visitor's word first, then its synonyms
	idf    []float64 // per stem; 0 for a word no article uses
	weight float64
	phrase bool
	weak   bool
}

// retriever searches the knowledge base and scores what it finds. Term
// statistics and parsed articles are cached briefly, so a busy chat reads
// little beyond the search itself.
type retriever struct {
	db        *store.DB
	rules     *Rules
	threshold float64
	now       func() time.Time

	mu    sync.Mutex
	terms map[string]termStat
	docs  int
	docAt time.Time
	arts  map[string]*doc
}

type termStat struct {
	df int
	at time.Time
}

// statsTTL is how long document frequencies are trusted; an edited article
// shifts them only slightly, so a minute of staleness is harmless.
const statsTTL = time.Minute

// maxCachedTerms and maxCachedArticles bound the caches.
const (
	maxCachedTerms    = 20000
	maxCachedArticles = 512
)

// candidates is how many search results are weighed against each other.
const candidates = 6

func newRetriever(db *store.DB, rules *Rules, threshold float64, now func() time.Time) *retriever {
	return &retriever{db: db, rules: rules, threshold: threshold, now: now,
		terms: map[string]termStat{}, arts: map[string]*doc{}}
}

// query turns a message into weighted groups and the words to search for.
func (r *retriever) query(text string) (groups []group, search []string) {
	toks := words(text)
	seen := map[string]bool{}
	var extra []string
	for i := 0; i < len(toks); i++ {
		var g group
		n := 1
		for k := min(r.rules.maxPhrase, len(toks)-i); k >= 1; k-- {
			key := strings.Join(toks[i:i+k], " ")
			syn, ok := r.rules.synonyms[key]
			if !ok {
				continue
			}
			g.word, n, g.phrase = key, k, k > 1
			for _, w := range toks[i : i+k] {
				if !r.rules.stop[w] {
					g.stems = append(g.stems, stem(w))
				}
			}
			for _, w := range syn {
				if !r.rules.stop[w] {
					g.stems = append(g.stems, stem(w))
					extra = append(extra, w)
				}
			}
			break
		}
		if g.word == "" && splitMixed(toks[i]) != nil && r.rules.synonyms[toks[i]] == nil {
			// "1kg", "3pm": articles write "1 kg", "3 pm" (and FTS5 keeps
			// a mixed token whole), so search for the parts.
			parts := splitMixed(toks[i])
			toks = append(toks[:i], append(parts, toks[i+1:]...)...)
		}
		if g.word == "" {
			t := toks[i]
			if r.rules.stop[t] || utf8.RuneCountInString(t) > 40 {
				continue
			}
			st := stem(t)
			g.word, g.stems = t, []string{st}
			for _, w := range r.rules.stemSynonyms[st] {
				if !r.rules.stop[w] {
					g.stems = append(g.stems, stem(w))
					extra = append(extra, w)
				}
			}
		}
		// A bare number ("20 min", "3 times") rarely says what a question
		// is about, and articles are full of incidental numbers.
		g.weak = !g.phrase && (r.rules.weak[g.word] || allDigits(g.word))
		i += n - 1
		if len(g.stems) == 0 || seen[g.stems[0]] {
			continue
		}
		seen[g.stems[0]] = true
		groups = append(groups, g)
		for _, w := range strings.Fields(g.word) {
			if !r.rules.stop[w] {
				search = append(search, w)
			}
		}
	}
	return groups, append(search, extra...)
}

// unknownDF is the document frequency a word no article uses is weighed as.
const unknownDF = 0.0

// weakFactor scales the weight of a weak word.
const weakFactor = 0.25

// weigh sets each group's weight from the knowledge base's document
// frequencies: a phrase weighs as its rarest word the articles use, a word
// as itself if the articles use it, else as its rarest synonym they use; a
// word no article uses weighs like one that a single article uses.
func (r *retriever) weigh(ctx context.Context, groups []group) error {
	var all []string
	for _, g := range groups {
		all = append(all, g.stems...)
	}
	n, df, err := r.stats(ctx, all)
	if err != nil {
		return err
	}
	idf := func(d float64) float64 {
		return math.Log(1 + (float64(n)-d+0.5)/(d+0.5))
	}
	for i := range groups {
		g := &groups[i]
		g.idf = make([]float64, len(g.stems))
		best := 0.0
		for j, s := range g.stems {
			if d := df[s]; d > 0 {
				g.idf[j] = idf(float64(d))
				best = math.Max(best, g.idf[j])
			}
		}
		switch {
		case !g.phrase && g.idf[0] > 0:
			g.weight = g.idf[0]
		case best > 0:
			g.weight = best
		default:
			g.weight = idf(unknownDF)
		}
		if g.weak {
			g.weight *= weakFactor
		}
	}
	return nil
}

// stats returns the number of articles and the document frequency of each
// stem, from the cache where fresh.
func (r *retriever) stats(ctx context.Context, stems []string) (int, map[string]int, error) {
	now := r.now()
	out := make(map[string]int, len(stems))
	var missing []string
	r.mu.Lock()
	docs := r.docs
	if now.Sub(r.docAt) > statsTTL {
		docs = -1
	}
	for _, s := range stems {
		if st, ok := r.terms[s]; ok && now.Sub(st.at) <= statsTTL {
			out[s] = st.df
		} else if _, dup := out[s]; !dup {
			missing = append(missing, s)
			out[s] = 0
		}
	}
	r.mu.Unlock()
	if len(missing) == 0 && docs >= 0 {
		return docs, out, nil
	}
	n, dfs, err := r.db.ArticleTermStats(ctx, missing)
	if err != nil {
		return 0, nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.terms)+len(missing) > maxCachedTerms {
		clear(r.terms)
	}
	for i, s := range missing {
		out[s] = dfs[i]
		r.terms[s] = termStat{df: dfs[i], at: now}
	}
	r.docs, r.docAt = n, now
	return n, out, nil
}

// find searches for text and returns the best article with its confidence.
// Below the threshold, match.ok is false and the source must not be shown.
//
// FTS5 (BM25 over title and body, Porter stems, every word and synonym as
// an alternative: store.RankArticles, which is SearchArticles in MatchAny
// mode without snippets) finds the candidates; they are then re-ranked with the
// query's own weights, which know which words are synonyms of one idea and
// which are weak: a BM25 of the groups, how much of the query's weight the
// article covers, its title and its single best passage.
func (r *retriever) find(ctx context.Context, text string) (match, error) {
	groups, search := r.query(text)
	if len(groups) == 0 {
		return match{}, nil
	}
	results, err := r.db.RankArticles(ctx, strings.Join(search, " "), candidates)
	if err != nil || len(results) == 0 {
		return match{}, err
	}
	if err := r.weigh(ctx, groups); err != nil {
		return match{}, err
	}
	var total, known float64
	for _, g := range groups {
		total += g.weight
		if slices.ContainsFunc(g.idf, func(x float64) bool { return x > 0 }) {
			known += g.weight
		}
	}
	all, err := r.score(ctx, results, groups, total)
	if err != nil {
		return match{}, err
	}
	best, margin := pickBest(all)
	sc := all[best]
	m := match{source: Source{Slug: sc.slug, Title: sc.d.title}, coverage: sc.cov, title: sc.tcov, passage: sc.p,
		known: known / total, margin: margin, confidence: confidence(sc.cov, sc.tcov, sc.p)}
	m.source.Section, m.source.Quote = sc.d.passage(groups)
	if advice.MatchString(sentence(text)) {
		// Help articles explain how things work; they do not compare or
		// recommend products or list their specifications, so an article
		// that merely shares words with such a question rarely answers it.
		m.confidence *= adviceFactor
	}
	m.ok = m.confidence >= r.threshold
	return m, nil
}

// scored is one candidate article with how well it answers the question:
// its BM25 sum, the weighted share of the question's words it covers (in
// the text and in the title), its best passage and its word pairs, all but
// bm as fractions of total.
type scored struct {
	d                       *doc
	slug                    string
	bm, cov, tcov, p, pairs float64
}

// score loads and scores each ranked article for groups, whose weights sum
// to total.
func (r *retriever) score(ctx context.Context, results []store.SearchResult, groups []group, total float64) ([]scored, error) {
	docs := make([]*doc, len(results))
	var avgLen float64
	for i, res := range results {
		var err error
		if docs[i], err = r.article(ctx, res.Slug); err != nil {
			return nil, err
		}
		avgLen += float64(docs[i].length)
	}
	avgLen /= float64(len(docs))
	all := make([]scored, len(docs))
	for i, d := range docs {
		sc := scored{d: d, slug: results[i].Slug}
		for _, g := range groups {
			sc.bm += d.bm25(g, avgLen)
			sc.cov += d.strength(g, false)
			sc.tcov += d.strength(g, true)
		}
		sc.cov, sc.tcov = sc.cov/total, sc.tcov/total
		_, sc.p = d.bestBlock(groups)
		sc.p /= total
		sc.pairs = d.pairScore(groups) / total
		all[i] = sc
	}
	return all, nil
}

// pickBest ranks the candidates by a weighted sum of their scores, with
// BM25 relative to the best, and returns the best one's index and its lead
// over the runner-up as a fraction of its rank.
func pickBest(all []scored) (int, float64) {
	maxBM := 0.0
	for _, sc := range all {
		maxBM = math.Max(maxBM, sc.bm)
	}
	best, bestRank, second := -1, math.Inf(-1), 0.0
	for i, sc := range all {
		bm := 0.0
		if maxBM > 0 {
			bm = sc.bm / maxBM
		}
		rank := rankBM*bm + rankCov*sc.cov + rankTitle*sc.tcov + rankPassage*sc.p + rankPairs*sc.pairs
		if rank > bestRank {
			second = math.Max(second, bestRank)
			best, bestRank = i, rank
		} else {
			second = math.Max(second, rank)
		}
	}
	return best, (bestRank - second) / bestRank
}

// advice finds requests for product advice or specifications: comparisons,
// recommendations, colours, sizes, capacity, loudness, materials.
var advice = regexp.MustCompile(`\b(which|what) (one |model )?(is|s|are) (better|best|nicer|faster|quieter|cheaper)\b|\b(better|best|good enough|fine enough|suitable) for\b|\brecommend|\bsuggest a\b|\bcome in (black|white|red|blue|green|grey|gray|silver|other colou?rs?)\b|\bwhat colou?rs?\b|\bhow (many|much) (litres|liters|ml|watts|grams|cups)\b|\bhow (loud|big|heavy|tall|wide|noisy|fast does|long is the cable)\b|\b(bpa|made of|dimensions|decibels|wattage)\b`)

// adviceFactor scales the confidence of an answer to an advice question.
const adviceFactor = 0.75

// confidence maps the best article's coverage of the query, of its title
// and of its best passage to [0, 1].
func confidence(cov, tcov, passage float64) float64 {
	return math.Min(1, 0.6*cov+0.3*tcov+0.3*passage)
}

// BM25 parameters of the re-ranking, and the extra weight of a title word.
const (
	bmK1    = 1.2
	bmB     = 0.75
	bmTitle = 1.5
)

// article returns the parsed article, re-parsing it when it has changed.
func (r *retriever) article(ctx context.Context, slug string) (*doc, error) {
	art, err := r.db.GetArticle(ctx, slug, false)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	d := r.arts[slug]
	r.mu.Unlock()
	if d != nil && d.updated.Equal(art.UpdatedAt) && d.title == art.Title {
		return d, nil
	}
	d = parseDoc(art, r.rules.stop)
	r.mu.Lock()
	if len(r.arts) >= maxCachedArticles {
		clear(r.arts)
	}
	r.arts[slug] = d
	r.mu.Unlock()
	return d, nil
}

var (
	mdLink   = regexp.MustCompile(`\[([^\]]*)\]\([^)]*\)`)
	mdMarker = regexp.MustCompile(`^\s*([-*+]|\d+[.)]|>)\s+`)
)

// splitMixed splits a token of digits followed by letters or letters
// followed by digits ("1kg", "v60") at the change, or returns nil.
func splitMixed(t string) []string {
	for i := 1; i < len(t); i++ {
		a, b := t[i-1], t[i]
		if isDigit(a) != isDigit(b) && isAlnum(a) && isAlnum(b) {
			rest := splitMixed(t[i:])
			if rest == nil {
				rest = []string{t[i:]}
			}
			return append([]string{t[:i]}, rest...)
		}
	}
	return nil
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
func isAlnum(c byte) bool { return isDigit(c) || 'a' <= c && c <= 'z' }

// Weights of the re-ranking, chosen on the evaluation set.
const (
	rankBM      = 1.0
	rankCov     = 1.0
	rankTitle   = 1.2
	rankPassage = 0.5
	rankPairs   = 1.0
)

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return s != ""
}

// synonymFloor is the least share of a group's weight that one of its
// synonyms carries: a synonym is a deliberate mapping, but a common one
// ("contact" for "call") is weaker evidence than the word itself.
const synonymFloor = 0.75

// synonymWeight is what the group's i-th word is worth when found.
func synonymWeight(g group, i int) float64 {
	return math.Min(g.weight, math.Max(g.idf[i], synonymFloor*g.weight))
}
