package web

import (
	"encoding/json"
	"errors"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"safedesk/store"
)

// oauthToken is the OAuth2 token endpoint for the client-credentials grant
// (RFC 6749 §4.4). The client authenticates with HTTP Basic or with
// client_id and client_secret form fields, never both; the access token it
// gets lives at most an hour and holds at most the client's scopes. Errors
// follow RFC 6749 §5.2 ({"error":"invalid_client",…}) because that is what
// OAuth2 client libraries parse.
func (s *Server) oauthToken(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	ip := clientIP(r)
	if q := s.api.failures.Status(ip); q.Remaining <= 0 {
		s.oauthTooMany(w, q.Reset)
		return
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
		s.oauthError(w, http.StatusBadRequest, "invalid_request", "Send the request as application/x-www-form-urlencoded.")
		return
	}
	if r.URL.RawQuery != "" {
		s.oauthError(w, http.StatusBadRequest, "invalid_request", "Parameters belong in the request body, not the URL.")
		return
	}
	if err := r.ParseForm(); err != nil {
		var maxErr *http.MaxBytesError
		if errors.As(err, &maxErr) {
			s.oauthError(w, http.StatusRequestEntityTooLarge, "invalid_request", "The request body is too large.")
			return
		}
		s.oauthError(w, http.StatusBadRequest, "invalid_request", "The request body could not be read.")
		return
	}
	for k, v := range r.PostForm {
		if len(v) > 1 {
			s.oauthError(w, http.StatusBadRequest, "invalid_request", "Parameter "+strconv.QuoteToASCII(truncate(k, 40))+" is repeated.")
			return
		}
	}
	if gt := r.PostForm.Get("grant_type"); gt != "client_credentials" {
		s.oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "Only grant_type=client_credentials is supported.")
		return
	}
	id, secret, problem := clientCredentials(r)
	if problem != "" {
		s.oauthError(w, http.StatusBadRequest, "invalid_request", problem)
		return
	}
	scopes, err := store.ParseScopes(r.PostForm.Get("scope"))
	if err != nil || (r.PostForm.Has("scope") && len(scopes) == 0) {
		s.oauthError(w, http.StatusBadRequest, "invalid_scope", "The scope names an unknown scope.")
		return
	}
	c, err := s.db.AuthenticateClient(r.Context(), id, secret, info(r).ip)
	if errors.Is(err, store.ErrClientInvalid) {
		if ok, wait := s.api.failures.Allow(ip); !ok {
			s.oauthTooMany(w, wait)
			return
		}
		s.onAuthFailure(r, "oauth.client_invalid")
		h.Set("WWW-Authenticate", `Basic realm="safedesk"`)
		s.oauthError(w, http.StatusUnauthorized, "invalid_client", "Client authentication failed.")
		return
	}
	if err != nil {
		s.log.Error("oauth token", "err", err, "request_id", info(r).id)
		s.oauthError(w, http.StatusInternalServerError, "server_error", "Something went wrong on our side.")
		return
	}
	if ok, wait := s.api.caller.Allow("c" + strconv.FormatInt(c.ID, 10)); !ok {
		s.oauthTooMany(w, wait)
		return
	}
	a := store.Actor{Type: store.ActorToken, ID: "client:" + strconv.FormatInt(c.ID, 10), ClientIP: ip}
	token, p, err := s.db.IssueAccessToken(r.Context(), c, scopes, s.cfg.AccessTokenTTL, info(r).ip, a)
	switch {
	case errors.Is(err, store.ErrScopeNotGranted):
		s.oauthError(w, http.StatusBadRequest, "invalid_scope", "The scope asks for more than this client holds.")
		return
	case errors.Is(err, store.ErrClientInvalid):
		s.oauthError(w, http.StatusUnauthorized, "invalid_client", "Client authentication failed.")
		return
	case err != nil:
		s.log.Error("oauth token", "err", err, "request_id", info(r).id)
		s.oauthError(w, http.StatusInternalServerError, "server_error", "Something went wrong on our side.")
		return
	}
	expires := int64(p.ExpiresAt.Sub(s.db.Now()).Round(time.Second) / time.Second)
	s.writeOAuth(w, http.StatusOK, map[string]any{
		"access_token": token, "token_type": "Bearer", "expires_in": expires, "scope": strings.Join(p.Scopes, " "),
	})
}

// clientCredentials reads the client's id and secret from HTTP Basic
// (form-urlencoded inside, RFC 6749 §2.3.1) or from the form, not both.
// problem explains a malformed request.
func clientCredentials(r *http.Request) (id, secret, problem string) {
	user, pass, basic := r.BasicAuth()
	inForm := r.PostForm.Has("client_id") || r.PostForm.Has("client_secret")
	switch {
	case basic && inForm:
		return "", "", "Authenticate the client one way only: HTTP Basic or form fields."
	case basic:
		var err1, err2 error
		id, err1 = url.QueryUnescape(user)
		secret, err2 = url.QueryUnescape(pass)
		if err1 != nil || err2 != nil {
			return "", "", "The Basic credentials are not form-urlencoded."
		}
		return id, secret, ""
	}
	return r.PostForm.Get("client_id"), r.PostForm.Get("client_secret"), ""
}

func (s *Server) oauthError(w http.ResponseWriter, status int, code, desc string) {
	s.writeOAuth(w, status, map[string]any{"error": code, "error_description": desc})
}

func (s *Server) oauthTooMany(w http.ResponseWriter, wait time.Duration) {
	secs := max(1, int((wait+time.Second-1)/time.Second))
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	s.oauthError(w, http.StatusTooManyRequests, "slow_down", "Too many requests; retry in "+strconv.Itoa(secs)+" s.")
}

func (s *Server) writeOAuth(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}
