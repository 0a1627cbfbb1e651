package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
)

// Segment is a piece of a search snippet; Match marks the words that matched.
type Segment struct {
	Text  string
	Match bool
}

// SearchResult is one article found by SearchArticles.
type SearchResult struct {
	Slug    string
	Title   string
	Snippet []Segment
	Score   float64 // BM25: lower (more negative) is better
}

// Search query modes.
const (
	MatchAll = iota // every term must appear (portal search)
	MatchAny        // any term may appear, ranked by BM25 (the bot)
)

// Snippet markers: control characters that cannot occur in validated text.
const (
	markStart = "\x02"
	markEnd   = "\x03"
)

// maxRanked is the most articles one search lets FTS5 score. BM25 reads every
// match position and the length of each article it scores, one to two
// microseconds apiece, so this keeps a search within a few milliseconds
// however large the knowledge base grows. Below it, every search is exact.
const maxRanked = 500

// SearchArticles finds published articles for free text q, best first. Any
// input is safe: q is reduced to plain word tokens, each quoted for FTS5, so
// FTS5 operators and SQL in q are only ever searched for as words.
func (db *DB) SearchArticles(ctx context.Context, q string, mode, limit int) ([]SearchResult, error) {
	terms := SearchTerms(q)
	if len(terms) == 0 {
		return nil, nil
	}
	if limit <= 0 || limit > 50 {
		limit = 10
	}
	p, err := db.planSearch(ctx, terms, mode, limit)
	if err != nil {
		return nil, err
	}
	out, ids, err := db.searchRanked(ctx, p, limit)
	if err != nil {
		return nil, err
	}
	if p.highlight != "" && !p.bare {
		for i := range out {
			var snip string
			if err := db.stmts.snippet.QueryRowContext(ctx, p.highlight, ids[i]).Scan(&snip); err != nil {
				return nil, fmt.Errorf("store: search snippet: %w", err)
			}
			out[i].Snippet = splitSnippet(snip)
		}
	}
	return out, nil
}

// searchPlan is how SearchArticles asks FTS5 for a query.
type searchPlan struct {
	match     string // the FTS5 expression that selects and ranks articles; "" finds nothing
	floor     int64  // rank only the articles from this rowid on (the newest)
	highlight string // when set, snippets mark this instead of match
	bare      bool   // rank only: leave Snippet empty
}

// planSearch turns terms into a search that ranks at most about maxRanked
// articles. MatchAll needs every word but the stop words of a large
// knowledge base (see dropStopWords); MatchAny ranks the articles with any
// of the words. A query that matches no more than maxRanked articles runs
// as it is. Larger ones are narrowed, the most exact way first:
//
//  1. MatchAny leaves out the words that match nothing and, while too many
//     articles match, the most common ones (see dropCommonTerms).
//  2. A single word that is still too common is ranked among the articles
//     with it in the title, when there are at least limit of those and no
//     more than maxRanked: with the title weighted ten times the body, they
//     are the ones BM25 ranks first anyway.
//  3. Otherwise (MatchAll words that are each common, or a word common in
//     titles too) only the newest maxRanked matching articles are ranked.
//     Every result still matches the query; it may miss a better match
//     among the older articles, which for words this common BM25 can
//     barely tell apart anyway.
func (db *DB) planSearch(ctx context.Context, terms []string, mode, limit int) (searchPlan, error) {
	phrases := make([]string, len(terms))
	for i, t := range terms {
		phrases[i] = `"` + t + `"`
	}
	docs, total, err := db.matchCounts(ctx, phrases)
	if err != nil {
		return searchPlan{}, err
	}
	sep := " "
	if mode == MatchAll {
		phrases, docs = dropStopWords(phrases, docs, total)
	}
	ranked := docs[0] // MatchAll: no more articles than the rarest word has
	for _, n := range docs {
		ranked = min(ranked, n)
	}
	if mode == MatchAny {
		sep = " OR "
		if phrases, docs = dropCommonTerms(phrases, docs, total); len(phrases) == 0 {
			return searchPlan{}, nil
		}
		ranked = 0
		for _, n := range docs {
			ranked += n
		}
	}
	p := searchPlan{match: strings.Join(phrases, sep)}
	if ranked <= maxRanked {
		return p, nil
	}
	if len(phrases) == 1 {
		inTitle := "{title} : " + phrases[0]
		titles, _, err := db.matchCounts(ctx, []string{inTitle})
		if err != nil {
			return searchPlan{}, err
		}
		if titles[0] >= int64(limit) && titles[0] <= maxRanked {
			// Snippets come from the body, so they mark the word there.
			p.match, p.highlight = inTitle, phrases[0]
			return p, nil
		}
	}
	err = db.stmts.newestFloor.QueryRowContext(ctx, p.match, maxRanked-1).Scan(&p.floor)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return searchPlan{}, fmt.Errorf("store: search: %w", err)
	}
	return p, nil
}

