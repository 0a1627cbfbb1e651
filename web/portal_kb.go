package web

import (
	"bytes"
	"encoding/xml"
	"errors"
	"net/http"
	"net/url"
	"time"

	"safedesk/store"
	"safedesk/templates"
)

// kbCategory lists a category's published articles.
func (s *Server) kbCategory(w http.ResponseWriter, r *http.Request) {
	c, err := s.db.GetCategory(r.Context(), r.PathValue("slug"))
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	arts, err := s.db.CategoryArticles(r.Context(), c.ID)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	p := templates.KBCategoryProps{Page: s.page(r, c.Name), Category: c, Articles: arts}
	p.Head = templates.Head{Canonical: s.cfg.BaseURL.JoinPath("/kb/category", c.Slug).String(), Description: c.Description}
	s.render(w, r, http.StatusOK, templates.KBCategory(p))
}

// longArticle is how many headed sections make an article long enough
// for a table of contents.
const longArticle = 3

// articleProps is an article page's content: the body, its category for
// the breadcrumbs, and the table of contents of a long article.
func (s *Server) articleProps(r *http.Request, art store.Article, body string) (templates.KBArticleProps, error) {
	p := templates.KBArticleProps{Article: art, HTML: body}
	if art.CategoryID != 0 {
		c, err := s.db.GetCategoryByID(r.Context(), art.CategoryID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return p, err
		}
		p.Category = c
	}
	var headed []store.Section
	for _, sec := range store.Sections(art.Body) {
		if sec.Anchor != "" {
			headed = append(headed, sec)
		}
	}
	if len(headed) >= longArticle {
		p.Contents = headed
	}
	return p, nil
}

// articleHead is a published article's meta description (its opening
// words, plain text) and canonical address. The portal serves only
// published articles, so a draft never gets either.
func articleHead(base *url.URL, art store.Article) templates.Head {
	h := templates.Head{}
	if !art.Published {
		return h
	}
	h.Canonical = base.JoinPath("/kb", art.Slug).String()
	for _, sec := range store.Sections(art.Body) {
		if len(sec.Blocks) > 0 {
			h.Description = templates.Clip(sec.Blocks[0], 160)
			break
		}
	}
	return h
}

// robots is /robots.txt: the public help centre may be indexed; the
// panel, the API, customers' pages and the chat may not.
func (s *Server) robots(w http.ResponseWriter, r *http.Request) {
	var b bytes.Buffer
	b.WriteString("User-agent: *\n")
	for _, p := range []string{"/admin", "/api/", "/oauth/", "/tickets", "/me/", "/chat", "/verify", "/kb/search"} {
		b.WriteString("Disallow: " + p + "\n")
	}
	b.WriteString("\nSitemap: " + s.cfg.BaseURL.JoinPath("/sitemap.xml").String() + "\n")
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=3600")
	w.Write(b.Bytes())
}

// sitemapURL is one <url> of sitemap.xml.
type sitemapURL struct {
	Loc     string `xml:"loc"`
	LastMod string `xml:"lastmod,omitempty"`
}

// sitemap is /sitemap.xml: the home page, the published articles and the
// categories that hold one; never a draft.
func (s *Server) sitemap(w http.ResponseWriter, r *http.Request) {
	entries, err := s.db.Sitemap(r.Context())
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	doc := struct {
		XMLName xml.Name     `xml:"http://www.sitemaps.org/schemas/sitemap/0.9 urlset"`
		URLs    []sitemapURL `xml:"url"`
	}{URLs: []sitemapURL{{Loc: s.cfg.BaseURL.JoinPath("/").String()}}}
	for _, e := range entries {
		doc.URLs = append(doc.URLs, sitemapURL{Loc: s.cfg.BaseURL.JoinPath(e.Path).String(), LastMod: e.UpdatedAt.UTC().Format(time.DateOnly)})
	}
	out, err := xml.MarshalIndent(doc, "", "  ")
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=300")
	w.Write([]byte(xml.Header))
	w.Write(out)
	w.Write([]byte("\n"))
}
