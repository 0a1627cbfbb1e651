package bot

import (
	"context"
	"strings"

	"safedesk/store"
)

// Hit is one article the help-centre search found, with the sections of it
// that match, best first.
type Hit struct {
	Slug, Title, Lang string
	Sections          []HitSection
}

// HitSection is one matching section: its heading ("" for the article's
// opening), its anchor on the article page, and a plain-text snippet with
// the question's words marked.
type HitSection struct {
	Heading, Anchor string
	Snippet         []store.Segment
}

// URL is the section's address in the portal.
func (s HitSection) URL(slug string) string {
	return Source{Slug: slug, Anchor: s.Anchor}.URL()
}

// searchFloor is the least confidence a section needs to be listed by the
// search: lower than the assistant's threshold, since a list of results
// may show a near miss that a single answer must not.
const searchFloor = 0.3

// Search ranks the knowledge base for the help centre's search box with the
// assistant's own ranking, and returns up to limit articles, each with its
// best section and, when nearly as good, a second one.
func (b *Bot) Search(ctx context.Context, q string, limit int) ([]Hit, error) {
	rk, err := b.ret.rank(ctx, q)
	if err != nil {
		return nil, err
	}
	var out []Hit
	best := map[int32]int{} // article → index in out
	top := map[int32]float64{}
	for _, h := range rk.hits {
		if h.conf < searchFloor {
			continue
		}
		s := rk.idx.secs[h.sec]
		i, seen := best[s.art]
		if !seen {
			if len(out) == limit {
				continue
			}
			a := rk.idx.arts[s.art]
			best[s.art], top[s.art] = len(out), h.rank
			out = append(out, Hit{Slug: a.slug, Title: a.title, Lang: a.lang})
			i = len(out) - 1
		} else if len(out[i].Sections) >= 2 || h.rank < 0.9*top[s.art] {
			continue
		}
		snip, err := b.ret.snippet(ctx, rk, h)
		if err != nil {
			return nil, err
		}
		out[i].Sections = append(out[i].Sections, HitSection{Heading: s.heading, Anchor: s.anchor, Snippet: snip})
	}
	return out, nil
}

// Link names an article, in its language.
type Link struct{ Slug, Title, Lang string }

// Related returns up to n other articles about what the article with slug
// is about, in its language: the ones the search finds for its title and
// headings. A reader of a German article is not sent to a Dutch one, nor to
// the same article in another language.
func (b *Bot) Related(ctx context.Context, slug string, n int) ([]Link, error) {
	idx, err := b.ret.x.get(ctx)
	if err != nil {
		return nil, err
	}
	var text []string
	lang := ""
	for _, a := range idx.arts {
		if a.slug != slug {
			continue
		}
		lang = a.lang
		text = append(text, a.title)
		for si := a.first; si < a.first+a.n; si++ {
			text = append(text, idx.secs[si].heading)
		}
	}
	if len(text) == 0 {
		return nil, nil
	}
	rk, err := b.ret.rank(ctx, strings.Join(text, ". "))
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{slug: true}
	var out []Link
	for _, h := range rk.hits {
		if len(out) == n {
			break
		}
		a := rk.idx.arts[rk.idx.secs[h.sec].art]
		if seen[a.slug] || a.lang != lang {
			continue
		}
		seen[a.slug] = true
		out = append(out, Link{Slug: a.slug, Title: a.title, Lang: a.lang})
	}
	return out, nil
}
