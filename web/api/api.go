// Package api is safedesk's public API: the /api/v1 JSON resources, the
// OAuth2 token endpoint, the OpenAPI document, and the webhook Deliverer
// that sends the events of the audit log to subscribers. Its Handler is
// mounted by the web router under /api/ and /oauth/; it never reads or sets
// a session cookie: every route but the token endpoint and the document
// needs a bearer token (a personal token or an OAuth2 access token)
// holding the route's scope. Every answer is JSON and every error has the
// one shape
//
//	{"error":{"code":"…","message":"…","fields":{…}}}
//
// except the token endpoint's, which follow RFC 6749 §5.2.
package api

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"safedesk/bot"
	"safedesk/security"
	"safedesk/store"
)

// Config is what the API needs from the command line; zero fields take the
// defaults.
type Config struct {
	// Rate and Burst limit each caller (a personal token, or an OAuth2
	// client with all its access tokens): requests per second, sustained
	// and at once. security.TokenLimit's figures when zero.
	Rate  float64
	Burst int
	// AccessTokenTTL is the lifetime of OAuth2 access tokens: at most and
	// by default store.MaxAccessTokenTTL (an hour).
	AccessTokenTTL time.Duration
	// AllowHosts are the webhook hosts exempt from the private-address
	// (SSRF) checks (--webhook-allow-hosts); Lookup resolves webhook hosts
	// (nil: the system's resolver).
	AllowHosts []string
	Lookup     security.LookupFunc
	// Delivery is the webhook delivery policy.
	Delivery DeliveryPolicy

	allowHosts string // --webhook-allow-hosts, split into AllowHosts by Validate

	// AttachmentMaxSize is the largest file a message may carry
	// (store.DefaultAttachmentMaxSize when zero); the web server sets it
	// from its own attachment settings.
	AttachmentMaxSize int64
}

func (c Config) withDefaults() Config {
	if c.Rate <= 0 {
		c.Rate = security.TokenLimit.Rate
	}
	if c.Burst <= 0 {
		c.Burst = security.TokenLimit.Burst
	}
	if c.AccessTokenTTL <= 0 || c.AccessTokenTTL > store.MaxAccessTokenTTL {
		c.AccessTokenTTL = store.MaxAccessTokenTTL
	}
	c.Delivery = c.Delivery.withDefaults()
	return c
}

// Client is the HTTP layer's decision about who sent a request, made once
// per request; every limit of the API consults it.
type Client struct {
	// Addr is the client's address (from a trusted proxy's X-Forwarded-For
	// when the peer is one); invalid when a proxy named the client in a
	// form that is no address.
	Addr netip.Addr
	// Label names the client in records: the address, or what stands for
	// it.
	Label string
	// Key is the client's key in every limit.
	Key string
	// Exempt clients (a trusted network such as loopback) are counted but
	// never limited.
	Exempt bool
}

// Hooks is what the API takes from the HTTP layer that mounts it; every
// one is required.
type Hooks struct {
	// Client is the client of a request as the HTTP layer decided it.
	Client func(*http.Request) Client
	// RequestID names the request in logs and in the answer to a fault.
	RequestID func(*http.Request) string
	// AuthFailed is called for every refused API token or OAuth2 client
	// credential, with the kind of failure ("api.token_invalid",
	// "oauth.client_invalid", …); it records the failure and counts it
	// against the client in abuse detection.
	AuthFailed func(r *http.Request, kind string)
	// Alerted is called after a security alert was recorded, so that the
	// owners and admins are mailed now rather than at the next sweep.
	Alerted func()
	// ExportSubject answers an access request for the customer: the JSON
	// document the portal's /me/export hands out, the export recorded as
	// a's in the audit log. A missing customer is store.ErrNotFound.
	ExportSubject func(ctx context.Context, customerID int64, a store.Actor) ([]byte, error)
	// Replied is called after reply m to ticket id (not an internal note)
	// was stored, so that its customer is told by mail exactly as after a
	// reply in the staff panel: an email ticket's customer gets its text
	// and its files' names, threaded.
	Replied func(r *http.Request, id int64, m store.Message)
	// SearchKB ranks the published articles' sections for q, best first,
	// with the help centre's and the assistant's ranking (bot.Bot.Search).
	SearchKB func(ctx context.Context, q string, limit int) ([]bot.Hit, error)
}

