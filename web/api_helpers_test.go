package web

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"testing"

	"safedesk/store"
)

// publicHost resolves, in tests, to a public address so that a webhook
// pointing at it passes the creation check without the network.
const publicHost = "receiver.example.com"

// fakeLookup resolves a few made-up names: publicHost to a public address,
// anything under .internal.test to a private one.
func fakeLookup(ctx context.Context, host string) ([]netip.Addr, error) {
	switch {
	case host == publicHost:
		return []netip.Addr{netip.MustParseAddr("93.184.215.14")}, nil
	case strings.HasSuffix(host, ".internal.test"):
		return []netip.Addr{netip.MustParseAddr("10.20.30.40")}, nil
	}
	return nil, &net404{host}
}

type net404 struct{ host string }

func (e *net404) Error() string { return "no such host " + e.host }

// newAPIServer is a test server with the fake resolver for webhooks.
func newAPIServer(t *testing.T, adjust ...func(*Config)) *testEnv {
	t.Helper()
	return newTestServerWith(t, func(c *Config) {
		c.WebhookLookup = fakeLookup
		for _, a := range adjust {
			a(c)
		}
	})
}

var testAdmin = store.Actor{Type: store.ActorStaff, ID: "1"}

// token makes a personal token with the scopes.
func (e *testEnv) token(scopes ...string) string {
	e.t.Helper()
	_, secret, err := e.db.CreateToken(context.Background(), store.NewToken{Name: "test", Scopes: scopes}, testAdmin)
	if err != nil {
		e.t.Fatal(err)
	}
	return secret
}

// api sends an API request with a bearer token (none when empty) and a raw
// JSON body (none when empty).
func (e *testEnv) api(method, path, token, body string, header ...string) response {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.http.URL+path, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, body: string(b), header: resp.Header}
}

// json decodes the body into a map.
func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(r.body), &m); err != nil {
		t.Fatalf("status %d, body is not JSON: %v: %q", r.status, err, r.body)
	}
	return m
}

// errorCode checks the one error shape and returns the code.
func (r response) errorCode(t *testing.T) string {
	t.Helper()
	m := r.json(t)
	e, ok := m["error"].(map[string]any)
	if !ok || len(m) != 1 {
		t.Fatalf("status %d: error body %q is not {\"error\":{…}}", r.status, r.body)
	}
	code, _ := e["code"].(string)
	msg, _ := e["message"].(string)
	if code == "" || msg == "" {
		t.Fatalf("status %d: error without code or message: %q", r.status, r.body)
	}
	for k := range e {
		if k != "code" && k != "message" && k != "fields" {
			t.Errorf("unexpected error member %q", k)
		}
	}
	return code
}

// fixture is one of each resource, for filling path parameters.
type fixture struct {
	ticket, customer, webhook int64
	slug                      string
}

func (e *testEnv) fixture() fixture {
	e.t.Helper()
	ctx := context.Background()
	tk, err := e.db.CreateTicket(ctx, store.NewTicket{Email: "fixture-" + randText() + "@example.com", Name: "Fix Ture", Subject: "Fixture ticket", Body: "Fixture body."}, testAdmin)
	if err != nil {
		e.t.Fatal(err)
	}
	slug := "fixture-" + strings.ToLower(randText())
	if err := e.db.SaveArticle(ctx, store.Article{Slug: slug, Title: "Fixture", Body: "Fixture article.", Published: true}, testAdmin); err != nil {
		e.t.Fatal(err)
	}
	h, _, err := e.db.CreateWebhook(ctx, store.NewWebhook{URL: "https://" + publicHost + "/hook", Events: []string{store.EventTicketCreated}}, testAdmin)
	if err != nil {
		e.t.Fatal(err)
	}
	return fixture{ticket: tk.ID, customer: tk.CustomerID, webhook: h.ID, slug: slug}
}

// path fills a route pattern's parameters from the fixture.
func (f fixture) path(pattern string) string {
	id := f.ticket
	switch {
	case strings.HasPrefix(pattern, "/customers/"):
		id = f.customer
	case strings.HasPrefix(pattern, "/webhooks/"):
		id = f.webhook
	}
	p := strings.ReplaceAll(pattern, "{id}", strconv.FormatInt(id, 10))
	return "/api/v1" + strings.ReplaceAll(p, "{slug}", f.slug)
}

func randText() string { return strings.ToLower(rand.Text()[:10]) }
