package web

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"safedesk/store"
	"safedesk/templates/i18n"
)

// langCookie keeps a visitor's choice of language (the switcher): the
// language's code and nothing else, so it says nothing about the person.
const langCookie = "safedesk_lang"

// zone is the business's time zone (--timezone), in which every page,
// chat and mail shows times.
func (s *Server) zone() *time.Location {
	if s.cfg.Zone == nil {
		return time.UTC
	}
	return s.cfg.Zone
}

// withLocale gives every request the locale of the admin panel and the
// API: English, in the business's zone. Portal routes replace it with the
// visitor's (withLanguage).
func (s *Server) withLocale(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		next.ServeHTTP(w, r.WithContext(i18n.With(r.Context(), i18n.New(i18n.Default, s.zone()))))
	})
}

// withLanguage speaks the visitor's language on a portal route: the
// switcher's choice, else the browser's Accept-Language, else the site's
// language (the settings page). The answer says that it depends on both.
func (s *Server) withLanguage(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Vary", "Accept-Language, Cookie")
		next.ServeHTTP(w, r.WithContext(i18n.With(r.Context(), s.visitorLocale(r))))
	})
}

// visitorLocale is the locale a portal request is answered in: the
// visitor's language, the business's zone and the site's language.
func (s *Server) visitorLocale(r *http.Request) i18n.Locale {
	site, err := s.db.KBLanguage(r.Context())
	if err != nil {
		// The default language is no reason to refuse the page.
		s.log.Error("site language", "err", err, "request_id", info(r).id)
	}
	chosen := ""
	if c, err := r.Cookie(langCookie); err == nil {
		chosen = c.Value
	}
	lang, ok := i18n.Choose(chosen, r.Header.Get("Accept-Language"))
	if !ok {
		lang = site
	}
	l := i18n.New(lang, s.zone())
	l.Site = site
	return l
}

// languagePost is the language switcher: it keeps the choice in a cookie
// for a year and goes back to the page it came from. It works without
// JavaScript (a plain form on every portal page).
func (s *Server) languagePost(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.serveError(w, r, formError(err))
		return
	}
	lang := r.PostForm.Get("lang")
	if !i18n.Supported(lang) {
		s.serveError(w, r, errBadRequest)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: langCookie, Value: lang, Path: "/", MaxAge: 365 * 24 * 60 * 60,
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode})
	next := localPath(r.PostForm.Get("next")) // never elsewhere
	if next == "" {
		next = "/"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// localFields puts the store's field errors (English) into the visitor's
// language: a missing field, a text too long, an address that is no
// address. Anything else stays as the store said it.
func localFields(ctx context.Context, errs map[string]string) map[string]string {
	l := i18n.From(ctx)
	if l.Lang == "en" {
		return errs
	}
	out := make(map[string]string, len(errs))
	for field, msg := range errs {
		var max, has int
		switch {
		case field == "email" && strings.HasPrefix(msg, "Enter "):
			out[field] = l.T(i18n.FieldEmail)
		case strings.HasPrefix(msg, "Enter "):
			out[field] = l.T(i18n.FieldRequired)
		case fmtScan(msg, "Keep this under %d characters (it has %d).", &max, &has):
			out[field] = l.T(i18n.FieldTooLong, max, has)
		default:
			out[field] = msg
		}
	}
	return out
}

// fmtScan reports whether msg is format with its numbers filled in.
func fmtScan(msg, format string, args ...any) bool {
	n, err := fmt.Sscanf(msg, format, args...)
	return err == nil && n == len(args)
}

// ticketLocale is the locale of mail about t: the language it was filed
// in, else the site's, and the business's zone.
func (s *Server) ticketLocale(ctx context.Context, t store.Ticket) (i18n.Locale, error) {
	if t.Lang != "" {
		return i18n.New(t.Lang, s.zone()), nil
	}
	lang, err := s.db.KBLanguage(ctx)
	return i18n.New(lang, s.zone()), err
}
