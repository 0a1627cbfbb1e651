package web

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"strings"
	"time"

	"safedesk/store"
	"safedesk/templates/i18n"
	"safedesk/web/api"
)

// langCookie keeps a visitor's choice of language (the switcher): the
// language's code and nothing else, so it says nothing about the person.
const langCookie = "safedesk_lang"

// langCookieFor is how long the language a visitor picked is remembered.
const langCookieFor = 365 * 24 * time.Hour

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

// outerLocale gives r the locale of its page when it is answered before
// the routes chose one (a refusal by the abuse guard, a panic): the
// visitor's on a portal page, English in the business's zone for the
// admin panel and the API.
func (s *Server) outerLocale(w http.ResponseWriter, r *http.Request) *http.Request {
	l := i18n.New(i18n.Default, s.zone())
	if p := r.URL.Path; !api.Handles(p) && p != "/admin" && !strings.HasPrefix(p, "/admin/") {
		l = s.visitorLocale(r)
		w.Header().Add("Vary", "Accept-Language, Cookie")
	}
	return r.WithContext(i18n.With(r.Context(), l))
}

// visitorLocale is the locale a portal request is answered in: the
// visitor's language, the business's zone and the site's language.
func (s *Server) visitorLocale(r *http.Request) i18n.Locale {
	site, err := s.db.KBLanguage(r.Context())
	if err != nil {
		// The default language is no reason to refuse the page.
		s.log.Error("site language", "err", err, "request_id", info(r).id)
	}
	lang, ok := i18n.Choose(chosenLanguage(r), r.Header.Get("Accept-Language"))
	if !ok {
		lang = site
	}
	l := i18n.New(lang, s.zone())
	l.Site = site
	return l
}

// chosenLanguage is the language the visitor chose with the switcher, or
// "" when they chose none (or the cookie holds no language of the site).
func chosenLanguage(r *http.Request) string {
	if c, err := r.Cookie(langCookie); err == nil && i18n.Supported(c.Value) {
		return c.Value
	}
	return ""
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
	http.SetCookie(w, &http.Cookie{Name: langCookie, Value: lang, Path: "/", MaxAge: int(langCookieFor / time.Second),
		HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode})
	next := localPath(r.PostForm.Get("next")) // never elsewhere
	if next == "" {
		next = "/"
	}
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// localFields puts the store's field errors (English) into the visitor's
// language, in a new map. A message without a translation (a new check)
// is told as a field to check, never in English.
func localFields(ctx context.Context, errs map[string]string) map[string]string {
	l := i18n.From(ctx)
	if l.Lang == i18n.Default {
		return maps.Clone(errs)
	}
	out := make(map[string]string, len(errs))
	for field, msg := range errs {
		var max, has int
		k, known := fieldMessages[msg]
		switch {
		case known:
			out[field] = l.T(k)
		case field == "email" && strings.HasPrefix(msg, "Enter "):
			out[field] = l.T(i18n.FieldEmail)
		case strings.HasPrefix(msg, "Enter "):
			out[field] = l.T(i18n.FieldRequired)
		case fmtScan(msg, "Keep this under %d characters (it has %d).", &max, &has):
			out[field] = l.T(i18n.FieldTooLong, max, has)
		default:
			out[field] = l.T(i18n.FieldCheck)
		}
	}
	return out
}

// fieldMessages are the store's field errors that read the same whatever
// was typed, with their translations.
var fieldMessages = map[string]i18n.Key{
	"This text is not valid UTF-8.":        i18n.FieldUTF8,
	"This text contains a null character.": i18n.FieldNull,
	"Write the part before the @ in plain letters and digits (a to z, 0 to 9, and . _ + -): other alphabets are not accepted there.": i18n.EmailLocalPart,
	"The domain mixes letters of different alphabets that look alike. Check how it is spelled.":                                      i18n.EmailMixedScripts,
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