// dropStopWords leaves out of a MatchAll query the phrases that are in at
// least half of all articles and in more than maxRanked, as long as a rarer
// phrase remains: words like "the", "how" or "my". BM25 clamps their idf to
// 1e-6, so the order of the results does not change, but FTS5 would read
// every article they occur in, just to count them, and then every match of
// them in each article it ranks. The cost: a result need not contain them,
// which is what a search box usually does with such words anyway. A small
// knowledge base keeps every word.
func dropStopWords(phrases []string, docs []int64, total int64) ([]string, []int64) {
	var kept []string
	var keptDocs []int64
	for i, p := range phrases {
		if 2*docs[i] < total || docs[i] <= maxRanked {
			kept, keptDocs = append(kept, p), append(keptDocs, docs[i])
		}
	}
	if len(kept) == 0 {
		return phrases, docs
	}
	return kept, keptDocs
}

// dropCommonTerms narrows a MatchAny query in three steps. Phrases that no
// article has go: they add nothing. So do the phrases in at least half of
// all articles, unless nothing else is left: BM25 clamps their idf to 1e-6,
// so they do not change the order of the articles that match the rest, yet
// FTS5 would score every article they occur in. Then, while the phrases
// left still match more than maxRanked articles in all, the most frequent
// one goes, the one BM25 weighs least, until one is left. The cost of that
// last step: an article with only the dropped words is not found, and they
// no longer add to the score.
func dropCommonTerms(phrases []string, docs []int64, total int64) ([]string, []int64) {
	var found []string
	var foundDocs []int64
	for i, p := range phrases {
		if docs[i] > 0 {
			found, foundDocs = append(found, p), append(foundDocs, docs[i])
		}
	}
	var kept []string
	var keptDocs []int64
	for i, p := range found {
		if 2*foundDocs[i] < total {
			kept, keptDocs = append(kept, p), append(keptDocs, foundDocs[i])
		}
	}
	if len(kept) == 0 {
		kept, keptDocs = found, foundDocs
	}
	for len(kept) > 1 {
		var sum int64
		most := 0
		for i, n := range keptDocs {
			sum += n
			if n > keptDocs[most] {
				most = i
			}
		}
		if sum <= maxRanked {
			break
		}
		kept = append(kept[:most], kept[most+1:]...)
		keptDocs = append(keptDocs[:most], keptDocs[most+1:]...)
	}
	return kept, keptDocs
}

// searchRanked returns the best limit published articles for a plan, and
// their row ids, with snippets unless the plan is bare or highlights apart.
// Drafts are ranked with everything else and dropped after the join, so
// when drafts take places among the best it looks further down the ranking
// until it has limit articles or runs out.
func (db *DB) searchRanked(ctx context.Context, p searchPlan, limit int) ([]SearchResult, []int64, error) {
	if p.match == "" {
		return nil, nil, nil
	}
	// Snippets made by the ranking query mark its expression; a plan that
	// highlights something else makes them afterwards (SearchArticles).
	bare := p.bare || p.highlight != ""
	stmt := db.stmts.search
	if bare {
		stmt = db.stmts.searchBare
	}
	for n := limit; ; n *= 4 {
		rows, err := stmt.QueryContext(ctx, p.match, p.floor, n)
		if err != nil {
			return nil, nil, fmt.Errorf("store: search: %w", err)
		}
		var out []SearchResult
		var ids []int64
		ranked := 0
		for rows.Next() {
			var r SearchResult
			var id int64
			var published bool
			var snip string
			dest := []any{&id, &r.Slug, &r.Title, &published, &r.Score, &snip}
			if bare {
				dest = dest[:5]
			}
			if err := rows.Scan(dest...); err != nil {
				rows.Close()
				return nil, nil, fmt.Errorf("store: search: %w", err)
			}
			ranked++
			if published && len(out) < limit {
				if !bare {
					r.Snippet = splitSnippet(snip)
				}
				out, ids = append(out, r), append(ids, id)
			}
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, nil, fmt.Errorf("store: search: %w", err)
		}
		if len(out) == limit || ranked < n {
			return out, ids, nil
		}
	}
}

// termCounts caches how many articles match each FTS5 expression that
// planSearch counts (a word, or a word in the title), and how many articles
// there are. Every method that writes kb_articles empties it once done
// (articlesChanged); a change made by another process, such as safedesk kb
// import, is seen after at most termCountsTTL.
type termCounts struct {
	changes atomic.Uint64 // every committed change in this process (KBChanges)

	mu     sync.Mutex
	gen    uint64    // bumped on every change, so a count read across one is not kept
	loaded time.Time // when total was read
	total  int64     // valid when docs is not nil
	docs   map[string]int64
}

const (
	termCountsTTL  = time.Minute
	maxCachedTerms = 10000 // bounds the cache against queries of endless new words
)

