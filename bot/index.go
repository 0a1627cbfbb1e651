package bot

import (
	"context"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"safedesk/store"
)

// index is the knowledge base as the retrieval reads it: every published
// article split into sections (store.Sections), each section's words
// stemmed in its article's language, with postings from stem to section and
// the knowledge base's own vocabulary for typo tolerance. It is built from
// the store and immutable; an indexer swaps in a new one when the knowledge
// base changes.
type index struct {
	arts     []artEntry
	secs     []secEntry
	postings map[string][]posting // stem → sections (title words not included)
	titles   map[string][]int32   // stem → articles with it in the title
	stems    []string             // every stem, sorted
	vocab    *vocabulary
	avgLen   float64
	siteLang string
}

// artEntry is one article of the index.
type artEntry struct {
	id      int64
	slug    string
	title   string
	lang    string
	updated time.Time
	first   int32 // its first section in index.secs
	n       int32 // how many sections it has
	tstems  []string
}

// secEntry is one section.
type secEntry struct {
	art     int32
	anchor  string
	heading string
	blocks  []string
	length  int // words
	feats   intent
	howTo   bool // the heading says how to do something ("How to start a return")
	negated bool // the heading is about what is excluded
}

// posting is one section a stem occurs in: how often in its text, and
// whether in its heading.
type posting struct {
	sec  int32
	tf   uint16
	head bool
}

// parsedArticle is one article's contribution to an index, kept between
// builds so that an edit re-reads only the article that changed.
type parsedArticle struct {
	art  artEntry
	secs []parsedSection
}

type parsedSection struct {
	sec    secEntry
	tf     map[string]int // stem → count in the text
	hstems map[string]bool
	words  map[string]string // surface word → stem
}

// indexer keeps the current index and rebuilds it when the knowledge base
// changes: at once for a change made in this process (store.KBChanges),
// within indexCheck for one made by another (store.KBState).
type indexer struct {
	db   *store.DB
	now  func() time.Time
	stop map[string]bool // English stopwords (rules), kept out of nothing: used for language guesses

	cur atomic.Pointer[indexState]

	mu     sync.Mutex // one build at a time
	parsed map[int64]*parsedArticle
}

// indexState is an index with what it was built from.
type indexState struct {
	idx     *index
	changes uint64
	state   store.KBState
	checked time.Time
}

// indexCheck is how often the store is asked whether another process
// changed the knowledge base.
const indexCheck = 5 * time.Second

func newIndexer(db *store.DB, now func() time.Time) *indexer {
	return &indexer{db: db, now: now, parsed: map[int64]*parsedArticle{}}
}

// get returns an index that is current.
func (x *indexer) get(ctx context.Context) (*index, error) {
	st := x.cur.Load()
	now := x.now()
	changes := x.db.KBChanges()
	if st != nil && st.changes == changes && now.Sub(st.checked) < indexCheck {
		return st.idx, nil
	}
	x.mu.Lock()
	defer x.mu.Unlock()
	if st = x.cur.Load(); st != nil && st.changes == changes && now.Sub(st.checked) < indexCheck {
		return st.idx, nil
	}
	kb, err := x.db.KBState(ctx)
	if err != nil {
		return nil, err
	}
	if st != nil && st.state == kb {
		x.cur.Store(&indexState{idx: st.idx, changes: changes, state: kb, checked: now})
		return st.idx, nil
	}
	arts, err := x.db.ListArticles(ctx, false)
	if err != nil {
		return nil, err
	}
	idx := x.build(arts, kb.Lang)
	x.cur.Store(&indexState{idx: idx, changes: changes, state: kb, checked: now})
	return idx, nil
}

// build makes an index of arts, re-parsing only the articles that changed
// since the last build.
func (x *indexer) build(arts []store.Article, siteLang string) *index {
	seen := make(map[int64]bool, len(arts))
	idx := &index{postings: map[string][]posting{}, titles: map[string][]int32{}, siteLang: siteLang}
	vb := newVocabBuilder()
	var total int
	for _, a := range arts {
		seen[a.ID] = true
		lang := normLang(a.Lang, siteLang)
		p := x.parsed[a.ID]
		if p == nil || !p.art.updated.Equal(a.UpdatedAt) || p.art.lang != lang || p.art.title != a.Title || p.art.slug != a.Slug {
			p = parseArticle(a, lang)
			x.parsed[a.ID] = p
		}
		ai := int32(len(idx.arts))
		art := p.art
		art.first, art.n = int32(len(idx.secs)), int32(len(p.secs))
		idx.arts = append(idx.arts, art)
		for _, st := range uniq(art.tstems) {
			idx.titles[st] = append(idx.titles[st], ai)
		}
		for _, ps := range p.secs {
			si := int32(len(idx.secs))
			sec := ps.sec
			sec.art = ai
			idx.secs = append(idx.secs, sec)
			total += sec.length
			for st, n := range ps.tf {
				idx.postings[st] = append(idx.postings[st], posting{sec: si, tf: uint16(min(n, 65535)), head: ps.hstems[st]})
			}
			for st := range ps.hstems {
				if ps.tf[st] == 0 {
					idx.postings[st] = append(idx.postings[st], posting{sec: si, head: true})
				}
			}
			vb.addSection(ps.words)
		}
		vb.addTitle(art.title, lang)
	}
	for id := range x.parsed {
		if !seen[id] {
			delete(x.parsed, id)
		}
	}
	if len(idx.secs) > 0 {
		idx.avgLen = float64(total) / float64(len(idx.secs))
	}
	idx.vocab = vb.done()
	for st := range idx.postings {
		idx.stems = append(idx.stems, st)
	}
	for st := range idx.titles {
		if idx.postings[st] == nil {
			idx.stems = append(idx.stems, st)
		}
	}
	sort.Strings(idx.stems)
	return idx
}

