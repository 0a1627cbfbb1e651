package bot

import (
	"context"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"safedesk/security"
	"safedesk/store"
)

// maxQuote is the longest quote of a section, in characters: a section
// longer than that is quoted from its best block on.
const maxQuote = 700

// source is the Source of a ranked section, its quote read from the store.
func (r *retriever) source(ctx context.Context, rk ranked, h hit) (Source, error) {
	src := rk.name(h)
	st, err := r.x.sectionText(ctx, rk.idx, h.sec)
	if err != nil {
		return src, err
	}
	blocks := st.blocks
	if n := utf8.RuneCountInString(strings.Join(blocks, "\n")); n > maxQuote {
		if b := rk.bestBlock(st.terms); b > 0 {
			blocks = blocks[b:]
		}
	}
	src.Quote = clipBlocks(blocks, maxQuote)
	return src, nil
}

// name is the Source of a ranked section without its quote.
func (rk ranked) name(h hit) Source {
	s := rk.idx.secs[h.sec]
	a := rk.idx.arts[s.art]
	return Source{Slug: a.slug, Title: a.title, Section: s.heading, Anchor: s.anchor, Lang: a.lang}
}

// matched returns the stems of the question that a section's article
// stems its words to, to mark them.
func (rk ranked) matched() map[string]bool {
	m := map[string]bool{}
	for _, g := range rk.q.groups {
		for _, a := range g.alts {
			m[a.stem] = true
			for _, t := range a.phrase {
				m[t] = true
			}
		}
	}
	return m
}

// bestBlock is the index of the block of a section with most of the
// question's weight, given each block's sorted terms.
func (rk ranked) bestBlock(blocks [][]string) int {
	best, bestW := 0, 0.0
	for i, terms := range blocks {
		have := func(t string) bool {
			_, ok := slices.BinarySearch(terms, t)
			return ok
		}
		var sum float64
		for _, g := range rk.q.groups {
			for _, a := range g.alts {
				if have(a.stem) || a.phrase != nil && haveAll(have, a.phrase) {
					sum += g.weight * a.f
					break
				}
			}
		}
		if sum > bestW {
			best, bestW = i, sum
		}
	}
	return best
}

func haveAll(have func(string) bool, terms []string) bool {
	for _, t := range terms {
		if !have(t) {
			return false
		}
	}
	return true
}

// clipBlocks joins blocks, one a line, up to n characters, ending at a
// sentence or a word.
func clipBlocks(blocks []string, n int) string {
	var b strings.Builder
	left := n
	for i, bl := range blocks {
		l := utf8.RuneCountInString(bl)
		if l > left {
			if i == 0 || left > 80 {
				if i > 0 {
					b.WriteByte('\n')
				}
				b.WriteString(clip(bl, left))
			}
			break
		}
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(bl)
		left -= l
	}
	return b.String()
}

// clip shortens s to at most n characters, at a sentence or word end.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	cut := s
	count := 0
	for i := range s {
		if count == n {
			cut = s[:i]
			break
		}
		count++
	}
	if i := strings.LastIndexAny(cut, ".!?"); i > len(cut)/2 {
		return cut[:i+1]
	}
	if i := strings.LastIndexByte(cut, ' '); i > 0 {
		cut = cut[:i]
	}
	return strings.TrimRight(cut, ",;: ") + "…"
}

// snippetLen is the length of a search snippet, in characters.
const snippetLen = 220

// snippet is the search snippet of a section: its best block (and what
// follows, up to snippetLen), plain text, the question's words marked.
func (r *retriever) snippet(ctx context.Context, rk ranked, h hit) ([]store.Segment, error) {
	st, err := r.x.sectionText(ctx, rk.idx, h.sec)
	if err != nil || len(st.blocks) == 0 {
		return nil, err
	}
	lang := rk.idx.arts[rk.idx.secs[h.sec].art].lang
	text := clipBlocks(st.blocks[rk.bestBlock(st.terms):], snippetLen)
	text = strings.ReplaceAll(text, "\n", " ")
	return mark(text, lang, rk.matched()), nil
}

// mark splits text into segments, marking each word whose stem in lang is
// one of stems.
func mark(text, lang string, stems map[string]bool) []store.Segment {
	var out []store.Segment
	add := func(t string, match bool) {
		if t == "" {
			return
		}
		if n := len(out); n > 0 && out[n-1].Match == match {
			out[n-1].Text += t
			return
		}
		out = append(out, store.Segment{Text: t, Match: match})
	}
	start := -1
	flush := func(end int) {
		if start < 0 {
			return
		}
		w := text[start:end]
		ws := words(w)
		add(w, len(ws) == 1 && stems[term(lang, ws[0])])
		start = -1
	}
	for i, r := range text {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || r == '\'' || r == '’' {
			if start < 0 {
				start = i
			}
			continue
		}
		flush(i)
		add(string(r), false)
	}
	flush(len(text))
	return out
}

// foldWord is a word as the index keeps it.
func foldWord(w string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(w) {
		b.WriteRune(security.FoldAccent(r))
	}
	return b.String()
}
