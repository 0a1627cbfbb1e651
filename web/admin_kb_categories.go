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

// adminKBCategories lists the knowledge base's categories, each with its
// form for those who may edit.
func (s *Server) adminKBCategories(w http.ResponseWriter, r *http.Request) {
	s.renderKBCategories(w, r, http.StatusOK, nil, nil)
}

func (s *Server) renderKBCategories(w http.ResponseWriter, r *http.Request, status int, editing *store.Category, errs map[string]string) {
	cats, err := s.db.ListCategories(r.Context())
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	for i, c := range cats {
		if editing != nil && editing.ID == c.ID {
			editing.Articles = c.Articles
			cats[i] = *editing // as typed
		}
	}
	s.render(w, r, status, templates.AdminKBCategories(templates.AdminKBCategoriesProps{
		AdminPage: s.adminPageProps(r, "Categories", "kb"), Categories: cats, Editing: editing, Errors: errs,
		CanEdit: s.currentStaff(r).Role.Can(security.PermKBWrite),
	}))
}

// adminKBCategorySavePost creates a category (no id in the path) or
// updates one. An empty slug is made from the name.
func (s *Server) adminKBCategorySavePost(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.serveError(w, r, formError(err))
		return
	}
	c := store.Category{}
	if r.PathValue("id") != "" {
		id, err := pathID(r)
		if err != nil {
			s.serveError(w, r, errNotFound)
			return
		}
		c.ID = id
	}
	prefix := templates.CategoryField(c, "")
	f := r.PostForm
	c.Name, c.Slug, c.Description = f.Get(prefix+"name"), strings.TrimSpace(f.Get(prefix+"slug")), f.Get(prefix+"description")
	if c.Slug == "" {
		c.Slug = store.Slugify(c.Name)
	}
	pos, perr := strconv.Atoi(strings.TrimSpace(f.Get(prefix + "position")))
	c.Position = pos
	id, err := s.db.SaveCategory(r.Context(), c, s.staffActor(r))
	var verr *store.ValidationError
	if errors.As(err, &verr) || perr != nil {
		errs := map[string]string{}
		if verr != nil {
			errs = verr.Fields
		}
		if perr != nil {
			errs["position"] = "Enter a whole number, like 3."
		}
		s.renderKBCategories(w, r, http.StatusUnprocessableEntity, &c, errs)
		return
	}
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	s.flash(r, "Category saved.")
	http.Redirect(w, r, "/admin/kb/categories#c"+strconv.FormatInt(id, 10)+"-name", http.StatusSeeOther)
}

// adminKBCategoryDeletePost deletes a category; its articles stay.
func (s *Server) adminKBCategoryDeletePost(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.serveError(w, r, errNotFound)
		return
	}
	if err := s.db.DeleteCategory(r.Context(), id, s.staffActor(r)); err != nil {
		s.serveError(w, r, err)
		return
	}
	s.flash(r, "Category deleted; its articles have none now.")
	http.Redirect(w, r, "/admin/kb/categories", http.StatusSeeOther)
}
