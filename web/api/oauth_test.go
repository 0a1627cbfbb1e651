package api

import (
	"context"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"safedesk/store"
)

// tokenRequest posts a form to /oauth/token, with Basic credentials when
// user is not empty.
func (a *testAPI) tokenRequest(form url.Values, user, pass string) response {
	req := httptest.NewRequest("POST", "/oauth/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if user != "" {
		req.SetBasicAuth(url.QueryEscape(user), url.QueryEscape(pass))
	}
	return a.serve(req)
}

func TestOAuthClientCredentials(t *testing.T) {
	a := newTestAPI(t)
	ctx := context.Background()
	c, secret, err := a.db.CreateClient(ctx, store.NewClient{Name: "shop", Scopes: []string{store.ScopeTicketsRead, store.ScopeKBRead}}, testAdmin)
	if err != nil {
		t.Fatal(err)
	}
	grant := url.Values{"grant_type": {"client_credentials"}}

	t.Run("basic auth grants all the client's scopes for at most an hour", func(t *testing.T) {
		got := a.tokenRequest(grant, c.ClientID, secret)
		if got.status != 200 || got.header.Get("Cache-Control") != "no-store" {
			t.Fatalf("%d %s", got.status, got.body)
		}
		m := got.json(t)
		if m["token_type"] != "Bearer" || m["expires_in"].(float64) > 3600 || m["expires_in"].(float64) < 3590 || m["scope"] != "tickets:read kb:read" {
			t.Errorf("answer %v", m)
		}
		tok := m["access_token"].(string)
		if !strings.HasPrefix(tok, "sdo_") {
			t.Errorf("token %q", tok)
		}
		if got := a.api("GET", "/api/v1/tickets", tok, ""); got.status != 200 {
			t.Errorf("with the token: %d", got.status)
		}
		if got := a.api("POST", "/api/v1/tickets", tok, `{}`); got.status != 403 {
			t.Errorf("beyond its scopes: %d", got.status)
		}
		a.advance(time.Hour)
		if got := a.api("GET", "/api/v1/tickets", tok, ""); got.status != 401 {
			t.Errorf("after an hour: %d", got.status)
		}
	})
	t.Run("form auth with a narrower scope", func(t *testing.T) {
		form := url.Values{"grant_type": {"client_credentials"}, "client_id": {c.ClientID}, "client_secret": {secret}, "scope": {"kb:read"}}
		got := a.tokenRequest(form, "", "")
		if got.status != 200 || got.json(t)["scope"] != "kb:read" {
			t.Fatalf("%d %s", got.status, got.body)
		}
		tok := got.json(t)["access_token"].(string)
		if got := a.api("GET", "/api/v1/tickets", tok, ""); got.status != 403 {
			t.Errorf("a scope not granted: %d", got.status)
		}
	})
	for _, tc := range []struct {
		name       string
		form       url.Values
		user, pass string
		status     int
		code       string
	}{
		{"wrong secret", grant, c.ClientID, otherLast(secret), 401, "invalid_client"},
		{"unknown client", grant, "sdc_nobody", secret, 401, "invalid_client"},
		{"no credentials", grant, "", "", 401, "invalid_client"},
		{"more than the client holds", url.Values{"grant_type": {"client_credentials"}, "scope": {"tickets:read customers:erase"}}, c.ClientID, secret, 400, "invalid_scope"},
		{"unknown scope", url.Values{"grant_type": {"client_credentials"}, "scope": {"root"}}, c.ClientID, secret, 400, "invalid_scope"},
		{"other grant", url.Values{"grant_type": {"password"}}, c.ClientID, secret, 400, "unsupported_grant_type"},
		{"both auth methods", url.Values{"grant_type": {"client_credentials"}, "client_id": {c.ClientID}}, c.ClientID, secret, 400, "invalid_request"},
		{"repeated parameter", url.Values{"grant_type": {"client_credentials", "client_credentials"}}, c.ClientID, secret, 400, "invalid_request"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := a.tokenRequest(tc.form, tc.user, tc.pass)
			if got.status != tc.status || got.json(t)["error"] != tc.code {
				t.Fatalf("got %d %s, want %d %s", got.status, got.body, tc.status, tc.code)
			}
			if tc.status == 401 && got.header.Get("WWW-Authenticate") == "" {
				t.Errorf("no WWW-Authenticate")
			}
		})
	}
	t.Run("wrong secrets go to the hook", func(t *testing.T) {
		kinds, _ := a.counts()
		// The expired access token of the first subtest, then the three
		// refused clients.
		if want := []string{"api.token_expired", "oauth.client_invalid", "oauth.client_invalid", "oauth.client_invalid"}; !slices.Equal(kinds, want) {
			t.Errorf("AuthFailed got %q, want %q", kinds, want)
		}
	})
	t.Run("the grant is audited", func(t *testing.T) {
		entries, _ := a.db.ListAudit(ctx, store.AuditFilter{Action: "oauth.token_issued"})
		if len(entries) != 2 {
			t.Errorf("audit %+v", entries)
		}
	})
	t.Run("query parameters and GET are refused", func(t *testing.T) {
		req := httptest.NewRequest("POST", "/oauth/token?client_secret="+url.QueryEscape(secret), strings.NewReader(grant.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		if got := a.serve(req); got.status != 400 || got.json(t)["error"] != "invalid_request" {
			t.Errorf("secret in the URL: %d %s", got.status, got.body)
		}
		if got := a.api("GET", "/oauth/token", "", ""); got.status != 405 {
			t.Errorf("GET: %d", got.status)
		}
	})
}

// otherLast is s with its last character changed: to "x", or to "y" when
// it is already "x" (a random secret ends in "x" one time in 62, and a
// "wrong" secret equal to the right one would be accepted).
func otherLast(s string) string {
	if strings.HasSuffix(s, "x") {
		return s[:len(s)-1] + "y"
	}
	return s[:len(s)-1] + "x"
}
