package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"safedesk/security"
	"safedesk/store"
)

// The public API (/api/v1). Every route needs a bearer token (a personal
// token or an OAuth2 access token) holding the route's scope; every answer
// is JSON and every error has the one shape
//
//	{"error":{"code":"…","message":"…"}}
//
// The API bypasses the customer session entirely: no cookie is read or set.

// apiHandler is an API handler; p is the authenticated caller.
type apiHandler func(w http.ResponseWriter, r *http.Request, p *store.Principal)

// apiRoute is one row of the API route table. path is under /api/v1.
type apiRoute struct {
	method, path string
	scope        string
	h            apiHandler
}

// apiRouteTable is every authenticated API route. openapi.json documents
// each of them with the same scope; TestOpenAPIMatchesRoutes holds the two
// together.
func (s *Server) apiRouteTable() []apiRoute {
	return []apiRoute{
		// Tickets.
		{"GET", "/tickets", store.ScopeTicketsRead, s.apiTicketList},
		{"POST", "/tickets", store.ScopeTicketsWrite, s.apiTicketCreate},
		{"GET", "/tickets/{id}", store.ScopeTicketsRead, s.apiTicketGet},
		{"PATCH", "/tickets/{id}", store.ScopeTicketsWrite, s.apiTicketUpdate},
		{"POST", "/tickets/{id}/messages", store.ScopeTicketsWrite, s.apiMessageCreate},

		// Customers.
		{"GET", "/customers/{id}", store.ScopeCustomersRead, s.apiCustomerGet},
		{"GET", "/customers/{id}/export", store.ScopeCustomersRead, s.apiCustomerExport},
		{"DELETE", "/customers/{id}", store.ScopeCustomersErase, s.apiCustomerErase},

		// Knowledge base.
		{"GET", "/kb/articles", store.ScopeKBRead, s.apiArticleList},
		{"POST", "/kb/articles", store.ScopeKBWrite, s.apiArticleCreate},
		{"GET", "/kb/articles/{slug}", store.ScopeKBRead, s.apiArticleGet},
		{"PUT", "/kb/articles/{slug}", store.ScopeKBWrite, s.apiArticlePut},
		{"DELETE", "/kb/articles/{slug}", store.ScopeKBWrite, s.apiArticleDelete},

		// Audit and security.
		{"GET", "/audit", store.ScopeAuditRead, s.apiAuditList},
		{"GET", "/security/events", store.ScopeSecurityRead, s.apiSecurityEvents},

		// Webhooks.
		{"GET", "/webhooks", store.ScopeWebhooksWrite, s.apiWebhookList},
		{"POST", "/webhooks", store.ScopeWebhooksWrite, s.apiWebhookCreate},
		{"GET", "/webhooks/{id}", store.ScopeWebhooksWrite, s.apiWebhookGet},
		{"PATCH", "/webhooks/{id}", store.ScopeWebhooksWrite, s.apiWebhookUpdate},
		{"DELETE", "/webhooks/{id}", store.ScopeWebhooksWrite, s.apiWebhookDelete},
		{"GET", "/webhooks/{id}/deliveries", store.ScopeWebhooksWrite, s.apiWebhookDeliveries},
	}
}

// apiRoutes registers the API, the OAuth2 token endpoint and the OpenAPI
// document, none of which touches the customer session. The staff panel's
// API page (web/api_admin.go) is registered through adminTable.
func (s *Server) apiRoutes(mux *http.ServeMux) {
	for _, rt := range s.apiRouteTable() {
		mux.Handle(rt.method+" /api/v1"+rt.path, s.apiAuth(rt.scope, rt.h))
	}
	mux.HandleFunc("GET /api/v1/openapi.json", s.apiOpenAPI)
	mux.HandleFunc("POST /oauth/token", s.oauthToken)
	// Anything else under /api/ answers 404 or 405 in JSON, never the
	// portal's HTML page.
	mux.HandleFunc("/api/", s.apiFallback)
	mux.HandleFunc("/oauth/", s.apiFallback)
}

// apiError is an error with its API status and code. Its message is meant
// for the client; nothing else about an error ever reaches one.
type apiError struct {
	status  int
	code    string
	message string
	fields  map[string]string
}

func (e *apiError) Error() string { return "web: api: " + e.code + ": " + e.message }

func apiErrorf(status int, code, format string, args ...any) *apiError {
	return &apiError{status: status, code: code, message: fmt.Sprintf(format, args...)}
}

