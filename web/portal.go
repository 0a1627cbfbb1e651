package web

import (
	"bytes"
	"net/http"
	"strings"

	"safedesk/store"
	"safedesk/templates"
)

func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	arts, err := s.db.ListArticles(r.Context(), false)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	if len(arts) > 8 {
		arts = arts[:8]
	}
	s.render(w, r, http.StatusOK, templates.Home(templates.HomeProps{Page: s.page(r, "Help Centre"), Articles: arts}))
}

func (s *Server) kbList(w http.ResponseWriter, r *http.Request) {
	arts, err := s.db.ListArticles(r.Context(), false)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, templates.KBList(templates.KBListProps{Page: s.page(r, "Help articles"), Articles: arts}))
}

func (s *Server) kbSearch(w http.ResponseWriter, r *http.Request) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	if len(q) > 200 {
		q = q[:200]
	}
	var results []store.SearchResult
	if q != "" {
		var err error
		if results, err = s.db.SearchArticles(r.Context(), q, store.MatchAll, 20); err != nil {
			s.serveError(w, r, err)
			return
		}
		if len(results) == 0 {
			if results, err = s.db.SearchArticles(r.Context(), q, store.MatchAny, 20); err != nil {
				s.serveError(w, r, err)
				return
			}
		}
	}
	s.render(w, r, http.StatusOK, templates.KBSearch(templates.KBSearchProps{Page: s.page(r, "Search"), Query: q, Results: results}))
}

// kbArticle serves an article. A visitor whose session has nothing to show
// (no verified customer, no notice) gets the page every such visitor gets,
// built from publicPage without their session and cached by the article's
// updated_at; anyone else gets their own page, which is never cached.
func (s *Server) kbArticle(w http.ResponseWriter, r *http.Request) {
	art, err := s.db.GetArticle(r.Context(), r.PathValue("slug"), false)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	shared := s.customerID(r) == 0 && !s.customer.Exists(r.Context(), sessNotice)
	stamp := art.UpdatedAt.UnixNano()
	if shared {
		if page, ok := s.kbCache.get(art.Slug, stamp); ok {
			writeHTML(w, page)
			return
		}
	}
	body, err := RenderMarkdown(art.Body)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	if !shared {
		s.render(w, r, http.StatusOK, templates.KBArticle(templates.KBArticleProps{Page: s.page(r, art.Title), Article: art, HTML: body}))
		return
	}
	c := templates.KBArticle(templates.KBArticleProps{Page: s.publicPage(art.Title), Article: art, HTML: body})
	var buf bytes.Buffer
	if err := c.Render(r.Context(), &buf); err != nil {
		s.serveError(w, r, err)
		return
	}
	s.kbCache.put(art.Slug, stamp, buf.Bytes())
	writeHTML(w, buf.Bytes())
}

var (
	htmlType    = []string{"text/html; charset=utf-8"}
	publicCache = []string{"no-cache"}
)

func writeHTML(w http.ResponseWriter, page []byte) {
	h := w.Header()
	h["Content-Type"] = htmlType
	h["Cache-Control"] = publicCache
	w.WriteHeader(http.StatusOK)
	w.Write(page)
}

// privacy is the privacy notice, generated from the configuration
// (web/me.go builds its props).
func (s *Server) privacy(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, templates.Privacy(s.privacyProps(r)))
}

func (s *Server) securityPage(w http.ResponseWriter, r *http.Request) {
	domain := ""
	if at := strings.LastIndexByte(s.cfg.MailFrom, '@'); at >= 0 {
		domain = strings.TrimRight(s.cfg.MailFrom[at+1:], ">")
	}
	s.render(w, r, http.StatusOK, templates.Security(templates.SecurityProps{
		Page: s.page(r, "Security"), BaseURL: s.cfg.BaseURL.String(), MailDomain: domain,
	}))
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Write([]byte("ok\n"))
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	if err := s.db.Ping(r.Context()); err != nil {
		s.log.Error("not ready", "err", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte("not ready\n"))
		return
	}
	w.Write([]byte("ready\n"))
}
