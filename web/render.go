package web

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"strconv"
	"sync"

	"github.com/a-h/templ"

	"safedesk/static"
	"safedesk/store"
	"safedesk/templates"
	"safedesk/templates/i18n"
	"safedesk/web/api"
	"safedesk/web/httpx"
)

// Errors the handlers raise; serveError maps them to a status. Those that
// the API must recognise too are httpx's.
var (
	errNotFound    = httpx.ErrNotFound
	errTooLarge    = errors.New("web: request body too large")
	errCrossOrigin = httpx.ErrCrossOrigin
	errForbidden   = errors.New("web: forbidden")
	errBadRequest  = errors.New("web: bad request")
)

// byID loads, with get, the row whose id is in the path; a path id that is
// not a positive number is errNotFound.
func byID[T any](r *http.Request, get func(context.Context, int64) (T, error)) (T, error) {
	id, err := pathID(r)
	if err != nil {
		var zero T
		return zero, err
	}
	return get(r.Context(), id)
}

// pathID is the id in the path, errNotFound when it is not a positive
// number.
func pathID(r *http.Request) (int64, error) { return httpx.PathID(r, "id") }

// optionalInt reads an optional numeric parameter (a cursor such as after
// or before, an assignee, a number of days): absent, malformed or negative
// is 0, which every caller reads as "none" or its default.
func optionalInt(v string) int64 {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// withForm is the prelude of a form post about the object its path names:
// load it, then parse the form (formError).
func withForm[T any](r *http.Request, load func(*http.Request) (T, error)) (T, error) {
	v, err := load(r)
	if err != nil {
		return v, err
	}
	if err := r.ParseForm(); err != nil {
		return v, formError(err)
	}
	return v, nil
}

// failed answers err, if there is one: store.ErrNotFound with notFound,
// anything else with serveError. It reports whether it answered.
func (s *Server) failed(w http.ResponseWriter, r *http.Request, err error, notFound http.HandlerFunc) bool {
	switch {
	case err == nil:
		return false
	case errors.Is(err, store.ErrNotFound):
		notFound(w, r)
	default:
		s.serveError(w, r, err)
	}
	return true
}

// withAssets is ctx carrying the hashed names of the static files, which
// templates read through templates.Asset.
func withAssets(ctx context.Context) context.Context {
	return templates.WithAssets(ctx, static.Assets().Path)
}

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// render writes a component with status. It renders into a buffer first, so a
// failed render becomes a clean error page instead of half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, c templ.Component) {
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer bufPool.Put(buf)
	if err := c.Render(withAssets(r.Context()), buf); err != nil {
		s.log.Error("render", "path", loggedPath(r), "err", err, "request_id", info(r).id)
		if status != http.StatusInternalServerError {
			s.serveError(w, r, err)
		}
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	if h.Get("Cache-Control") == "" {
		h.Set("Cache-Control", "no-store")
	}
	if status >= 400 && isHTMX(r) {
		// Forms push the address they end on (the page after a redirect);
		// an answer with errors is no page to come back to.
		h.Set("HX-Push-Url", "false")
	}
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// serveError answers err with a status and a page that reveals nothing of
// the error itself. Only server faults are logged.
func (s *Server) serveError(w http.ResponseWriter, r *http.Request, err error) {
	if api.Handles(r.URL.Path) {
		s.api.ServeError(w, r, err) // the API answers errors in JSON
		return
	}
	status, title, msg := http.StatusInternalServerError, i18n.ErrServerTitle, i18n.ErrServer
	var maxErr *http.MaxBytesError
	var verr *store.ValidationError
	switch {
	case errors.Is(err, errNotFound), errors.Is(err, store.ErrNotFound):
		status, title, msg = http.StatusNotFound, i18n.ErrNotFoundTitle, i18n.ErrNotFound
	case errors.Is(err, errTooLarge), errors.As(err, &maxErr):
		status, title, msg = http.StatusRequestEntityTooLarge, i18n.ErrTooLargeTitle, i18n.ErrTooLarge
	case errors.Is(err, errCrossOrigin):
		status, title, msg = http.StatusForbidden, i18n.ErrCrossOriginTitle, i18n.ErrCrossOrigin
	case errors.Is(err, errForbidden):
		status, title, msg = http.StatusForbidden, i18n.ErrForbiddenTitle, i18n.ErrForbidden
	case errors.Is(err, errBadRequest):
		status, title, msg = http.StatusBadRequest, i18n.ErrBadRequestTitle, i18n.ErrBadRequest
	case errors.As(err, &verr):
		status, title, msg = http.StatusUnprocessableEntity, i18n.ErrInvalidTitle, i18n.ErrInvalid
	case errors.Is(err, store.ErrConflict):
		status, title, msg = http.StatusConflict, i18n.ErrConflictTitle, i18n.ErrConflict
	case errors.Is(err, store.ErrRateLimited):
		status, title, msg = http.StatusTooManyRequests, i18n.ErrRateTitle, i18n.ErrRate
		w.Header().Set("Retry-After", "600")
	}
	if status >= 500 {
		s.log.Error("server error", "method", r.Method, "path", loggedPath(r), "err", err, "request_id", info(r).id)
	}
	l := i18n.From(r.Context())
	page := s.page(r, l.T(title))
	// The switcher goes home from an error page: the page must not name
	// the address asked for (someone else's ticket reads like none).
	page.Path = ""
	s.render(w, r, status, templates.ErrorPage(templates.ErrorProps{
		Page: page, Status: status, Message: l.T(msg), RequestID: info(r).id,
	}))
}

// publicPage fills the layout's props with nothing of the visitor: the
// props of a page that every visitor may be shown (the article cache).
func (s *Server) publicPage(title string) templates.Page {
	b := s.brandProps()
	return templates.Page{Title: title, Product: b.Name, Brand: b, Banner: s.bannerText(), FileLimit: store.FormatSize(s.cfg.Attachments.MaxSize)}
}

// page fills the layout's props for r: publicPage, the page's address
// and what the session holds (the customer, a one-off notice, which it
// takes).
func (s *Server) page(r *http.Request, title string) templates.Page {
	p := s.publicPage(title)
	p.Path = r.URL.RequestURI()
	if !info(r).session {
		return p // an error raised before the session was loaded
	}
	if id := s.customerID(r); id != 0 {
		p.Customer = s.customer.GetString(r.Context(), sessMasked)
	}
	p.Notice = s.customer.PopString(r.Context(), sessNotice)
	return p
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	s.serveError(w, r, errNotFound)
}

// isHTMX tells an htmx request from a plain one.
func isHTMX(r *http.Request) bool { return r.Header.Get("HX-Request") == "true" }
