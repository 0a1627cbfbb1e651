package bot

import (
	"context"
	"errors"
	"maps"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"safedesk/store"
)

// indexer keeps the current index and rebuilds it when the knowledge base
// changes: for a change made in this process (store.KBChanges) at the next
// question, for one made by another (store.KBState) within indexCheck. A
// knowledge base small enough to index quickly is rebuilt before the
// question is answered; a large one in the background, the question being
// answered from the index it had.
type indexer struct {
	db    *store.DB
	rules *Rules // whose phrases the index records (phrases.go)
	now   func() time.Time

	cur      atomic.Pointer[indexState]
	mu       sync.Mutex // one build at a time
	building atomic.Bool

	textMu    sync.Mutex
	texts     map[int64]*articleText // the sections of articles quoted lately
	order     []int64                // their ids, oldest first
	textBytes int                    // the size of their text
}

// indexState is an index with what it was built from.
type indexState struct {
	idx     *index
	changes uint64
	state   store.KBState
	checked time.Time
	took    time.Duration // how long building it took
}

// articleText is an article's sections as of one version, with the terms
// of each block (sorted) to find the block that best answers.
type articleText struct {
	updated time.Time
	secs    []store.Section
	terms   [][][]string // section → block → its terms
	size    int
}

// sectionText is one section's blocks and their terms.
type sectionText struct {
	blocks []string
	terms  [][]string
}

// indexCheck is how often the store is asked whether another process
// changed the knowledge base.
const indexCheck = 5 * time.Second

// syncBuild is the longest a build may have taken for the next one to be
// made before answering: beyond it, questions are answered from the old
// index while a new one is built.
const syncBuild = 100 * time.Millisecond

// textCacheBytes is how much text of the articles quoted lately the
// indexer keeps for quotes and snippets: the popular ones are read from the
// store and parsed once.
const textCacheBytes = 4 << 20

func newIndexer(db *store.DB, rules *Rules, now func() time.Time) *indexer {
	return &indexer{db: db, rules: rules, now: now, texts: map[int64]*articleText{}}
}

// get returns an index that is current, or, while a large knowledge base
// is being re-indexed, the one before.
func (x *indexer) get(ctx context.Context) (*index, error) {
	st := x.cur.Load()
	if st != nil && x.fresh(st) {
		return st.idx, nil
	}
	if st != nil && st.took > syncBuild {
		if x.building.CompareAndSwap(false, true) {
			go func() {
				defer x.building.Store(false)
				x.refresh(context.WithoutCancel(ctx)) // an error keeps the old index; the next question retries
			}()
		}
		return st.idx, nil
	}
	return x.refresh(ctx)
}

// fresh reports whether st needs no look at the store.
func (x *indexer) fresh(st *indexState) bool {
	return st.changes == x.db.KBChanges() && x.now().Sub(st.checked) < indexCheck
}

// refresh rebuilds the index if the knowledge base changed.
func (x *indexer) refresh(ctx context.Context) (*index, error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	st := x.cur.Load()
	if st != nil && x.fresh(st) {
		return st.idx, nil
	}
	changes, now := x.db.KBChanges(), x.now()
	kb, err := x.db.KBState(ctx)
	if err != nil {
		return nil, err
	}
	if st != nil && st.state == kb {
		x.cur.Store(&indexState{idx: st.idx, changes: changes, state: kb, checked: now, took: st.took})
		return st.idx, nil
	}
	start := time.Now()
	arts, err := x.db.ListArticles(ctx, false)
	if err != nil {
		return nil, err
	}
	exs, err := x.db.AllSectionExamples(ctx)
	if err != nil {
		return nil, err
	}
	idx := buildIndex(arts, exs, kb.Lang, x.rules)
	x.cur.Store(&indexState{idx: idx, changes: changes, state: kb, checked: now, took: time.Since(start)})
	return idx, nil
}

// sections returns the sections of an indexed article, from the store
// (the index keeps no text), the latest kept.
func (x *indexer) sections(ctx context.Context, a artEntry) (*articleText, error) {
	x.textMu.Lock()
	t := x.texts[a.id]
	x.textMu.Unlock()
	if t != nil && t.updated.Equal(a.updated) {
		return t, nil
	}
	art, err := x.db.GetArticle(ctx, a.slug, false)
	if errors.Is(err, store.ErrNotFound) {
		return &articleText{}, nil // unpublished since: nothing to quote
	}
	if err != nil {
		return nil, err
	}
	t = &articleText{updated: a.updated, secs: store.Sections(art.Body), size: len(art.Body)}
	for _, s := range t.secs {
		bt := make([][]string, len(s.Blocks))
		for i, b := range s.Blocks {
			seen := map[string]bool{}
			for _, w := range words(b) {
				seen[term(a.lang, w)] = true
			}
			bt[i] = slices.Sorted(maps.Keys(seen))
		}
		t.terms = append(t.terms, bt)
	}
	x.textMu.Lock()
	defer x.textMu.Unlock()
	if old := x.texts[a.id]; old != nil {
		x.textBytes -= old.size
	} else {
		x.order = append(x.order, a.id)
	}
	x.texts[a.id] = t
	x.textBytes += t.size
	for x.textBytes > textCacheBytes && len(x.order) > 1 {
		x.textBytes -= x.texts[x.order[0]].size
		delete(x.texts, x.order[0])
		x.order = x.order[1:]
	}
	return t, nil
}

// sectionText returns the blocks of the indexed section si: the section at
// the same place in the article if its anchor still matches, else the one
// with that anchor, else none.
func (x *indexer) sectionText(ctx context.Context, idx *index, si int32) (sectionText, error) {
	s := idx.secs[si]
	a := idx.arts[s.art]
	t, err := x.sections(ctx, a)
	if err != nil {
		return sectionText{}, err
	}
	if i := int(si - a.first); i < len(t.secs) && t.secs[i].Anchor == s.anchor {
		return sectionText{t.secs[i].Blocks, t.terms[i]}, nil
	}
	for i, sec := range t.secs {
		if sec.Anchor == s.anchor {
			return sectionText{sec.Blocks, t.terms[i]}, nil
		}
	}
	return sectionText{}, nil
}