func uniq(ss []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range ss {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// parseArticle splits an article into sections and stems their words in
// lang.
func parseArticle(a store.Article, lang string) *parsedArticle {
	p := &parsedArticle{art: artEntry{id: a.ID, slug: a.Slug, title: a.Title, lang: lang, updated: a.UpdatedAt}}
	for _, w := range words(a.Title) {
		p.art.tstems = append(p.art.tstems, term(lang, w))
	}
	for _, s := range store.Sections(a.Body) {
		ps := parsedSection{sec: secEntry{anchor: s.Anchor, heading: s.Heading, blocks: s.Blocks},
			tf: map[string]int{}, hstems: map[string]bool{}, words: map[string]string{}}
		for _, w := range words(s.Heading) {
			st := term(lang, w)
			ps.hstems[st] = true
			ps.words[w] = st
			if negations[w] {
				ps.sec.negated = true
			}
		}
		for _, b := range s.Blocks {
			for _, w := range words(b) {
				st := term(lang, w)
				ps.tf[st]++
				ps.words[w] = st
				ps.sec.length++
			}
		}
		ps.sec.feats = sectionFeatures(s)
		ps.sec.howTo = howToHeading.MatchString(sentence(s.Heading))
		p.secs = append(p.secs, ps)
	}
	return p
}

var (
	// durationRe finds a duration: a number and a unit of time, in any of
	// the languages.
	durationRe = regexp.MustCompile(`(?i)\b\d+(\s*[–-]\s*\d+)?(\s*|-)(working\s+|business\s+)?(minutes?|min|hours?|days?|weeks?|months?|years?|` +
		`minuten|stunden?|tagen?|wochen?|monate?n?|jahre?n?|werktagen?|minutes|heures?|jours?|semaines?|mois|ans|` +
		`minutos?|horas?|d[ií]as?|semanas?|meses|mes|años?|uur|uren|dagen|dag|weken|week|maanden|jaar|werkdagen)\b`)
	// frequencyRe finds how often: "every 3 months", "once a month",
	// "twice a year", in any of the languages.
	frequencyRe = regexp.MustCompile(`(?i)\b(every|each|once a|twice a|alle|jede[nr]?|einmal (im|pro)|tous les|toutes les|une fois par|cada|una vez al|una vez por|elke|om de|eens per|één keer per|een keer per)\b`)
	// clockRe finds a time of day: "9:00", "14 h 00", "3pm".
	clockRe = regexp.MustCompile(`(?i)\b\d{1,2}[:.]\d{2}\b|\b\d{1,2}\s?(am|pm)\b|\b\d{1,2} h\b`)
	// howToHeading finds a heading that says how to do something.
	howToHeading = regexp.MustCompile(`^ (how to|how do|how can|comment|so|zo|como|wie) `)
	// priceRe finds a price or the word free.
	priceRe = regexp.MustCompile(`(?i)€\s*\d|\d\s*€|\$\s*\d|\b\d+([.,]\d+)?\s*(eur|euro|euros)\b|\b(free|gratis|kostenlos|gratuit|gratuite)\b`)
)

// sectionFeatures finds what kind of answers a section gives.
func sectionFeatures(s store.Section) intent {
	var f intent
	steps := 0
	for _, b := range s.Blocks {
		if durationRe.MatchString(b) {
			f |= wantDuration
		}
		if priceRe.MatchString(b) {
			f |= wantPrice
		}
		if frequencyRe.MatchString(b) {
			f |= wantFrequency
		}
		if clockRe.MatchString(b) {
			f |= wantTime
		}
		if len(b) > 3 && isDigit(b[0]) && strings.HasPrefix(b[1:], ". ") {
			steps++
		}
		if strings.Contains(b, "→") {
			steps += 2 // a path to follow: "Account → Privacy"
		}
	}
	if steps >= 2 {
		f |= wantSteps
	}
	return f
}