var (
	errAPIUnsupportedType = apiErrorf(http.StatusUnsupportedMediaType, "unsupported_media_type", "Send the request body as application/json.")
	errAPIEmptyBody       = apiErrorf(http.StatusBadRequest, "invalid_json", "The request body is empty; send a JSON object.")
)

// apiServeError answers err in the API's error shape. Errors the client
// caused are explained; anything else is a 500 that says nothing and is
// logged with the request id.
func (s *Server) apiServeError(w http.ResponseWriter, r *http.Request, err error) {
	var ae *apiError
	var verr *store.ValidationError
	var maxErr *http.MaxBytesError
	switch {
	case errors.As(err, &ae):
	case errors.As(err, &verr):
		ae = &apiError{status: http.StatusUnprocessableEntity, code: "invalid", fields: verr.Fields}
		names := make([]string, 0, len(verr.Fields))
		for _, f := range sortedKeys(verr.Fields) {
			names = append(names, f+": "+verr.Fields[f])
		}
		ae.message = "Invalid value. " + strings.Join(names, " ")
	case errors.Is(err, errNotFound), errors.Is(err, store.ErrNotFound):
		ae = apiErrorf(http.StatusNotFound, "not_found", "There is no such resource.")
	case errors.Is(err, store.ErrConflict):
		ae = apiErrorf(http.StatusConflict, "conflict", "This conflicts with the current state of the resource.")
	case errors.Is(err, errTooLarge), errors.As(err, &maxErr):
		ae = apiErrorf(http.StatusRequestEntityTooLarge, "payload_too_large", "The request body is larger than %d bytes.", s.cfg.MaxFormBytes)
	case errors.Is(err, errCrossOrigin):
		ae = apiErrorf(http.StatusForbidden, "cross_origin", "Cross-origin browser requests are refused.")
	case errors.Is(err, errBadRequest):
		ae = apiErrorf(http.StatusBadRequest, "bad_request", "The request could not be read.")
	case errors.Is(err, store.ErrRateLimited):
		w.Header().Set("Retry-After", "600")
		ae = apiErrorf(http.StatusTooManyRequests, "rate_limited", "Too many requests; retry later.")
	default:
		s.log.Error("api error", "method", r.Method, "path", r.URL.Path, "err", err, "request_id", info(r).id)
		ae = apiErrorf(http.StatusInternalServerError, "internal", "Something went wrong on our side. Quote request id %s if you contact us.", info(r).id)
	}
	body := map[string]any{"code": ae.code, "message": ae.message}
	if len(ae.fields) > 0 {
		body["fields"] = ae.fields
	}
	s.writeJSON(w, ae.status, map[string]any{"error": body})
}

// writeJSON writes v with status, never cached.
func (s *Server) writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		s.log.Error("api encode", "err", err)
		status, b = http.StatusInternalServerError, []byte(`{"error":{"code":"internal","message":"Something went wrong on our side."}}`)
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// decodeJSON reads exactly one JSON object into v, refusing unknown fields,
// trailing data and any content type but JSON.
func decodeJSON(r *http.Request, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || (mt != "application/json" && !strings.HasSuffix(mt, "+json")) {
			return errAPIUnsupportedType
		}
	}
	return decodeJSONBody(r.Body, v)
}

// decodeJSONBody is decodeJSON's parser, apart for fuzzing. v must point to
// a struct whose fields all carry json tags.
func decodeJSONBody(body io.Reader, v any) error {
	data, err := io.ReadAll(body)
	if err != nil {
		return err // over the size limit: 413
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return errAPIEmptyBody
	}
	// Unmarshal checks the syntax, trailing data included, and the types;
	// checkKeys then refuses what it lets through.
	if err := json.Unmarshal(data, v); err != nil {
		return jsonError(err)
	}
	return checkKeys(data, jsonFields(reflect.TypeOf(v).Elem()))
}

