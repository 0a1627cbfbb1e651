package web

import (
	"errors"
	"net/http"
	"strconv"
	"strings"

	"safedesk/security"
	"safedesk/store"
	"safedesk/templates"
)

func (s *Server) adminKBList(w http.ResponseWriter, r *http.Request) {
	arts, err := s.db.ListArticles(r.Context(), true)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, templates.AdminKBList(templates.AdminKBListProps{
		AdminPage: s.adminPageProps(r, "Knowledge base", "kb"), Articles: arts, CanEdit: s.currentStaff(r).Role.Can(security.PermKBWrite),
	}))
}

// adminKBNew opens the editor for a new article. From the insight page,
// ?questions= names the customers' questions to write it for: they are
// shown beside the editor (masked), the first one as the title, to staff
// who may read the chat reports.
func (s *Server) adminKBNew(w http.ResponseWriter, r *http.Request) {
	art := store.Article{Published: true}
	var questions []string
	if ids := parseIDs(r.URL.Query().Get("questions")); len(ids) > 0 && s.currentStaff(r).Role.Can(security.PermReportsRead) {
		msgs, err := s.db.ListChatQuestions(r.Context(), ids)
		if err != nil {
			s.serveError(w, r, err)
			return
		}
		for _, m := range msgs {
			questions = append(questions, templates.Clip(security.RedactLog(m.Body), 200))
		}
		if len(questions) > 0 {
			art.Title = templates.Clip(questions[0], 120)
		}
	}
	s.renderKBEditWith(w, r, http.StatusOK, art, true, nil, questions)
}

// parseIDs reads a comma-separated list of ids, skipping anything else.
func parseIDs(s string) []int64 {
	var out []int64
	for _, f := range strings.Split(s, ",") {
		if id, err := strconv.ParseInt(strings.TrimSpace(f), 10, 64); err == nil && id > 0 {
			out = append(out, id)
		}
	}
	return out
}

func (s *Server) adminKBEdit(w http.ResponseWriter, r *http.Request) {
	art, err := s.db.GetArticle(r.Context(), r.PathValue("slug"), true)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	s.renderKBEdit(w, r, http.StatusOK, art, false, nil)
}

func (s *Server) renderKBEdit(w http.ResponseWriter, r *http.Request, status int, art store.Article, isNew bool, errs map[string]string) {
	s.renderKBEditWith(w, r, status, art, isNew, errs, nil)
}

func (s *Server) renderKBEditWith(w http.ResponseWriter, r *http.Request, status int, art store.Article, isNew bool, errs map[string]string, questions []string) {
	p, err := s.kbEditProps(r, art, isNew)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	p.Errors, p.Questions = errs, questions
	s.render(w, r, status, templates.AdminKBEdit(p))
}

// kbEditProps is the article editor for art: its preview, the categories
// and, for a saved article, its sections' example questions.
func (s *Server) kbEditProps(r *http.Request, art store.Article, isNew bool) (templates.AdminKBEditProps, error) {
	preview, err := RenderMarkdown(art.Body)
	if err != nil {
		return templates.AdminKBEditProps{}, err
	}
	cats, err := s.db.ListCategories(r.Context())
	if err != nil {
		return templates.AdminKBEditProps{}, err
	}
	title := "Edit article"
	if isNew {
		title = "New article"
	}
	p := templates.AdminKBEditProps{AdminPage: s.adminPageProps(r, title, "kb"), Article: art, IsNew: isNew, Preview: preview, Categories: cats}
	if !isNew && art.ID != 0 {
		p.Examples, err = s.exampleSections(r.Context(), art)
	}
	return p, err
}

// adminKBSavePost creates or updates an article. Renaming the slug moves
// the article: the new slug is saved and the old one removed, together.
func (s *Server) adminKBSavePost(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.serveError(w, r, formError(err))
		return
	}
	oldSlug := r.PathValue("slug")
	art := store.Article{
		Slug: strings.TrimSpace(r.PostForm.Get("slug")), Title: strings.TrimSpace(r.PostForm.Get("title")),
		Body: r.PostForm.Get("body"), Published: r.PostForm.Get("published") != "", Lang: r.PostForm.Get("lang"),
		CategoryID: formCategory(r.PostForm.Get("category")),
	}
	isNew := oldSlug == ""
	if isNew || art.Slug != oldSlug {
		if _, err := s.db.GetArticle(r.Context(), art.Slug, true); err == nil {
			s.renderKBEdit(w, r, http.StatusUnprocessableEntity, art, isNew, map[string]string{"slug": "Another article already uses this slug."})
			return
		}
	}
	err := s.db.SaveArticle(r.Context(), art, s.staffActor(r))
	var verr *store.ValidationError
	if errors.As(err, &verr) {
		s.renderKBEdit(w, r, http.StatusUnprocessableEntity, art, isNew, verr.Fields)
		return
	}
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	if !isNew && art.Slug != oldSlug {
		if err := s.db.DeleteArticle(r.Context(), oldSlug, s.staffActor(r)); err != nil && !errors.Is(err, store.ErrNotFound) {
			s.serveError(w, r, err)
			return
		}
	}
	s.flash(r, "Article saved.")
	http.Redirect(w, r, "/admin/kb/"+art.Slug+"/edit", http.StatusSeeOther)
}

// formCategory reads the editor's category: "none" takes the article out
// of its category, an id puts it in one, and anything else keeps it.
func formCategory(v string) int64 {
	if v == "none" {
		return store.NoCategory
	}
	if id, err := strconv.ParseInt(v, 10, 64); err == nil && id > 0 {
		return id
	}
	return 0
}

func (s *Server) adminKBDeletePost(w http.ResponseWriter, r *http.Request) {
	if err := s.db.DeleteArticle(r.Context(), r.PathValue("slug"), s.staffActor(r)); err != nil {
		s.serveError(w, r, err)
		return
	}
	s.flash(r, "Article deleted.")
	http.Redirect(w, r, "/admin/kb", http.StatusSeeOther)
}

// adminKBPreviewPost renders Markdown for the editor's live preview.
func (s *Server) adminKBPreviewPost(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.serveError(w, r, formError(err))
		return
	}
	html, err := RenderMarkdown(r.PostForm.Get("body"))
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Write([]byte(html))
}