// articlesChanged empties the cache; called after every committed change to
// the knowledge base.
func (db *DB) articlesChanged() {
	c := &db.terms
	c.changes.Add(1)
	c.mu.Lock()
	c.gen++
	c.docs = nil
	c.mu.Unlock()
}

// matchCounts returns how many articles match each of exprs, and how many
// articles there are, from the cache where it can. A count stops at
// half the articles or maxRanked, whichever is more, plus one: planSearch
// needs to know no more than whether a word is in half of all articles and
// whether a query matches more than maxRanked.
func (db *DB) matchCounts(ctx context.Context, exprs []string) ([]int64, int64, error) {
	c := &db.terms
	now := db.now()
	c.mu.Lock()
	if c.docs != nil && now.Sub(c.loaded) > termCountsTTL {
		c.gen++
		c.docs = nil
	}
	gen, total, known := c.gen, c.total, c.docs != nil
	counts := make([]int64, len(exprs))
	var missing []int
	for i, e := range exprs {
		n, ok := c.docs[e]
		if !ok {
			missing = append(missing, i)
		}
		counts[i] = n
	}
	c.mu.Unlock()
	if !known {
		if err := db.stmts.articleCount.QueryRowContext(ctx).Scan(&total); err != nil {
			return nil, 0, fmt.Errorf("store: search: %w", err)
		}
	}
	limit := max(total/2, maxRanked) + 1
	for _, i := range missing {
		if err := db.stmts.termCount.QueryRowContext(ctx, exprs[i], limit).Scan(&counts[i]); err != nil {
			return nil, 0, fmt.Errorf("store: search: %w", err)
		}
	}
	c.mu.Lock()
	if c.gen == gen {
		switch {
		case c.docs == nil:
			c.docs, c.total, c.loaded = map[string]int64{}, total, now
		case len(c.docs) > maxCachedTerms:
			c.docs = map[string]int64{}
		}
		for _, i := range missing {
			c.docs[exprs[i]] = counts[i]
		}
	}
	c.mu.Unlock()
	return counts, total, nil
}

// SearchTerms splits free text into lowercase word tokens (letters and
// digits), dropping duplicates, at most 16.
func SearchTerms(q string) []string {
	fields := strings.FieldsFunc(strings.ToLower(q), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
	seen := map[string]bool{}
	var out []string
	for _, f := range fields {
		if seen[f] || len(f) > 64 {
			continue
		}
		seen[f] = true
		out = append(out, f)
		if len(out) == 16 {
			break
		}
	}
	return out
}

func splitSnippet(s string) []Segment {
	var out []Segment
	for s != "" {
		i := strings.Index(s, markStart)
		if i < 0 {
			out = append(out, Segment{Text: s})
			break
		}
		if i > 0 {
			out = append(out, Segment{Text: s[:i]})
		}
		s = s[i+1:]
		j := strings.Index(s, markEnd)
		if j < 0 {
			out = append(out, Segment{Text: s, Match: true})
			break
		}
		out = append(out, Segment{Text: s[:j], Match: true})
		s = s[j+1:]
	}
	return out
}

// KBChanges counts the changes this process made to the knowledge base (its
// articles, their example questions or its language): a cache of it compares the count to see at once
// whether to look again. Changes by another process show in KBState.
func (db *DB) KBChanges() uint64 { return db.terms.changes.Load() }

// KBState sums up the published knowledge base, so that a cache can tell
// whether it changed, in this process or another (safedesk kb import): any
// article added, removed, published, withdrawn or edited, an example
// question added or removed, or the site's language changed, gives another
// state. It reads an index, not the articles.
type KBState struct {
	Count   int64
	Updated float64 // the sum of updated_at
	MaxID   int64
	Lang    string // the site's language
	// Examples and ExampleIDs are the number of example questions and the
	// sum of their ids (which only grow), so adding or removing one gives
	// another state.
	Examples, ExampleIDs int64
}

// KBState returns the current KBState.
func (db *DB) KBState(ctx context.Context) (KBState, error) {
	var st KBState
	err := db.read.QueryRowContext(ctx, `SELECT COUNT(*), TOTAL(updated_at), COALESCE(MAX(id), 0)
		FROM kb_articles INDEXED BY kb_articles_by_updated WHERE published = 1`).Scan(&st.Count, &st.Updated, &st.MaxID)
	if err != nil {
		return st, fmt.Errorf("store: kb state: %w", err)
	}
	if err := db.read.QueryRowContext(ctx, "SELECT COUNT(*), COALESCE(SUM(id), 0) FROM kb_examples").Scan(&st.Examples, &st.ExampleIDs); err != nil {
		return st, fmt.Errorf("store: kb state: %w", err)
	}
	st.Lang, err = db.KBLanguage(ctx)
	return st, err
}