// Handler serves the API. It is safe for concurrent use.
type Handler struct {
	cfg      Config
	db       *store.DB
	log      *slog.Logger
	hooks    Hooks
	webhooks *Deliverer
	limits   *limits
	mux      *http.ServeMux
}

// New builds the API handler. webhooks is woken whenever a request records
// an event that webhooks may subscribe to.
func New(cfg Config, db *store.DB, webhooks *Deliverer, hooks Hooks, log *slog.Logger) *Handler {
	cfg = cfg.withDefaults()
	h := &Handler{cfg: cfg, db: db, log: log, hooks: hooks, webhooks: webhooks, limits: newLimits(cfg.Rate, cfg.Burst)}
	h.mux = http.NewServeMux()
	for _, rt := range routeTable() {
		if rt.scope == "" {
			h.mux.HandleFunc(rt.pattern(), func(w http.ResponseWriter, r *http.Request) { rt.h(h, w, r, nil) })
			continue
		}
		h.mux.Handle(rt.pattern(), h.auth(rt.scope, rt.h))
	}
	// Anything else under /api/ or /oauth/ answers 404 or 405 in JSON,
	// never the portal's HTML page.
	h.mux.HandleFunc("/api/", h.fallback)
	h.mux.HandleFunc("/oauth/", h.fallback)
	return h
}

// ServeHTTP serves an API request.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// Handles reports whether path belongs to the API (everything under /api/
// and /oauth/), so that errors raised before the Handler sees a request (a
// body over the size limit, a cross-origin refusal, a panic) are answered
// in its JSON shape too.
func Handles(path string) bool {
	return strings.HasPrefix(path, "/api/") || strings.HasPrefix(path, "/oauth/")
}

// handlerFunc is an API handler; p is the authenticated caller, nil on the
// public routes.
type handlerFunc func(h *Handler, w http.ResponseWriter, r *http.Request, p *store.Principal)

// route is one row of the route table.
type route struct {
	method, path string
	scope        string // "" for a public route
	h            handlerFunc
}

func (rt route) pattern() string { return rt.method + " " + rt.path }

