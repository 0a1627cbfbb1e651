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
	"safedesk/web/api/apitest"
)

// The API's own tests are in web/api; these helpers serve the tests of web
// that go through the whole server: the mounting of the API, and features
// whose effects the API shows (erasure, the admin API page).

// newAPIServer is a test server whose webhooks resolve made-up hosts
// (apitest.Lookup).
func newAPIServer(t *testing.T, adjust ...func(*Config)) *testEnv {
	t.Helper()
	return newTestServerWith(t, func(c *Config) {
		c.API.Lookup = apitest.Lookup
		for _, a := range adjust {
			a(c)
		}
	})
}

var testAdmin = store.Actor{Type: store.ActorStaff, ID: "1"}

// token makes a personal token with the scopes.
func (e *testEnv) token(scopes ...string) string { return apitest.Token(e.t, e.db, scopes...) }

// api sends an API request with a bearer token (none when empty) and a raw
// JSON body (none when empty).
func (e *testEnv) api(method, path, token, body string, header ...string) response {
	e.t.Helper()
	return e.send(apitest.NewRequest(e.t, method, e.http.URL+path, token, body, header...))
}

// tokenRequest posts a form to /oauth/token with Basic credentials.
func (e *testEnv) tokenRequest(form url.Values, user, pass string) response {
	e.t.Helper()
	req, err := http.NewRequest("POST", e.http.URL+"/oauth/token", strings.NewReader(form.Encode()))
	if err != nil {
		e.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(url.QueryEscape(user), url.QueryEscape(pass))
	return e.send(req)
}

// send makes a request without cookies.
func (e *testEnv) send(req *http.Request) response {
	e.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	return response{status: resp.StatusCode, body: string(b), header: resp.Header}
}

// json decodes the body into a map.
func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	return apitest.Decode(t, r.status, r.body)
}

// errorCode checks the API's one error shape and returns the code.
func (r response) errorCode(t *testing.T) string {
	t.Helper()
	return apitest.ErrorCode(t, r.status, r.body)
}

// allowWebhooks lets webhooks reach the hosts (receivers on 127.0.0.1).
func allowWebhooks(hosts ...string) func(*Config) {
	return func(c *Config) { c.API.AllowHosts = hosts }
}

// deliverWebhooks runs delivery rounds every 20 ms until the test ends, as
// main's scheduler does every few seconds.
func (e *testEnv) deliverWebhooks() {
	apitest.Every(e.t, 20*time.Millisecond, e.srv.Webhooks().Deliver)
}

// createWebhook stores a webhook to hookURL for the events.
func createWebhook(t *testing.T, env *testEnv, hookURL string, events ...string) store.Webhook {
	t.Helper()
	h, _, err := env.db.CreateWebhook(context.Background(), store.NewWebhook{URL: hookURL, Events: events}, testAdmin)
	if err != nil {
		t.Fatal(err)
	}
	return h
}
