package web

import (
	"context"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"safedesk/store"
	"safedesk/store/storetest"
	"safedesk/web/api/apitest"
)

// TestAPIMounted checks what web adds to the API (web/api tests the API
// itself): the router hands /api/ and /oauth/ to it, web's middleware runs
// first and answers its own refusals in the API's shape, and the hooks the
// API is given are web's request id, client address and auth-failure
// recording.
func TestAPIMounted(t *testing.T) {
	env := newAPIServer(t, func(c *Config) {
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	})
	ctx := context.Background()
	tok := env.token(store.ScopeTicketsRead, store.ScopeTicketsWrite)

	t.Run("the document, with web's headers", func(t *testing.T) {
		got := env.api("GET", "/api/v1/openapi.json", "", "")
		if got.status != 200 || got.header.Get("Content-Type") != "application/json" || !strings.Contains(got.body, `"openapi"`) {
			t.Fatalf("%d %q", got.status, got.header.Get("Content-Type"))
		}
		for _, h := range []string{"X-Request-Id", "Content-Security-Policy", "X-Content-Type-Options"} {
			if got.header.Get(h) == "" {
				t.Errorf("no %s", h)
			}
		}
	})
	for _, tc := range []struct {
		name, method, path string
		body               string
		header             []string
		wantStatus         int
		wantCode           string
	}{
		{"unknown path under /api/", "GET", "/api/v2/tickets", "", nil, 404, "not_found"},
		{"unknown path under /oauth/", "GET", "/oauth/authorize", "", nil, 404, "not_found"},
		{"body over the limit, by its length", "POST", "/api/v1/tickets", strings.Repeat("a", 1<<20+1), nil, 413, "payload_too_large"},
		{"cross-site browser request", "POST", "/api/v1/tickets", `{}`, []string{"Sec-Fetch-Site", "cross-site"}, 403, "cross_origin"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := env.api(tc.method, tc.path, tok, tc.body, tc.header...)
			if got.status != tc.wantStatus || got.errorCode(t) != tc.wantCode {
				t.Errorf("got %d %s, want %d %s", got.status, got.body, tc.wantStatus, tc.wantCode)
			}
		})
	}
	t.Run("the client address is web's", func(t *testing.T) {
		got := env.api("POST", "/api/v1/tickets", tok, `{"email":"proxied@example.com","subject":"Via a proxy","body":"x"}`,
			"X-Forwarded-For", "203.0.113.5")
		if got.status != 201 {
			t.Fatalf("%d %s", got.status, got.body)
		}
		es, _ := env.db.ListAudit(ctx, store.AuditFilter{Action: "ticket.created", ActorType: store.ActorToken})
		if len(es) != 1 || es[0].Actor.ClientIP != env.db.ClientPseudonym("203.0.113.5") {
			t.Errorf("audit %+v", es)
		}
	})
	t.Run("refused credentials are security events and audit entries", func(t *testing.T) {
		for range 2 {
			env.api("GET", "/api/v1/tickets", "sdk_garbage", "")
		}
		env.tokenRequest(url.Values{"grant_type": {"client_credentials"}}, "sdc_nobody", "wrong")
		for kind, want := range map[string]int{"api.token_invalid": 2, "oauth.client_invalid": 1} {
			events, _ := env.db.ListSecurityEvents(ctx, store.EventFilter{Kind: kind})
			if len(events) != want || events[0].ClientIP != "127.0.0.1" {
				t.Errorf("%s: events %+v", kind, events)
			}
		}
		if es, _ := env.db.ListAudit(ctx, store.AuditFilter{Action: "api.auth_failed"}); len(es) != 3 {
			t.Errorf("%d api.auth_failed entries, want 3", len(es))
		}
	})
	t.Run("a fault quotes web's request id", func(t *testing.T) {
		if _, err := storetest.Raw(t, env.db).Exec("ALTER TABLE tickets RENAME COLUMN subject TO subject_gone"); err != nil {
			t.Fatal(err)
		}
		got := env.api("GET", "/api/v1/tickets", tok, "")
		id := got.header.Get("X-Request-Id")
		if got.status != 500 || got.errorCode(t) != "internal" || id == "" || !strings.Contains(got.body, id) {
			t.Errorf("got %d %s, request id %q", got.status, got.body, id)
		}
	})
}

// TestWebhookDisabledAlertMail: when the deliverer disables a failing
// webhook, the owners are mailed at once (the API's Alerted hook is web's
// alert mailer).
func TestWebhookDisabledAlertMail(t *testing.T) {
	bad := apitest.NewReceiver(t, 500, 500, 500)
	env := newAPIServer(t, allowWebhooks(bad.Host()), func(c *Config) {
		c.API.Delivery.MaxAttempts, c.API.Delivery.DisableAfter = 1, 3
	})
	env.owner() // the admin to alert
	h := createWebhook(t, env, bad.URL, store.EventTicketCreated)
	tok := env.token(store.ScopeTicketsWrite)
	for i := range 3 {
		env.api("POST", "/api/v1/tickets", tok, `{"email":"f@example.com","subject":"Fail `+strconv.Itoa(i)+`","body":"x"}`)
		bad.WaitFor("attempt "+strconv.Itoa(i+1), func(ds []apitest.Delivery) bool { return len(ds) == i+1 })
	}
	m := env.mail.next(t)
	if m.To != "olive@northwind.example" || !strings.Contains(m.Subject, "Security alert") || !strings.Contains(m.Text, "webhook_id="+strconv.FormatInt(h.ID, 10)) {
		t.Errorf("alert mail to %s: %q\n%s", m.To, m.Subject, m.Text)
	}
	if !strings.Contains(env.logs.String(), "webhook disabled") {
		t.Errorf("no log line for the admins")
	}
	if got, _ := env.db.GetWebhook(context.Background(), h.ID); got.Active {
		t.Errorf("the webhook is still active")
	}
}
