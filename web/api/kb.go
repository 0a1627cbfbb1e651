package api

import (
	"errors"
	"net/http"
	"strings"

	"safedesk/bot"
	"safedesk/store"
	"safedesk/web/httpx"
)

// articleJSON is an article as the API shows it: a list has no body, a
// search a snippet and the matching sections instead.
type articleJSON struct {
	Slug      string        `json:"slug"`
	Title     string        `json:"title"`
	Body      string        `json:"body,omitempty"`
	Snippet   string        `json:"snippet,omitempty"`
	Lang      string        `json:"lang,omitempty"`
	Sections  []sectionJSON `json:"sections,omitempty"`
	Published bool          `json:"published"`
	CreatedAt any           `json:"created_at,omitempty"`
	UpdatedAt any           `json:"updated_at,omitempty"`
}

// sectionJSON is a section a search found: its heading ("" for the text
// before the first one), its address in the portal and a plain-text
// snippet.
type sectionJSON struct {
	Heading string `json:"heading"`
	URL     string `json:"url"`
	Snippet string `json:"snippet"`
}

// searchLimit is how many articles a search returns.
const searchLimit = 50

// newSearchJSON is an article a search found.
func newSearchJSON(h bot.Hit) articleJSON {
	out := articleJSON{Slug: h.Slug, Title: h.Title, Lang: h.Lang, Published: true}
	for _, s := range h.Sections {
		var snip strings.Builder
		for _, seg := range s.Snippet {
			snip.WriteString(seg.Text)
		}
		out.Sections = append(out.Sections, sectionJSON{Heading: s.Heading, URL: s.URL(h.Slug), Snippet: snip.String()})
	}
	if len(out.Sections) > 0 {
		out.Snippet = out.Sections[0].Snippet
	}
	return out
}

func newArticleJSON(a store.Article, withBody bool) articleJSON {
	out := articleJSON{Slug: a.Slug, Title: a.Title, Published: a.Published, CreatedAt: jsonTime(a.CreatedAt), UpdatedAt: jsonTime(a.UpdatedAt)}
	if withBody {
		out.Body = a.Body
	}
	return out
}

// articleList lists every article, drafts included; with q it searches
// the published ones with the help centre's ranking (sections, stems in
// five languages, typos, synonyms), best first. q is only ever words.
func (h *Handler) articleList(w http.ResponseWriter, r *http.Request, p *store.Principal) {
	q, err := queryText(r)
	if err != nil {
		h.ServeError(w, r, err)
		return
	}
	out := []articleJSON{}
	if q == "" {
		arts, err := h.db.ListArticles(r.Context(), true)
		if err != nil {
			h.ServeError(w, r, err)
			return
		}
		for _, a := range arts {
			out = append(out, newArticleJSON(a, false))
		}
	} else {
		hits, err := h.hooks.SearchKB(r.Context(), q, searchLimit)
		if err != nil {
			h.ServeError(w, r, err)
			return
		}
		for _, hit := range hits {
			out = append(out, newSearchJSON(hit))
		}
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"articles": out})
}

// articleRequest is the body of POST /kb/articles (slug required) and of
// PUT /kb/articles/{slug} (slug from the path). Published defaults to true.
type articleRequest struct {
	Slug      string `json:"slug"`
	Title     string `json:"title"`
	Body      string `json:"body"`
	Published *bool  `json:"published"`
}

type articlePutRequest struct {
	Title     string `json:"title"`
	Body      string `json:"body"`
	Published *bool  `json:"published"`
}

func (req articleRequest) article() store.Article {
	a := store.Article{Slug: req.Slug, Title: strings.TrimSpace(req.Title), Body: req.Body, Published: true}
	if req.Published != nil {
		a.Published = *req.Published
	}
	return a
}

func (h *Handler) articleCreate(w http.ResponseWriter, r *http.Request, p *store.Principal) {
	var req articleRequest
	if err := decodeJSON(r, &req); err != nil {
		h.ServeError(w, r, err)
		return
	}
	art := req.article()
	if err := art.Validate(); err != nil {
		h.ServeError(w, r, err)
		return
	}
	if _, err := h.db.GetArticle(r.Context(), art.Slug, true); err == nil {
		h.ServeError(w, r, errorf(http.StatusConflict, "conflict", "An article with this slug exists; use PUT to change it."))
		return
	} else if !errors.Is(err, store.ErrNotFound) {
		h.ServeError(w, r, err)
		return
	}
	h.saveArticle(w, r, p, art, http.StatusCreated)
}

func (h *Handler) saveArticle(w http.ResponseWriter, r *http.Request, p *store.Principal, art store.Article, status int) {
	if err := h.db.SaveArticle(r.Context(), art, h.actor(r, p)); err != nil {
		h.ServeError(w, r, err)
		return
	}
	saved, err := h.db.GetArticle(r.Context(), art.Slug, true)
	if err != nil {
		h.ServeError(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/kb/articles/"+saved.Slug)
	httpx.WriteJSON(w, status, newArticleJSON(saved, true))
}

func (h *Handler) articleGet(w http.ResponseWriter, r *http.Request, p *store.Principal) {
	art, err := h.db.GetArticle(r.Context(), r.PathValue("slug"), true)
	if err != nil {
		h.ServeError(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, newArticleJSON(art, true))
}

// articlePut creates (201) or replaces (200) the article at the slug.
func (h *Handler) articlePut(w http.ResponseWriter, r *http.Request, p *store.Principal) {
	var req articlePutRequest
	if err := decodeJSON(r, &req); err != nil {
		h.ServeError(w, r, err)
		return
	}
	art := articleRequest{Slug: r.PathValue("slug"), Title: req.Title, Body: req.Body, Published: req.Published}.article()
	if err := art.Validate(); err != nil {
		h.ServeError(w, r, err)
		return
	}
	status := http.StatusOK
	if _, err := h.db.GetArticle(r.Context(), art.Slug, true); errors.Is(err, store.ErrNotFound) {
		status = http.StatusCreated
	} else if err != nil {
		h.ServeError(w, r, err)
		return
	}
	h.saveArticle(w, r, p, art, status)
}

func (h *Handler) articleDelete(w http.ResponseWriter, r *http.Request, p *store.Principal) {
	if err := h.db.DeleteArticle(r.Context(), r.PathValue("slug"), h.actor(r, p)); err != nil {
		h.ServeError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
}
