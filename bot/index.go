package bot

import (
	"sort"
	"strings"
	"sync"
	"time"

	"safedesk/store"
)

// index is the knowledge base as the retrieval reads it: every published
// article split into sections (store.Sections), each section's words
// stemmed in its article's language, with postings from term to section
// and the knowledge base's own vocabulary for typo tolerance. It keeps no
// text but headings: the section a reply quotes is read from the store
// (indexer.sections). It is built from the store and immutable; an indexer
// swaps in a new one when the knowledge base changes.
type index struct {
	arts       []artEntry
	secs       []secEntry
	hot        []secHot             // per section, what a posting's reading needs (evidence.go)
	postings   map[string][]posting // term → sections, in index order
	titles     map[string][]int32   // term → articles with it in the title, in order
	exs        []exEntry            // the example questions (examples.go)
	exTerms    []int32              // their terms, as places in stems
	exPostings map[string][]posting // term → sections whose example questions have it (tf: how many), in index order
	exDF       map[string]int       // term → sections whose examples have it and whose text has not
	together   map[string][]posting // a rules' phrase (alt.stem) → sections where its words stand together (phrases.go), in index order
	exTogether map[string][]int32   // a rules' phrase → the example questions (places in exs) where its words stand together
	phrases    *phraseSet           // the phrases together records
	// translationOf maps an article not in the site's language to the
	// site-language article it translates, translated the other way
	// (translations.go).
	translationOf map[int32]int32
	translated    map[int32][]int32
	sectionOf     map[int32]int32 // a translation's section → its original's section
	stems         []string        // every term, sorted
	vocab         *vocabulary
	avgLen        float64
	siteLang      string
	scratch       sync.Pool // *evidence sized for this index
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
}

// secEntry is one section.
type secEntry struct {
	art     int32
	length  int32   // words
	limit   float32 // a time limit its heading names ("in the first 30 days"), in minutes, or 0
	anchor  string
	heading string
	headN   int8  // the heading's distinct words that are not stopwords
	exN     int16 // how many example questions it has, from index.exs[ex0]
	ex0     int32
	feats   intent
	asks    intent // the kind of answer its heading names ("How often", "El plazo de 60 minutos")
	howTo   bool   // the heading says how to do something ("How to start a return")
	negated bool   // the heading is about what is excluded
	trouble bool   // the heading asks about what went wrong ("Didn't get the email?", "Too late?")
}

// secHot is what reading a posting needs of its section, apart from
// secEntry: a common word has postings in most sections, and eight bytes
// a section stay in the processor's cache where the whole entry does not.
type secHot struct {
	art  int32
	norm float32 // BM25's length normalisation of the section: bm25k·(1-b+b·length/average)
}

// posting is one section a term occurs in, packed in 32 bits: the
// section's index (24 bits), how often the term is in its text (up to 127)
// and whether it is in its heading.
type posting uint32

const maxPostingTF = 127

func newPosting(sec int32, tf int, head bool) posting {
	p := posting(sec)<<8 | posting(min(tf, maxPostingTF))<<1
	if head {
		p |= 1
	}
	return p
}

func (p posting) sec() int32 { return int32(p >> 8) }
func (p posting) tf() int    { return int(p>>1) & maxPostingTF }
func (p posting) head() bool { return p&1 != 0 }

// maxSections is how many sections an index holds (24 bits of a posting).
const maxSections = 1 << 24

// builder makes an index, one article at a time.
type builder struct {
	idx     *index
	vb      *vocabBuilder
	intern  map[string]string
	total   int
	exTerms []string       // the examples' terms, in order
	tf      map[string]int // a section's terms, reused
	head    map[string]bool
	seq     []string        // a heading's or a block's terms, in order, reused
	near    map[string]int  // the phrases standing together in a section's text, how often
	nearH   map[string]bool // and in its heading
	rules   *Rules
	// The words of the articles not in the site's language: their titles
	// by article, their blocks by section (translations.go).
	foreignTitles map[int32][]string
	foreignSecs   map[int32][][]string
}