// checkKeys refuses the members encoding/json ignores or bends: an unknown
// one, one whose name matches a field only case-insensitively, and one given
// twice (of which encoding/json silently keeps the last). Either would let a
// proxy or validator in front of us read another request than we do. data
// is valid JSON (it was just decoded); only the top-level object's member
// names are looked at.
func checkKeys(data []byte, fields []string) error {
	i := skipSpace(data, 0)
	if i >= len(data) || data[i] != '{' {
		return apiErrorf(http.StatusBadRequest, "invalid_json", "The body must be a JSON object.")
	}
	var seen uint64 // bit k: fields[k] was given
	for i = skipSpace(data, i+1); i < len(data) && data[i] != '}'; i = skipSpace(data, i) {
		if data[i] == ',' {
			i = skipSpace(data, i+1)
		}
		end := stringEnd(data, i)
		if end < 0 {
			return apiErrorf(http.StatusBadRequest, "invalid_json", "The body is not a valid JSON request.")
		}
		name := string(data[i+1 : end-1])
		if bytes.IndexByte(data[i:end], '\\') >= 0 {
			if err := json.Unmarshal(data[i:end], &name); err != nil {
				return apiErrorf(http.StatusBadRequest, "invalid_json", "The body is not a valid JSON request.")
			}
		}
		k := slices.Index(fields, name)
		if k < 0 {
			return apiErrorf(http.StatusBadRequest, "unknown_field", "Unknown field %s.", safeName(name))
		}
		if seen&(1<<k) != 0 {
			return apiErrorf(http.StatusBadRequest, "invalid_json", "Field %s is given twice.", safeName(name))
		}
		seen |= 1 << k
		i = skipSpace(data, end)
		if i >= len(data) || data[i] != ':' {
			return apiErrorf(http.StatusBadRequest, "invalid_json", "The body is not a valid JSON request.")
		}
		if i = valueEnd(data, skipSpace(data, i+1)); i < 0 {
			return apiErrorf(http.StatusBadRequest, "invalid_json", "The body is not a valid JSON request.")
		}
	}
	return nil
}

func skipSpace(data []byte, i int) int {
	for i < len(data) && (data[i] == ' ' || data[i] == '\t' || data[i] == '\n' || data[i] == '\r') {
		i++
	}
	return i
}

// stringEnd returns the index just past the JSON string starting at i, or
// -1.
func stringEnd(data []byte, i int) int {
	if i >= len(data) || data[i] != '"' {
		return -1
	}
	for i++; i < len(data); i++ {
		switch data[i] {
		case '\\':
			i++
		case '"':
			return i + 1
		}
	}
	return -1
}

// valueEnd returns the index just past the JSON value starting at i, or -1.
func valueEnd(data []byte, i int) int {
	depth := 0
	for i < len(data) {
		switch c := data[i]; c {
		case '"':
			if i = stringEnd(data, i); i < 0 {
				return -1
			}
			if depth == 0 {
				return i
			}
			continue
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 {
				return i
			}
			if depth--; depth == 0 {
				return i + 1
			}
		case ',':
			if depth == 0 {
				return i
			}
		case ' ', '\t', '\n', '\r':
			if depth == 0 {
				return i
			}
		}
		i++
	}
	if depth == 0 {
		return i
	}
	return -1
}

var jsonFieldCache sync.Map // reflect.Type → []string

// jsonFields lists the JSON names of a struct type's fields (at most 64).
func jsonFields(t reflect.Type) []string {
	if f, ok := jsonFieldCache.Load(t); ok {
		return f.([]string)
	}
	var names []string
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		if name != "" && name != "-" {
			names = append(names, name)
		}
	}
	jsonFieldCache.Store(t, names)
	return names
}

// jsonError explains a decoding failure without echoing the input.
func jsonError(err error) error {
	var maxErr *http.MaxBytesError
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &maxErr):
		return err
	case errors.Is(err, io.EOF):
		return errAPIEmptyBody
	case errors.As(err, &syn):
		return apiErrorf(http.StatusBadRequest, "invalid_json", "The body is not valid JSON (at byte %d).", syn.Offset)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return apiErrorf(http.StatusBadRequest, "invalid_json", "The body ends in the middle of a JSON value.")
	case errors.As(err, &typ):
		if typ.Field == "" {
			return apiErrorf(http.StatusBadRequest, "invalid_json", "The body must be a JSON object.")
		}
		return apiErrorf(http.StatusBadRequest, "invalid_json", "Field %s must be a JSON %s.", safeName(typ.Field), jsonKind(typ.Type.Kind().String()))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		return apiErrorf(http.StatusBadRequest, "unknown_field", "Unknown field %s.", safeName(name))
	}
	return apiErrorf(http.StatusBadRequest, "invalid_json", "The body is not a valid JSON request.")
}

// safeName quotes a field name from the request, shortened, for a message.
func safeName(s string) string {
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return strconv.QuoteToASCII(s)
}

func jsonKind(k string) string {
	switch k {
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "slice", "array":
		return "array"
	case "struct", "map":
		return "object"
	}
	return "number"
}

