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
// attached (web/admin_kb_questions.go), the first one as the title, for
// staff who may read the chat reports.
func (s *Server) adminKBNew(w http.ResponseWriter, r *http.Request) {
	art := store.Article{Published: true}
	msgs, err := s.attachedQuestions(r, r.URL.Query().Get("questions"))
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	if len(msgs) > 0 {
		art.Title = templates.Clip(security.RedactLog(msgs[0].Body), 120)
	}
	s.renderKBEditWith(w, r, http.StatusOK, art, true, nil, msgs)
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

func (s *Server) renderKBEditWith(w http.ResponseWriter, r *http.Request, status int, art store.Article, isNew bool, errs map[string]string, questions []store.ChatMessage) {
	p, err := s.kbEditProps(r, art, isNew)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	p.Errors = errs
	showQuestions(&p, questions)
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
	var questions []store.ChatMessage // a new article's, from the insight page
	if isNew {
		var err error
		if questions, err = s.attachedQuestions(r, r.PostForm.Get("questions")); err != nil {
			s.serveError(w, r, err)
			return
		}
	}
	if isNew || art.Slug != oldSlug {
		if _, err := s.db.GetArticle(r.Context(), art.Slug, true); err == nil {
			s.renderKBEditWith(w, r, http.StatusUnprocessableEntity, art, isNew, map[string]string{"slug": "Another article already uses this slug."}, questions)
			return
		}
	}
	err := s.db.SaveArticle(r.Context(), art, s.staffActor(r))
	var verr *store.ValidationError
	if errors.As(err, &verr) {
		s.renderKBEditWith(w, r, http.StatusUnprocessableEntity, art, isNew, verr.Fields, questions)
		return
	}
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	if len(questions) > 0 {
		if err := s.saveQuestions(r, art.Slug, questions); err != nil {
			s.serveError(w, r, err)
			return
		}
		http.Redirect(w, r, "/admin/kb/"+art.Slug+"/edit#examples", http.StatusSeeOther)
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
