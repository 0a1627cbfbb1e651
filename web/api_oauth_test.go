package web

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"safedesk/store"
)

// tokenRequest posts a form to /oauth/token, with Basic credentials when
// user is not empty.
func (e *testEnv) tokenRequest(form url.Values, user, pass string) response {
	e.t.Helper()
	req, _ := http.NewRequest("POST", e.http.URL+"/oauth/token", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if user != "" {
		req.SetBasicAuth(url.QueryEscape(user), url.QueryEscape(pass))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, body: string(b), header: resp.Header}
}

func TestOAuthClientCredentials(t *testing.T) {
	env := newAPIServer(t)
	ctx := context.Background()
	c, secret, err := env.db.CreateClient(ctx, store.NewClient{Name: "shop", Scopes: []string{store.ScopeTicketsRead, store.ScopeKBRead}}, testAdmin)
	if err != nil {
		t.Fatal(err)
	}
	grant := url.Values{"grant_type": {"client_credentials"}}

	t.Run("basic auth grants all the client's scopes for at most an hour", func(t *testing.T) {
		got := env.tokenRequest(grant, c.ClientID, secret)
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
		if got := env.api("GET", "/api/v1/tickets", tok, ""); got.status != 200 {
			t.Errorf("with the token: %d", got.status)
		}
		if got := env.api("POST", "/api/v1/tickets", tok, `{}`); got.status != 403 {
			t.Errorf("beyond its scopes: %d", got.status)
		}
		env.clock.advance(time.Hour)
		if got := env.api("GET", "/api/v1/tickets", tok, ""); got.status != 401 {
			t.Errorf("after an hour: %d", got.status)
		}
	})
	t.Run("form auth with a narrower scope", func(t *testing.T) {
		form := url.Values{"grant_type": {"client_credentials"}, "client_id": {c.ClientID}, "client_secret": {secret}, "scope": {"kb:read"}}
		got := env.tokenRequest(form, "", "")
		if got.status != 200 || got.json(t)["scope"] != "kb:read" {
			t.Fatalf("%d %s", got.status, got.body)
		}
		tok := got.json(t)["access_token"].(string)
		if got := env.api("GET", "/api/v1/tickets", tok, ""); got.status != 403 {
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
		{"wrong secret", grant, c.ClientID, secret[:len(secret)-1] + "x", 401, "invalid_client"},
		{"unknown client", grant, "sdc_nobody", secret, 401, "invalid_client"},
		{"no credentials", grant, "", "", 401, "invalid_client"},
		{"more than the client holds", url.Values{"grant_type": {"client_credentials"}, "scope": {"tickets:read customers:erase"}}, c.ClientID, secret, 400, "invalid_scope"},
		{"unknown scope", url.Values{"grant_type": {"client_credentials"}, "scope": {"root"}}, c.ClientID, secret, 400, "invalid_scope"},
		{"other grant", url.Values{"grant_type": {"password"}}, c.ClientID, secret, 400, "unsupported_grant_type"},
		{"both auth methods", url.Values{"grant_type": {"client_credentials"}, "client_id": {c.ClientID}}, c.ClientID, secret, 400, "invalid_request"},
		{"repeated parameter", url.Values{"grant_type": {"client_credentials", "client_credentials"}}, c.ClientID, secret, 400, "invalid_request"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := env.tokenRequest(tc.form, tc.user, tc.pass)
			if got.status != tc.status || got.json(t)["error"] != tc.code {
				t.Fatalf("got %d %s, want %d %s", got.status, got.body, tc.status, tc.code)
			}
			if tc.status == 401 && got.header.Get("WWW-Authenticate") == "" {
				t.Errorf("no WWW-Authenticate")
			}
		})
	}
	t.Run("wrong secrets count as security events", func(t *testing.T) {
		events, _ := env.db.ListSecurityEvents(ctx, store.EventFilter{Kind: "oauth.client_invalid"})
		if len(events) != 3 || events[0].ClientIP != "127.0.0.1" {
			t.Errorf("events %+v", events)
		}
	})
	t.Run("the grant is audited", func(t *testing.T) {
		entries, _ := env.db.ListAudit(ctx, store.AuditFilter{Action: "oauth.token_issued"})
		if len(entries) != 2 {
			t.Errorf("audit %+v", entries)
		}
	})
	t.Run("query parameters and GET are refused", func(t *testing.T) {
		req, _ := http.NewRequest("POST", env.http.URL+"/oauth/token?client_secret="+url.QueryEscape(secret), strings.NewReader(grant.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		resp, _ := http.DefaultClient.Do(req)
		resp.Body.Close()
		if resp.StatusCode != 400 {
			t.Errorf("secret in the URL: %d", resp.StatusCode)
		}
		if got := env.api("GET", "/oauth/token", "", ""); got.status != 405 {
			t.Errorf("GET: %d", got.status)
		}
	})
}