func newBuilder(siteLang string, n int, rules *Rules) *builder {
	return &builder{
		idx: &index{postings: map[string][]posting{}, titles: map[string][]int32{}, exPostings: map[string][]posting{}, exDF: map[string]int{},
			together: map[string][]posting{}, exTogether: map[string][]int32{}, phrases: rules.phrases, siteLang: siteLang, arts: make([]artEntry, 0, n)},
		vb:     newVocabBuilder(),
		intern: map[string]string{},
		tf:     map[string]int{},
		head:   map[string]bool{},
		near:   map[string]int{},
		nearH:  map[string]bool{},
		rules:  rules,
	}
}

// term is term(lang, w), one string per distinct term.
func (b *builder) term(lang, w string) string {
	t := term(lang, w)
	if s, ok := b.intern[t]; ok {
		return s
	}
	b.intern[t] = t
	return t
}

// add indexes one article in lang.
func (b *builder) add(a store.Article, lang string) {
	idx := b.idx
	if len(idx.secs) >= maxSections {
		return
	}
	ai := int32(len(idx.arts))
	art := artEntry{id: a.ID, slug: a.Slug, title: a.Title, lang: lang, updated: a.UpdatedAt, first: int32(len(idx.secs))}
	seen := map[string]bool{}
	for _, w := range words(a.Title) {
		t := b.term(lang, w)
		b.vb.add(w, t)
		if !seen[t] {
			seen[t] = true
			idx.titles[t] = append(idx.titles[t], ai)
		}
	}
	foreign := lang != idx.siteLang
	if foreign {
		if b.foreignTitles == nil {
			b.foreignTitles = map[int32][]string{}
		}
		b.foreignTitles[ai] = words(a.Title)
	}
	for _, s := range store.Sections(a.Body) {
		si := int32(len(idx.secs))
		if foreign {
			b.foreignWords(si, s.Heading)
			for _, bl := range s.Blocks {
				b.foreignWords(si, bl)
			}
		}
		sec := secEntry{art: ai, anchor: s.Anchor, heading: s.Heading, howTo: howToHeading.MatchString(sentence(s.Heading))}
		clear(b.tf)
		clear(b.head)
		clear(b.near)
		clear(b.nearH)
		b.addHeading(&sec, lang, s.Heading)
		steps := 0
		for _, bl := range s.Blocks {
			toks := words(bl)
			b.seq = b.seq[:0]
			for _, w := range toks {
				t := b.term(lang, w)
				b.seq = append(b.seq, t)
				b.tf[t]++
				b.vb.add(w, t)
				sec.length++
			}
			b.together(false)
			sec.feats |= blockFeatures(bl, toks)
			steps += stepsIn(bl)
		}
		if steps >= 2 {
			sec.feats |= wantSteps
		}
		for t, n := range b.tf {
			idx.postings[t] = append(idx.postings[t], newPosting(si, n, b.head[t]))
		}
		for t := range b.head {
			if b.tf[t] == 0 {
				idx.postings[t] = append(idx.postings[t], newPosting(si, 0, true))
			}
		}
		b.recordTogether(si)
		b.total += int(sec.length)
		idx.secs = append(idx.secs, sec)
	}
	art.n = int32(len(idx.secs)) - art.first
	idx.arts = append(idx.arts, art)
}

// done finishes the index.
func (b *builder) done() *index {
	idx := b.idx
	if len(idx.secs) > 0 {
		idx.avgLen = float64(b.total) / float64(len(idx.secs))
	}
	idx.hot = make([]secHot, len(idx.secs))
	for i, s := range idx.secs {
		idx.hot[i] = secHot{art: s.art, norm: float32(bm25k * (1 - bm25b + bm25b*float64(s.length)/max(idx.avgLen, 1)))}
	}
	idx.vocab = b.vb.done()
	for t, ps := range idx.postings {
		idx.stems = append(idx.stems, t)
		idx.postings[t] = ps[:len(ps):len(ps)]
	}
	for t := range idx.titles {
		if idx.postings[t] == nil {
			idx.stems = append(idx.stems, t)
		}
	}
	for k, ps := range idx.together {
		idx.together[k] = ps[:len(ps):len(ps)]
	}
	for t, ps := range idx.exPostings {
		idx.exPostings[t] = ps[:len(ps):len(ps)]
		if idx.postings[t] == nil && idx.titles[t] == nil {
			idx.stems = append(idx.stems, t)
		}
	}
	sort.Strings(idx.stems)
	b.doneExamples()
	b.linkTranslations()
	return idx
}

