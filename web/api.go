package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
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

var jsonFieldCache sync.Map // reflect.Type → []string

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