// apiFallback answers paths under /api/ and /oauth/ that match no route:
// 405 with Allow when the path exists with other methods, 404 otherwise.
func (s *Server) apiFallback(w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, rt := range s.apiRouteTable() {
		if pathMatches("/api/v1"+rt.path, r.URL.Path) {
			allow = append(allow, rt.method)
		}
	}
	switch r.URL.Path {
	case "/api/v1/openapi.json":
		allow = append(allow, "GET")
	case "/oauth/token":
		allow = append(allow, "POST")
	}
	if len(allow) > 0 {
		w.Header().Set("Allow", strings.Join(allow, ", "))
		s.apiServeError(w, r, apiErrorf(http.StatusMethodNotAllowed, "method_not_allowed", "Use %s for this path.", strings.Join(allow, " or ")))
		return
	}
	s.apiServeError(w, r, errNotFound)
}

// pathMatches matches a route pattern with {name} segments against a path.
func pathMatches(pattern, path string) bool {
	ps, xs := strings.Split(pattern, "/"), strings.Split(path, "/")
	if len(ps) != len(xs) {
		return false
	}
	for i := range ps {
		if strings.HasPrefix(ps[i], "{") {
			if xs[i] == "" {
				return false
			}
		} else if ps[i] != xs[i] {
			return false
		}
	}
	return true
}

// isAPIRequest tells API requests, whose errors are JSON, from pages.
func isAPIRequest(r *http.Request) bool {
	return strings.HasPrefix(r.URL.Path, "/api/") || strings.HasPrefix(r.URL.Path, "/oauth/")
}

// pathID reads a positive integer path value; anything else is 404.
func pathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, errNotFound
	}
	return id, nil
}

// queryInt reads an optional non-negative integer query parameter.
func queryInt(r *http.Request, name string, def int64) (int64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, &store.ValidationError{Fields: map[string]string{name: "Use a whole number of 0 or more."}}
	}
	return n, nil
}

// queryLimit reads the limit parameter: 1 to max, def when absent.
func queryLimit(r *http.Request, def, max int) (int, error) {
	n, err := queryInt(r, "limit", int64(def))
	if err != nil || n < 1 || n > int64(max) {
		return 0, &store.ValidationError{Fields: map[string]string{"limit": fmt.Sprintf("Use a number from 1 to %d.", max)}}
	}
	return int(n), nil
}

// apiTime formats a time for JSON; the zero time is null.
func apiTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(time.RFC3339Nano)
}

// apiActor names the caller in the audit log.
func apiActor(r *http.Request, p *store.Principal) store.Actor { return p.Actor(clientIP(r)) }

func sortedKeys(m map[string]string) []string { return slices.Sorted(maps.Keys(m)) }

// refusedURL turns an SSRF refusal into a 422 on the url field. The
// message names only the URL's own host and addresses.
func refusedURL(err error) error {
	if errors.Is(err, security.ErrWebhookRefused) {
		msg := strings.TrimPrefix(err.Error(), "security: ")
		return &store.ValidationError{Fields: map[string]string{"url": "Refused: " + msg + "."}}
	}
	return err
}

// initAPI fills the API's defaults and builds its limiters and webhook
// worker; New calls it.
func (s *Server) initAPI() {
	c := &s.cfg
	if c.APIRate <= 0 {
		c.APIRate = security.TokenLimit.Rate
	}
	if c.APIBurst <= 0 {
		c.APIBurst = security.TokenLimit.Burst
	}
	if c.AccessTokenTTL <= 0 || c.AccessTokenTTL > store.MaxAccessTokenTTL {
		c.AccessTokenTTL = store.MaxAccessTokenTTL
	}
	for _, d := range []struct {
		p   *time.Duration
		def time.Duration
	}{{&c.WebhookPoll, defaultWebhookPoll}, {&c.WebhookRetryBase, defaultWebhookRetryBase},
		{&c.WebhookRetryMax, defaultWebhookRetryMax}, {&c.WebhookTimeout, defaultWebhookTimeout}} {
		if *d.p <= 0 {
			*d.p = d.def
		}
	}
	if c.WebhookMaxAttempts <= 0 {
		c.WebhookMaxAttempts = defaultWebhookMaxAttempts
	}
	if c.WebhookDisableAfter <= 0 {
		c.WebhookDisableAfter = defaultWebhookDisableAfter
	}
	s.api = newAPILimits(c.APIRate, c.APIBurst)
	s.hooks = newDispatcher(*c)
}
