package api

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"safedesk/security"
	"safedesk/store"
)

// limits are the API's rate limiters.
type limits struct {
	caller   *security.Limiter // per token, or per OAuth client for all its tokens
	failures *security.Limiter // failed authentications per client (Client.Key)
	policy   string            // the RateLimit-Policy header value

	mu      sync.Mutex                      // makes firstAlert's check and note one step
	alerted *security.LRU[int64, time.Time] // token id → last address-refusal alert
}

// alertedTokens bounds the tokens whose last address alert is remembered;
// beyond it the least recently alerted is forgotten (and may alert again).
const alertedTokens = 10_000

// failureLimit bounds failed authentications per client address: 20 at
// once, then one every 6 seconds. Beyond it the answer is 429, without a
// database read.
var failureLimit = security.LimitConfig{Rate: 1.0 / 6, Burst: 20}

func newLimits(rate float64, burst int) *limits {
	window := int(float64(burst)/rate + 0.999)
	return &limits{
		caller:   security.LimitConfig{Rate: rate, Burst: burst}.NewLimiter(nil),
		failures: failureLimit.NewLimiter(nil),
		policy:   fmt.Sprintf(`"caller";q=%d;w=%d`, burst, window),
		alerted:  security.NewLRU[int64, time.Time](alertedTokens),
	}
}

// auth authenticates the bearer token, applies the caller's rate limit and
// checks the route's scope, in that order: a refused scope still counts
// against the limit.
func (h *Handler) auth(scope string, next handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c := h.hooks.Client(r)
		if q := h.limits.failures.Status(c.Key); q.Remaining <= 0 && !c.Exempt {
			h.tooMany(w, r, q.Reset)
			return
		}
		token, ok := bearerToken(r)
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="safedesk"`)
			h.ServeError(w, r, errorf(http.StatusUnauthorized, "unauthorized", "Send an API token: Authorization: Bearer <token>."))
			return
		}
		p, err := h.db.AuthenticateToken(r.Context(), token, c.Addr)
		if err != nil {
			h.authFailed(w, r, p, err)
			return
		}
		key := "t" + strconv.FormatInt(p.TokenID, 10)
		if p.Kind == "oauth" {
			key = "c" + strconv.FormatInt(p.ClientID, 10)
		}
		hd := w.Header()
		hd.Set("RateLimit-Policy", h.limits.policy)
		allowed, wait := allow(h.limits.caller, key, c)
		q := h.limits.caller.Status(key)
		hd.Set("RateLimit", fmt.Sprintf(`"caller";r=%d;t=%d`, q.Remaining, q.ResetSeconds()))
		if !allowed {
			h.tooMany(w, r, wait)
			return
		}
		if !p.Has(scope) {
			hd.Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm="safedesk", error="insufficient_scope", scope=%q`, scope))
			h.ServeError(w, r, errorf(http.StatusForbidden, "insufficient_scope", "This token lacks the %s scope.", scope))
			return
		}
		next(h, w, r, &p)
	})
}

// bearerToken reads "Authorization: Bearer <token>" (RFC 6750 §2.1).
func bearerToken(r *http.Request) (string, bool) {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	token = strings.TrimSpace(token)
	return token, token != ""
}

// authFailed answers a token that does not authenticate: 401 whatever the
// reason, so nobody learns whether a token exists. The failure counts
// against the client address and goes to the AuthFailed hook; a live token
// used from an address outside its allow-list is a leaked token and raises
// an alert.
func (h *Handler) authFailed(w http.ResponseWriter, r *http.Request, p store.Principal, err error) {
	desc := "The token is not valid."
	kind := "api.token_invalid"
	switch {
	case errors.Is(err, store.ErrTokenExpired):
		desc, kind = "The token has expired.", "api.token_expired"
	case errors.Is(err, store.ErrTokenAddress):
		kind = "api.token_address_refused"
		h.alertTokenAddress(r, p)
	case !errors.Is(err, store.ErrTokenInvalid):
		h.ServeError(w, r, err)
		return
	}
	c := h.hooks.Client(r)
	if ok, wait := allow(h.limits.failures, c.Key, c); !ok {
		h.tooMany(w, r, wait)
		return
	}
	h.hooks.AuthFailed(r, kind)
	w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm="safedesk", error="invalid_token", error_description=%q`, desc))
	h.ServeError(w, r, errorf(http.StatusUnauthorized, "invalid_token", "%s", desc))
}

// alertTokenAddress raises a security alert, at most once an hour per
// token, when a live token is presented from outside its allow-list.
func (h *Handler) alertTokenAddress(r *http.Request, p store.Principal) {
	if !h.limits.firstAlert(p.TokenID, time.Now()) {
		return
	}
	ip := h.clientIP(r)
	target := "token:" + strconv.FormatInt(p.TokenID, 10)
	details := map[string]any{"token_id": p.TokenID}
	if p.Kind == "oauth" {
		details["client_id"] = p.ClientID
	}
	h.log.Warn("security alert: API token used from an address outside its allow-list", "token", p.TokenID, "ip", ip)
	a := store.Actor{Type: store.ActorToken, ID: strconv.FormatInt(p.TokenID, 10), ClientIP: ip}
	if err := h.db.RecordSecurityAlert(r.Context(), "token_address_refused", target, details, a); err != nil {
		h.log.Error("security alert not recorded", "err", err)
	}
	h.hooks.Alerted()
	h.webhooks.Wake()
}

// firstAlert reports whether token has had no address alert in the hour
// before now, and notes one at now.
func (l *limits) firstAlert(token int64, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if last, seen := l.alerted.Get(token); seen && now.Sub(last) < time.Hour {
		return false
	}
	l.alerted.Put(token, now)
	return true
}
