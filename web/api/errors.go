package api

import (
	"errors"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"safedesk/store"
	"safedesk/web/httpx"
)

// apiError is an error with its API status and code. Its message is meant
// for the client; nothing else about an error ever reaches one.
type apiError struct {
	status  int
	code    string
	message string
	fields  map[string]string
}

func (e *apiError) Error() string { return "api: " + e.code + ": " + e.message }

func errorf(status int, code, format string, args ...any) *apiError {
	return &apiError{status: status, code: code, message: fmt.Sprintf(format, args...)}
}

var (
	errNotFound        = errorf(http.StatusNotFound, "not_found", "There is no such resource.")
	errUnsupportedType = errorf(http.StatusUnsupportedMediaType, "unsupported_media_type", "Send the request body as application/json.")
	errEmptyBody       = errorf(http.StatusBadRequest, "invalid_json", "The request body is empty; send a JSON object.")
)

// ServeError answers err in the API's error shape. Errors the client
// caused are explained; anything else is a 500 that says nothing and is
// logged with the request id.
func (h *Handler) ServeError(w http.ResponseWriter, r *http.Request, err error) {
	var ae *apiError
	var verr *store.ValidationError
	var maxErr *http.MaxBytesError
	var attErr *store.AttachmentError
	switch {
	case errors.As(err, &ae):
	case errors.As(err, &attErr):
		ae = attachmentError(attErr)
	case errors.As(err, &verr):
		ae = &apiError{status: http.StatusUnprocessableEntity, code: "invalid", fields: verr.Fields}
		names := make([]string, 0, len(verr.Fields))
		for _, f := range slices.Sorted(maps.Keys(verr.Fields)) {
			names = append(names, f+": "+verr.Fields[f])
		}
		ae.message = "Invalid value. " + strings.Join(names, " ")
	case errors.Is(err, httpx.ErrNotFound), errors.Is(err, store.ErrNotFound):
		ae = errNotFound
	case errors.Is(err, store.ErrConflict):
		ae = errorf(http.StatusConflict, "conflict", "This conflicts with the current state of the resource.")
	case errors.As(err, &maxErr):
		ae = errorf(http.StatusRequestEntityTooLarge, "payload_too_large", "The request body is larger than %d bytes.", maxErr.Limit)
	case errors.Is(err, httpx.ErrCrossOrigin):
		ae = errorf(http.StatusForbidden, "cross_origin", "Cross-origin browser requests are refused.")
	case errors.Is(err, store.ErrRateLimited):
		w.Header().Set("Retry-After", "600")
		ae = errorf(http.StatusTooManyRequests, "rate_limited", "Too many requests; retry later.")
	default:
		id := h.hooks.RequestID(r)
		h.log.Error("api error", "method", r.Method, "path", r.URL.Path, "err", err, "request_id", id)
		ae = errorf(http.StatusInternalServerError, "internal", "Something went wrong on our side. Quote request id %s if you contact us.", id)
	}
	ae.write(w)
}

// WriteError writes an error in the API's shape for a refusal made before
// the Handler saw the request (a rate limit or a block of the client).
func WriteError(w http.ResponseWriter, status int, code, message string) {
	(&apiError{status: status, code: code, message: message}).write(w)
}

// write answers with the error: {"error":{"code","message","fields"}}.
func (e *apiError) write(w http.ResponseWriter) {
	body := map[string]any{"code": e.code, "message": e.message}
	if len(e.fields) > 0 {
		body["fields"] = e.fields
	}
	httpx.WriteJSON(w, e.status, map[string]any{"error": body})
}

// retryAfter sets Retry-After to wait in whole seconds, at least 1, and
// returns them.
func retryAfter(w http.ResponseWriter, wait time.Duration) int {
	secs := max(1, int((wait+time.Second-1)/time.Second))
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	return secs
}

// tooMany answers 429 after retryAfter.
func (h *Handler) tooMany(w http.ResponseWriter, r *http.Request, wait time.Duration) {
	secs := retryAfter(w, wait)
	h.ServeError(w, r, errorf(http.StatusTooManyRequests, "rate_limited", "Too many requests; retry in %d s.", secs))
}
