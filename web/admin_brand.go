package web

import (
	"errors"
	"io"
	"net/http"

	"safedesk/security"
	"safedesk/store"
	"safedesk/templates"
)

// brandForm is the branding section of the settings page as saved, for
// the page's first view.
func (s *Server) brandForm(r *http.Request) (templates.AdminBrandForm, error) {
	saved, err := s.db.GetBranding(r.Context())
	if err != nil {
		return templates.AdminBrandForm{}, err
	}
	return s.brandFormOf(r, saved, nil), nil
}

// brandFormOf is the branding section showing b (as saved or as typed)
// and errs.
func (s *Server) brandFormOf(r *http.Request, b store.Branding, errs map[string]string) templates.AdminBrandForm {
	o := s.cfg.Brand
	return templates.AdminBrandForm{
		CanManage: s.currentStaff(r).Role.Can(security.PermSettingsManage),
		Name:      b.Name, Color: b.Color, Site: b.Site, Hours: b.Hours, Errors: errs,
		DefaultName: s.cfg.Product, DefaultColor: o.Color, DefaultSite: o.Site, DefaultHours: o.Hours,
		Logo: s.brandProps().Logo,
	}
}

// adminBrandPost saves the branding: the name, colour, website and support
// hours. Invalid input comes back as typed, each error at its field.
func (s *Server) adminBrandPost(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.serveError(w, r, formError(err))
		return
	}
	f := r.PostForm
	b := store.Branding{Name: f.Get("name"), Color: f.Get("color"), Site: f.Get("site"), Hours: f.Get("hours")}
	err := s.db.SaveBranding(r.Context(), b, s.staffActor(r))
	var verr *store.ValidationError
	if errors.As(err, &verr) {
		s.renderBrandErrors(w, r, b, verr.Fields)
		return
	}
	if err == nil {
		err = s.loadBrand(r.Context())
	}
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	s.flash(r, "Branding saved.")
	http.Redirect(w, r, "/admin/settings#branding", http.StatusSeeOther)
}

// adminLogoPost takes a logo: decoded and re-encoded as PNG, scaled, with
// a favicon made from it (processLogo). The file is read from the
// multipart stream up to its limit, never staged to disk.
func (s *Server) adminLogoPost(w http.ResponseWriter, r *http.Request) {
	data, err := readLogoPart(r)
	if err != nil {
		s.serveError(w, r, formError(err))
		return
	}
	logo, favicon, err := processLogo(data)
	var bad errLogo
	if errors.As(err, &bad) {
		saved, gerr := s.db.GetBranding(r.Context())
		if gerr != nil {
			s.serveError(w, r, gerr)
			return
		}
		s.renderBrandErrors(w, r, saved, map[string]string{"logo": string(bad)})
		return
	}
	if err == nil {
		err = s.db.SaveLogo(r.Context(), logo, favicon, s.staffActor(r))
	}
	if err == nil {
		err = s.loadBrand(r.Context())
	}
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	s.flash(r, "Logo saved.")
	http.Redirect(w, r, "/admin/settings#branding", http.StatusSeeOther)
}

// renderBrandErrors shows the settings page again with the branding
// section as typed and what is wrong with it.
func (s *Server) renderBrandErrors(w http.ResponseWriter, r *http.Request, b store.Branding, errs map[string]string) {
	form := s.brandFormOf(r, b, errs)
	s.renderSettings(w, r, http.StatusUnprocessableEntity, settingsForm{banner: s.bannerText(), brand: &form}, nil, nil)
}

// readLogoPart reads the "logo" file of a multipart form: at most one byte
// more than a logo may have, so that processLogo sees a file too large.
// A form without it reads as an empty file.
func readLogoPart(r *http.Request) ([]byte, error) {
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, err
	}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		if part.FormName() == "logo" {
			data, err := io.ReadAll(io.LimitReader(part, maxLogoBytes+1))
			return data, errors.Join(err, part.Close())
		}
		if err := part.Close(); err != nil {
			return nil, err
		}
	}
}

// adminLogoRemovePost removes the logo; the default favicon returns.
func (s *Server) adminLogoRemovePost(w http.ResponseWriter, r *http.Request) {
	err := s.db.SaveLogo(r.Context(), nil, nil, s.staffActor(r))
	if err == nil {
		err = s.loadBrand(r.Context())
	}
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	s.flash(r, "Logo removed.")
	http.Redirect(w, r, "/admin/settings#branding", http.StatusSeeOther)
}
