package api

import (
	"errors"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"safedesk/store"
	"safedesk/web/httpx"
)

// oauthToken is the OAuth2 token endpoint for the client-credentials grant
// (RFC 6749 §4.4). The client authenticates with HTTP Basic or with
// client_id and client_secret form fields, never both; the access token it
// gets lives at most an hour and holds at most the client's scopes. Errors
// follow RFC 6749 §5.2 ({"error":"invalid_client",…}) because that is what
// OAuth2 client libraries parse.
func (h *Handler) oauthToken(w http.ResponseWriter, r *http.Request, _ *store.Principal) {
	w.Header().Set("Pragma", "no-cache")
	client := h.hooks.Client(r)
	ip := client.Label
	if q := h.limits.failures.Status(client.Key); q.Remaining <= 0 && !client.Exempt {
		oauthTooMany(w, q.Reset)
		return
	}
	req, problem := readTokenRequest(r)
	if problem != nil {
		oauthError(w, problem.status, problem.code, problem.message)
		return
	}
	c, err := h.db.AuthenticateClient(r.Context(), req.id, req.secret, client.Addr)
	if errors.Is(err, store.ErrClientInvalid) {
		if ok, wait := allow(h.limits.failures, client.Key, client); !ok {
			oauthTooMany(w, wait)
			return
		}
		h.hooks.AuthFailed(r, "oauth.client_invalid")
		w.Header().Set("WWW-Authenticate", `Basic realm="safedesk"`)
		oauthError(w, http.StatusUnauthorized, "invalid_client", "Client authentication failed.")
		return
	}
	if err != nil {
		h.oauthFault(w, r, err)
		return
	}
	if ok, wait := allow(h.limits.caller, "c"+strconv.FormatInt(c.ID, 10), client); !ok {
		oauthTooMany(w, wait)
		return
	}
	a := store.Actor{Type: store.ActorToken, ID: "client:" + strconv.FormatInt(c.ID, 10), ClientIP: ip}
	token, p, err := h.db.IssueAccessToken(r.Context(), c, req.scopes, h.cfg.AccessTokenTTL, client.Addr, a)
	switch {
	case errors.Is(err, store.ErrScopeNotGranted):
		oauthError(w, http.StatusBadRequest, "invalid_scope", "The scope asks for more than this client holds.")
	case errors.Is(err, store.ErrClientInvalid):
		oauthError(w, http.StatusUnauthorized, "invalid_client", "Client authentication failed.")
	case err != nil:
		h.oauthFault(w, r, err)
	default:
		expires := int64(p.ExpiresAt.Sub(h.db.Now()).Round(time.Second) / time.Second)
		httpx.WriteJSON(w, http.StatusOK, map[string]any{
			"access_token": token, "token_type": "Bearer", "expires_in": expires, "scope": strings.Join(p.Scopes, " "),
		})
	}
}

// tokenRequest is a well-formed token request.
type tokenRequest struct {
	id, secret string   // the client's credentials
	scopes     []string // asked for; none: all the client's
}

// readTokenRequest checks the form of a token request; a problem is an
// RFC 6749 error to answer.
func readTokenRequest(r *http.Request) (tokenRequest, *apiError) {
	var req tokenRequest
	invalid := func(status int, code, msg string) (tokenRequest, *apiError) {
		return req, &apiError{status: status, code: code, message: msg}
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/x-www-form-urlencoded" {
		return invalid(http.StatusBadRequest, "invalid_request", "Send the request as application/x-www-form-urlencoded.")
	}
	if r.URL.RawQuery != "" {
		return invalid(http.StatusBadRequest, "invalid_request", "Parameters belong in the request body, not the URL.")
	}
	if err := r.ParseForm(); err != nil {
		var maxErr *http.MaxBytesError
		if errors.As(err, &maxErr) {
			return invalid(http.StatusRequestEntityTooLarge, "invalid_request", "The request body is too large.")
		}
		return invalid(http.StatusBadRequest, "invalid_request", "The request body could not be read.")
	}
	for k, v := range r.PostForm {
		if len(v) > 1 {
			return invalid(http.StatusBadRequest, "invalid_request", "Parameter "+safeName(k)+" is repeated.")
		}
	}
	if gt := r.PostForm.Get("grant_type"); gt != "client_credentials" {
		return invalid(http.StatusBadRequest, "unsupported_grant_type", "Only grant_type=client_credentials is supported.")
	}
	var problem string
	if req.id, req.secret, problem = clientCredentials(r); problem != "" {
		return invalid(http.StatusBadRequest, "invalid_request", problem)
	}
	var err error
	req.scopes, err = store.ParseScopes(r.PostForm.Get("scope"))
	if err != nil || (r.PostForm.Has("scope") && len(req.scopes) == 0) {
		return invalid(http.StatusBadRequest, "invalid_scope", "The scope names an unknown scope.")
	}
	return req, nil
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

// oauthError answers in the RFC 6749 §5.2 shape, never cached.
func oauthError(w http.ResponseWriter, status int, code, desc string) {
	httpx.WriteJSON(w, status, map[string]any{"error": code, "error_description": desc})
}

func oauthTooMany(w http.ResponseWriter, wait time.Duration) {
	secs := retryAfter(w, wait)
	oauthError(w, http.StatusTooManyRequests, "slow_down", "Too many requests; retry in "+strconv.Itoa(secs)+" s.")
}

// oauthFault answers a server fault without saying anything of it.
func (h *Handler) oauthFault(w http.ResponseWriter, r *http.Request, err error) {
	h.log.Error("oauth token", "err", err, "request_id", h.hooks.RequestID(r))
	oauthError(w, http.StatusInternalServerError, "server_error", "Something went wrong on our side.")
}