// buildIndex makes the index of arts, whose language is siteLang unless
// they say otherwise, with their sections' example questions.
func buildIndex(arts []store.Article, exs []store.SectionExample, siteLang string, rules *Rules) *index {
	b := newBuilder(siteLang, len(arts), rules)
	for _, a := range arts {
		b.add(a, normLang(a.Lang, siteLang))
	}
	b.addExamples(exs)
	return b.done()
}

// addHeading indexes the heading of section sec in lang: its terms (in
// b.head, b.seq) and what it says of the section.
func (b *builder) addHeading(sec *secEntry, lang, heading string) {
	htoks := words(heading)
	sec.asks, _ = askedFor(sentence(heading))
	sec.limit = float32(durationOf(htoks))
	b.seq = b.seq[:0]
	for _, w := range htoks {
		t := b.term(lang, w)
		b.seq = append(b.seq, t)
		if !b.head[t] && !builtin.stop[w] && !stopIn[lang][w] && sec.headN < 127 {
			sec.headN++
		}
		b.head[t] = true
		b.vb.add(w, t)
		sec.negated = sec.negated || negations[w]
		sec.trouble = sec.trouble || negations[w] || troubles[w]
	}
	b.together(true)
	// A heading that is a question about what went wrong is an entry of
	// troubleshooting; "Outside the EU" is not.
	sec.trouble = sec.trouble && strings.HasSuffix(strings.TrimSpace(heading), "?")
}

// together notes the phrases that stand together in b.seq, a heading's
// (head) or a block's terms.
func (b *builder) together(head bool) {
	b.idx.phrases.scan(b.seq, func(key string) {
		if head {
			b.nearH[key] = true
		} else {
			b.near[key]++
		}
	})
}

// recordTogether adds the postings of the phrases standing together in
// section si.
func (b *builder) recordTogether(si int32) {
	idx := b.idx
	for k, n := range b.near {
		idx.together[k] = append(idx.together[k], newPosting(si, n, b.nearH[k]))
	}
	for k := range b.nearH {
		if b.near[k] == 0 {
			idx.together[k] = append(idx.together[k], newPosting(si, 0, true))
		}
	}
}

// termsWithPrefix returns up to four of the index's terms longer than t
// that start with it, for a stem of five letters or more.
func (idx *index) termsWithPrefix(t string) []string {
	if len(stemOf(t)) < 5 {
		return nil
	}
	i := sort.SearchStrings(idx.stems, t)
	var out []string
	for ; i < len(idx.stems) && strings.HasPrefix(idx.stems[i], t) && len(out) < 4; i++ {
		if idx.stems[i] != t {
			out = append(out, idx.stems[i])
		}
	}
	return out
}

// knows reports whether a section or a title has the term, or every term
// of the phrase.
func (idx *index) knows(a alt) bool {
	if a.phrase == nil {
		return idx.has(a.stem)
	}
	for _, t := range a.phrase {
		if !idx.has(t) {
			return false
		}
	}
	return true
}

// altDF is the number of sections with the term, or the least of the
// phrase's terms'.
func (idx *index) altDF(a alt) int {
	if a.phrase == nil {
		return idx.df(a.stem)
	}
	n := len(idx.secs)
	for _, t := range a.phrase {
		n = min(n, idx.df(t))
	}
	return n
}

// has reports whether a section, a title or an example question has the
// stem.
func (idx *index) has(st string) bool {
	return len(idx.postings[st]) > 0 || len(idx.titles[st]) > 0 || len(idx.exPostings[st]) > 0
}

// df is the number of sections with the stem, in their text or their
// example questions, or whose article has it in the title.
func (idx *index) df(st string) int {
	n := len(idx.postings[st]) + idx.exDF[st]
	for _, a := range idx.titles[st] {
		n += int(idx.arts[a].n)
	}
	return min(n, len(idx.secs))
}