// routeTable is every API route. openapi.json documents each of them with
// the same scope; TestOpenAPIMatchesRoutes holds the two together.
func routeTable() []route {
	return []route{
		// Tickets.
		{"GET", "/api/v1/tickets", store.ScopeTicketsRead, (*Handler).ticketList},
		{"POST", "/api/v1/tickets", store.ScopeTicketsWrite, (*Handler).ticketCreate},
		{"GET", "/api/v1/tickets/{id}", store.ScopeTicketsRead, (*Handler).ticketGet},
		{"PATCH", "/api/v1/tickets/{id}", store.ScopeTicketsWrite, (*Handler).ticketUpdate},
		{"POST", "/api/v1/tickets/{id}/messages", store.ScopeTicketsWrite, (*Handler).messageCreate},
		{"GET", "/api/v1/tickets/{id}/attachments/{aid}", store.ScopeTicketsRead, (*Handler).attachmentGet},

		// Customers.
		{"GET", "/api/v1/customers/{id}", store.ScopeCustomersRead, (*Handler).customerGet},
		{"GET", "/api/v1/customers/{id}/export", store.ScopeCustomersRead, (*Handler).customerExport},
		{"DELETE", "/api/v1/customers/{id}", store.ScopeCustomersErase, (*Handler).customerErase},

		// Knowledge base.
		{"GET", "/api/v1/kb/articles", store.ScopeKBRead, (*Handler).articleList},
		{"POST", "/api/v1/kb/articles", store.ScopeKBWrite, (*Handler).articleCreate},
		{"GET", "/api/v1/kb/articles/{slug}", store.ScopeKBRead, (*Handler).articleGet},
		{"PUT", "/api/v1/kb/articles/{slug}", store.ScopeKBWrite, (*Handler).articlePut},
		{"DELETE", "/api/v1/kb/articles/{slug}", store.ScopeKBWrite, (*Handler).articleDelete},
		{"GET", "/api/v1/kb/articles/{slug}/examples", store.ScopeKBRead, (*Handler).exampleList},
		{"POST", "/api/v1/kb/articles/{slug}/examples", store.ScopeKBWrite, (*Handler).exampleCreate},
		{"DELETE", "/api/v1/kb/articles/{slug}/examples/{id}", store.ScopeKBWrite, (*Handler).exampleDelete},

		// Audit and security.
		{"GET", "/api/v1/audit", store.ScopeAuditRead, (*Handler).auditList},
		{"GET", "/api/v1/security/events", store.ScopeSecurityRead, (*Handler).securityEvents},

		// Webhooks.
		{"GET", "/api/v1/webhooks", store.ScopeWebhooksWrite, (*Handler).webhookList},
		{"POST", "/api/v1/webhooks", store.ScopeWebhooksWrite, (*Handler).webhookCreate},
		{"GET", "/api/v1/webhooks/{id}", store.ScopeWebhooksWrite, (*Handler).webhookGet},
		{"PATCH", "/api/v1/webhooks/{id}", store.ScopeWebhooksWrite, (*Handler).webhookUpdate},
		{"DELETE", "/api/v1/webhooks/{id}", store.ScopeWebhooksWrite, (*Handler).webhookDelete},
		{"GET", "/api/v1/webhooks/{id}/deliveries", store.ScopeWebhooksWrite, (*Handler).webhookDeliveries},

		// Public: the OpenAPI document and the OAuth2 token endpoint.
		{"GET", "/api/v1/openapi.json", "", (*Handler).openAPI},
		{"POST", "/oauth/token", "", (*Handler).oauthToken},
	}
}

// Route is one API route as a reader of the route table sees it.
type Route struct {
	Pattern string // method and path, as http.ServeMux takes it: "GET /api/v1/tickets/{id}"
	Scope   string // the scope a bearer token must hold; "" for a public route
}

// Routes lists every API route in the order of the route table.
func Routes() []Route {
	table := routeTable()
	out := make([]Route, len(table))
	for i, rt := range table {
		out[i] = Route{Pattern: rt.pattern(), Scope: rt.scope}
	}
	return out
}

// fallback answers paths under /api/ and /oauth/ that match no route: 405
// with Allow when the path exists with other methods, 404 otherwise.
func (h *Handler) fallback(w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, rt := range routeTable() {
		if pathMatches(rt.path, r.URL.Path) {
			allow = append(allow, rt.method)
		}
	}
	if len(allow) == 0 {
		h.ServeError(w, r, errNotFound)
		return
	}
	w.Header().Set("Allow", strings.Join(allow, ", "))
	h.ServeError(w, r, errorf(http.StatusMethodNotAllowed, "method_not_allowed", "Use %s for this path.", strings.Join(allow, " or ")))
}

// pathMatches matches a route path with {name} segments against a path.
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

// clientIP names the client in records: its address as text, or what
// stands for it; "" when unknown.
func (h *Handler) clientIP(r *http.Request) string { return h.hooks.Client(r).Label }

// allow takes a token for key from l: an exempt client is counted but
// never refused.
func allow(l *security.Limiter, key string, c Client) (bool, time.Duration) {
	ok, wait := l.Allow(key)
	if c.Exempt {
		return true, 0
	}
	return ok, wait
}

// actor names the caller in the audit log.
func (h *Handler) actor(r *http.Request, p *store.Principal) store.Actor {
	return p.Actor(h.clientIP(r))
}
