package bot

import (
	"math"
	"strings"
	"time"
	"unicode/utf8"

	"safedesk/store"
)

// doc is a parsed article: its stems, by title and body, and its passages.
type doc struct {
	updated time.Time
	title   string
	tstems  map[string]bool
	stems   map[string]int // term frequency in title and body
	length  int            // words in title and body
	blocks  []block
	// pairs holds "stem1 stem2" for each two words that follow each other
	// in the title or a passage, stopwords skipped.
	pairs map[string]bool
}

type block struct {
	heading string
	text    string
	stems   map[string]bool
	hstems  map[string]bool
}

// strength is how much of a group's weight the article (or only its title)
// carries: the weight of the group's best word in it, a synonym counting no
// more than it is itself specific.
func (d *doc) strength(g group, titleOnly bool) float64 {
	best := 0.0
	for i, s := range g.stems {
		if d.tstems[s] || (!titleOnly && d.stems[s] > 0) {
			best = math.Max(best, synonymWeight(g, i))
			if i == 0 && !g.phrase {
				return g.weight
			}
		}
	}
	return best
}

// bm25 is the group's BM25 term score in the article: the best of its words,
// each counting as much as it is specific, plus a bonus for the title.
func (d *doc) bm25(g group, avgLen float64) float64 {
	best := 0.0
	for i, s := range g.stems {
		tf := float64(d.stems[s])
		if tf == 0 {
			continue
		}
		w := math.Min(g.idf[i], g.weight)
		sat := tf * (bmK1 + 1) / (tf + bmK1*(1-bmB+bmB*float64(d.length)/avgLen))
		if d.tstems[s] {
			sat += bmTitle
		}
		best = math.Max(best, w*sat)
	}
	return best
}

// pairs is the weight of the query's neighbouring ideas that also stand
// next to each other in the article ("direct debit", "cancel order").
func (d *doc) pairScore(groups []group) float64 {
	var sum float64
	for i := 1; i < len(groups); i++ {
		a, b := groups[i-1], groups[i]
		found := 0.0
		for j, sa := range a.stems {
			for k, sb := range b.stems {
				if d.pairs[sa+" "+sb] {
					found = math.Max(found, math.Min(math.Min(a.idf[j], a.weight), math.Min(b.idf[k], b.weight)))
				}
			}
		}
		sum += found
	}
	return sum
}

// plain strips the Markdown of one line: emphasis, code marks, link targets
// and list markers.
func plain(line string) string {
	line = mdMarker.ReplaceAllString(line, "")
	line = mdLink.ReplaceAllString(line, "$1")
	line = strings.NewReplacer("**", "", "__", "", "`", "").Replace(line)
	return strings.TrimSpace(line)
}

func stemSet(text string) map[string]bool {
	m := map[string]bool{}
	for _, w := range words(text) {
		m[stem(w)] = true
	}
	return m
}

// parseDoc splits an article into passages: each paragraph and each list
// item under the heading it belongs to.
func parseDoc(art store.Article, stop map[string]bool) *doc {
	d := &doc{updated: art.UpdatedAt, title: art.Title, tstems: stemSet(art.Title), stems: map[string]int{}, pairs: map[string]bool{}}
	count := func(text string) {
		prev := ""
		for _, w := range words(text) {
			st := stem(w)
			d.stems[st]++
			d.length++
			if stop[w] {
				continue
			}
			if prev != "" {
				d.pairs[prev+" "+st] = true
			}
			prev = st
		}
	}
	count(art.Title)
	heading := ""
	var para []string
	flush := func() {
		if len(para) == 0 {
			return
		}
		text := strings.Join(para, " ")
		para = para[:0]
		d.blocks = append(d.blocks, block{heading: heading, text: text, stems: stemSet(text), hstems: stemSet(heading)})
		count(text)
	}
	for _, line := range strings.Split(art.Body, "\n") {
		t := strings.TrimSpace(line)
		switch {
		case t == "":
			flush()
		case strings.HasPrefix(t, "#"):
			flush()
			heading = plain(strings.TrimSpace(strings.TrimLeft(t, "#")))
			count(heading)
		case mdMarker.MatchString(t):
			flush()
			para = append(para, plain(t))
			flush()
		default:
			para = append(para, plain(t))
		}
	}
	flush()
	return d
}

// maxQuote is the longest passage quoted, in characters.
const maxQuote = 360

// bestBlock returns the index of the passage that carries most of the
// query's weight, and that weight; its heading counts a little.
func (d *doc) bestBlock(groups []group) (int, float64) {
	best, bestScore := -1, -1.0
	for i, b := range d.blocks {
		var sc float64
		for _, g := range groups {
			var in, head float64
			for j, s := range g.stems {
				w := math.Min(g.idf[j], g.weight)
				if b.stems[s] {
					in = math.Max(in, w)
				} else if b.hstems[s] {
					head = math.Max(head, 0.3*w)
				}
			}
			sc += math.Max(in, head)
		}
		if sc > bestScore {
			best, bestScore = i, sc
		}
	}
	return best, math.Max(bestScore, 0)
}

// passage returns the best passage for the query, with its heading.
func (d *doc) passage(groups []group) (section, quote string) {
	best, _ := d.bestBlock(groups)
	if best < 0 {
		return "", ""
	}
	b := d.blocks[best]
	quote = b.text
	// A short passage reads better with the next one of the same section.
	if utf8.RuneCountInString(quote) < 90 && best+1 < len(d.blocks) && d.blocks[best+1].heading == b.heading {
		quote += " " + d.blocks[best+1].text
	}
	return b.heading, clip(quote, maxQuote)
}

// clip shortens s to at most n characters, at a sentence or word end.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	cut := s
	for i := range s {
		if utf8.RuneCountInString(s[:i]) >= n {
			cut = s[:i]
			break
		}
	}
	if i := strings.LastIndexAny(cut, ".!?"); i > len(cut)/2 {
		return cut[:i+1]
	}
	if i := strings.LastIndexByte(cut, ' '); i > 0 {
		cut = cut[:i]
	}
	return strings.TrimRight(cut, ",;: ") + "…"
}
