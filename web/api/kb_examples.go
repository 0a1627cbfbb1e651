package api

import (
	"net/http"
	"slices"
	"strconv"

	"safedesk/store"
	"safedesk/web/httpx"
)

// exampleJSON is an example question of an article's section: the
// section's anchor ("" for the article's top) and the question as saved,
// personal data removed.
type exampleJSON struct {
	ID        int64  `json:"id"`
	Anchor    string `json:"anchor"`
	Question  string `json:"question"`
	CreatedAt any    `json:"created_at"`
}

func newExampleJSON(ex store.SectionExample) exampleJSON {
	return exampleJSON{ID: ex.ID, Anchor: ex.Anchor, Question: ex.Question, CreatedAt: jsonTime(ex.Created)}
}

// exampleRequest is the body of POST /kb/articles/{slug}/examples.
type exampleRequest struct {
	Anchor   string `json:"anchor"`
	Question string `json:"question"`
}

// articleExamples is the article the path names, drafts included, with
// its example questions.
func (h *Handler) articleExamples(r *http.Request) (store.Article, []store.SectionExample, error) {
	art, err := h.db.GetArticle(r.Context(), r.PathValue("slug"), true)
	if err != nil {
		return art, nil, err
	}
	exs, err := h.db.SectionExamples(r.Context(), art.ID)
	return art, exs, err
}

// exampleList lists an article's example questions, by section.
func (h *Handler) exampleList(w http.ResponseWriter, r *http.Request, p *store.Principal) {
	_, exs, err := h.articleExamples(r)
	if err != nil {
		h.ServeError(w, r, err)
		return
	}
	out := make([]exampleJSON, 0, len(exs))
	for _, ex := range exs {
		out = append(out, newExampleJSON(ex))
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"examples": out})
}

// exampleCreate adds an example question to a section of the article.
func (h *Handler) exampleCreate(w http.ResponseWriter, r *http.Request, p *store.Principal) {
	var req exampleRequest
	if err := decodeJSON(r, &req); err != nil {
		h.ServeError(w, r, err)
		return
	}
	art, err := h.db.GetArticle(r.Context(), r.PathValue("slug"), true)
	if err != nil {
		h.ServeError(w, r, err)
		return
	}
	ex, err := h.db.AddSectionExample(r.Context(), art.ID, req.Anchor, req.Question, h.actor(r, p))
	if err != nil {
		h.ServeError(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/kb/articles/"+art.Slug+"/examples/"+strconv.FormatInt(ex.ID, 10))
	httpx.WriteJSON(w, http.StatusCreated, newExampleJSON(ex))
}

// exampleDelete removes one of the article's example questions; another
// article's is not found.
func (h *Handler) exampleDelete(w http.ResponseWriter, r *http.Request, p *store.Principal) {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		h.ServeError(w, r, err)
		return
	}
	_, exs, err := h.articleExamples(r)
	if err != nil {
		h.ServeError(w, r, err)
		return
	}
	if !slices.ContainsFunc(exs, func(ex store.SectionExample) bool { return ex.ID == id }) {
		h.ServeError(w, r, store.ErrNotFound)
		return
	}
	if err := h.db.DeleteSectionExample(r.Context(), id, h.actor(r, p)); err != nil {
		h.ServeError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
}
