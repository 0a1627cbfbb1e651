package web

import (
	"bytes"
	"errors"
	"net/http"
	"sync"

	"github.com/a-h/templ"

	"safedesk/store"
	"safedesk/templates"
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

var bufPool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// render writes a component with status. It renders into a buffer first, so a
// failed render becomes a clean error page instead of half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, c templ.Component) {
	buf := bufPool.Get().(*bytes.Buffer)
	buf.Reset()
	defer bufPool.Put(buf)
	if err := c.Render(r.Context(), buf); err != nil {
		s.log.Error("render", "path", r.URL.Path, "err", err, "request_id", info(r).id)
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
	status, title, msg := http.StatusInternalServerError, "Something went wrong",
		"We could not complete your request. Please try again in a moment."
	var maxErr *http.MaxBytesError
	var verr *store.ValidationError
	switch {
	case errors.Is(err, errNotFound), errors.Is(err, store.ErrNotFound):
		status, title, msg = http.StatusNotFound, "Page not found", "There is nothing here. The link may be mistyped or out of date."
	case errors.Is(err, errTooLarge), errors.As(err, &maxErr):
		status, title, msg = http.StatusRequestEntityTooLarge, "Too much text", "What you sent is larger than we accept. Please shorten it and try again."
	case errors.Is(err, errCrossOrigin):
		status, title, msg = http.StatusForbidden, "Request refused", "This form was sent from another site, so we did not act on it."
	case errors.Is(err, errForbidden):
		status, title, msg = http.StatusForbidden, "Not allowed", "You do not have access to this page."
	case errors.Is(err, errBadRequest):
		status, title, msg = http.StatusBadRequest, "Bad request", "We could not read that request."
	case errors.As(err, &verr):
		status, title, msg = http.StatusUnprocessableEntity, "Check what you entered", "Something in what you sent is not valid. Please go back, correct it and try again."
	case errors.Is(err, store.ErrConflict):
		status, title, msg = http.StatusConflict, "Conflict", "This changed while you were working on it. Reload and try again."
	case errors.Is(err, store.ErrRateLimited):
		status, title, msg = http.StatusTooManyRequests, "Too many attempts", "Please wait a while before trying again."
		w.Header().Set("Retry-After", "600")
	}
	if status >= 500 {
		s.log.Error("server error", "method", r.Method, "path", r.URL.Path, "err", err, "request_id", info(r).id)
	}
	s.render(w, r, status, templates.ErrorPage(templates.ErrorProps{
		Page: s.page(r, title), Status: status, Message: msg, RequestID: info(r).id,
	}))
}

// page fills the layout's props for r.
func (s *Server) page(r *http.Request, title string) templates.Page {
	p := templates.Page{Title: title, Product: s.cfg.Product, Banner: s.bannerText(), FileLimit: store.FormatSize(s.cfg.Attachments.MaxSize)}
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
