package web

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

// apiLimits are the API's rate limiters.
type apiLimits struct {
	caller   *security.Limiter // per token, or per OAuth client for all its tokens
	failures *security.Limiter // failed authentications per client address
	policy   string            // the RateLimit-Policy header value

	mu      sync.Mutex
	alerted map[int64]time.Time // token id → last address-refusal alert
}

// failureLimit bounds failed authentications per client address: 20 at
// once, then one every 6 seconds. Beyond it the answer is 429, without a
// database read.
var failureLimit = security.LimitConfig{Rate: 1.0 / 6, Burst: 20}

func newAPILimits(rate float64, burst int) *apiLimits {
	window := int(float64(burst)/rate + 0.999)
	return &apiLimits{
		caller:   security.LimitConfig{Rate: rate, Burst: burst}.NewLimiter(nil),
		failures: failureLimit.NewLimiter(nil),
		policy:   fmt.Sprintf(`"caller";q=%d;w=%d`, burst, window),
		alerted:  map[int64]time.Time{},
	}
}

// apiAuth authenticates the bearer token, applies the caller's rate limit
// and checks the route's scope, in that order: a refused scope still
// counts against the limit.
func (s *Server) apiAuth(scope string, next apiHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if q := s.api.failures.Status(clientIP(r)); q.Remaining <= 0 {
			s.apiTooMany(w, r, q.Reset)
			return
		}
		token, ok := bearerToken(r)
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="safedesk"`)
			s.apiServeError(w, r, apiErrorf(http.StatusUnauthorized, "unauthorized", "Send an API token: Authorization: Bearer <token>."))
			return
		}
		p, err := s.db.AuthenticateToken(r.Context(), token, info(r).ip)
		if err != nil {
			s.apiAuthFailed(w, r, p, err)
			return
		}
		key := "t" + strconv.FormatInt(p.TokenID, 10)
		if p.Kind == "oauth" {
			key = "c" + strconv.FormatInt(p.ClientID, 10)
		}
		h := w.Header()
		h.Set("RateLimit-Policy", s.api.policy)
		allowed, wait := s.api.caller.Allow(key)
		q := s.api.caller.Status(key)
		h.Set("RateLimit", fmt.Sprintf(`"caller";r=%d;t=%d`, q.Remaining, q.ResetSeconds()))
		if !allowed {
			s.apiTooMany(w, r, wait)
			return
		}
		if !p.Has(scope) {
			h.Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm="safedesk", error="insufficient_scope", scope=%q`, scope))
			s.apiServeError(w, r, apiErrorf(http.StatusForbidden, "insufficient_scope", "This token lacks the %s scope.", scope))
			return
		}
		next(w, r, &p)
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

// apiAuthFailed answers a token that does not authenticate: 401 whatever
// the reason, so nobody learns whether a token exists. The failure counts
// against the client address and is recorded; a live token used from an
// address outside its allow-list is a leaked token and raises an alert.
func (s *Server) apiAuthFailed(w http.ResponseWriter, r *http.Request, p store.Principal, err error) {
	desc := "The token is not valid."
	kind := "api.token_invalid"
	switch {
	case errors.Is(err, store.ErrTokenExpired):
		desc, kind = "The token has expired.", "api.token_expired"
	case errors.Is(err, store.ErrTokenAddress):
		kind = "api.token_address_refused"
		s.alertTokenAddress(r, p)
	case !errors.Is(err, store.ErrTokenInvalid):
		s.apiServeError(w, r, err)
		return
	}
	if ok, wait := s.api.failures.Allow(clientIP(r)); !ok {
		s.apiTooMany(w, r, wait)
		return
	}
	s.onAuthFailure(r, kind)
	w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm="safedesk", error="invalid_token", error_description=%q`, desc))
	s.apiServeError(w, r, apiErrorf(http.StatusUnauthorized, "invalid_token", "%s", desc))
}

// apiTooMany answers 429 with Retry-After in whole seconds, at least 1.
func (s *Server) apiTooMany(w http.ResponseWriter, r *http.Request, wait time.Duration) {
	secs := max(1, int((wait+time.Second-1)/time.Second))
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	s.apiServeError(w, r, apiErrorf(http.StatusTooManyRequests, "rate_limited", "Too many requests; retry in %d s.", secs))
}

// onAuthFailure is called for every refused API or OAuth credential, with
// the kind of failure. It records a security event and an audit entry
// (api.auth_failed) and counts the failure against the client in the
// abuse guard (web/abuse_respond.go).
func (s *Server) onAuthFailure(r *http.Request, kind string) {
	s.apiAuthFailure(r, kind)
}

// alertTokenAddress raises a security alert, at most once an hour per
// token, when a live token is presented from outside its allow-list.
func (s *Server) alertTokenAddress(r *http.Request, p store.Principal) {
	now := time.Now()
	s.api.mu.Lock()
	last, seen := s.api.alerted[p.TokenID]
	if seen && now.Sub(last) < time.Hour {
		s.api.mu.Unlock()
		return
	}
	if len(s.api.alerted) > 10000 {
		clear(s.api.alerted)
	}
	s.api.alerted[p.TokenID] = now
	s.api.mu.Unlock()
	target := "token:" + strconv.FormatInt(p.TokenID, 10)
	details := map[string]any{"token_id": p.TokenID}
	if p.Kind == "oauth" {
		details["client_id"] = p.ClientID
	}
	s.log.Warn("security alert: API token used from an address outside its allow-list", "token", p.TokenID, "ip", clientIP(r))
	a := store.Actor{Type: store.ActorToken, ID: strconv.FormatInt(p.TokenID, 10), ClientIP: clientIP(r)}
	if err := s.db.RecordSecurityAlert(r.Context(), "token_address_refused", target, details, a); err != nil {
		s.log.Error("security alert not recorded", "err", err)
	}
	s.mon.AlertNow()
	s.wakeWebhooks()
}
