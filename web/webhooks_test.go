package web

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"safedesk/security"
	"safedesk/store"
)

// receiver is a webhook receiver on 127.0.0.1 that verifies signatures and
// answers with the statuses it is given, then 200.
type receiver struct {
	t        *testing.T
	srv      *httptest.Server
	mu       sync.Mutex
	secret   string
	statuses []int
	got      []delivery
	arrived  chan struct{}
}

type delivery struct {
	id, event string
	status    int
	verified  error
	body      []byte
}

func newReceiver(t *testing.T, statuses ...int) *receiver {
	rc := &receiver{t: t, statuses: statuses, arrived: make(chan struct{}, 100)}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var p struct{ Type string }
		json.Unmarshal(body, &p)
		rc.mu.Lock()
		status := 200
		if len(rc.statuses) > 0 {
			status, rc.statuses = rc.statuses[0], rc.statuses[1:]
		}
		d := delivery{id: r.Header.Get("webhook-id"), event: p.Type, status: status, body: body}
		if rc.secret != "" {
			d.verified = security.VerifyWebhook(rc.secret, r.Header, body, time.Now(), 0)
		}
		rc.got = append(rc.got, d)
		rc.mu.Unlock()
		w.WriteHeader(status)
		rc.arrived <- struct{}{}
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) host() string { u, _ := url.Parse(rc.srv.URL); return u.Host }

func (rc *receiver) setSecret(s string) { rc.mu.Lock(); rc.secret = s; rc.mu.Unlock() }

// waitFor waits until cond holds over what arrived.
func (rc *receiver) waitFor(what string, cond func([]delivery) bool) []delivery {
	rc.t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		rc.mu.Lock()
		got := append([]delivery(nil), rc.got...)
		rc.mu.Unlock()
		if cond(got) {
			return got
		}
		select {
		case <-rc.arrived:
		case <-deadline:
			rc.t.Fatalf("timed out waiting for %s; got %+v", what, got)
		}
	}
}

func fastWebhooks(allow ...string) func(*Config) {
	return func(c *Config) {
		c.WebhookAllowHosts = allow
		c.WebhookPoll = 20 * time.Millisecond
		c.WebhookRetryBase = 20 * time.Millisecond
		c.WebhookRetryMax = 50 * time.Millisecond
		c.WebhookTimeout = 5 * time.Second
	}
}

func createWebhook(t *testing.T, env *testEnv, tok, hookURL string, events ...string) (id, secret string) {
	t.Helper()
	ev, _ := json.Marshal(events)
	got := env.api("POST", "/api/v1/webhooks", tok, `{"url":"`+hookURL+`","events":`+string(ev)+`}`)
	if got.status != 201 {
		t.Fatalf("create webhook: %d %s", got.status, got.body)
	}
	m := got.json(t)
	return strconv.FormatInt(int64(m["id"].(float64)), 10), m["secret"].(string)
}

// TestWebhookDelivery: a ticket made through the API and one made on the
// portal both reach the receiver, signed; a 500 is retried with the same
// webhook-id; the delivery log shows both attempts with their status codes.
func TestWebhookDelivery(t *testing.T) {
	rc := newReceiver(t, 500)
	env := newAPIServer(t, fastWebhooks(rc.host()))
	t.Cleanup(env.srv.StartWebhooks())
	tok := env.token(store.ScopeWebhooksWrite, store.ScopeTicketsWrite)
	id, secret := createWebhook(t, env, tok, rc.srv.URL+"/hook?token=abc", store.EventTicketCreated, store.EventMessageCreated, store.EventTicketUpdated)
	if !strings.HasPrefix(secret, "whsec_") {
		t.Fatalf("secret %q", secret)
	}
	rc.setSecret(secret)

	got := env.api("POST", "/api/v1/tickets", tok, `{"email":"hook.person@example.com","name":"Hook Person","subject":"Via API","body":"Hello"}`)
	tid := int64(got.json(t)["id"].(float64))
	if got := env.client().post("/tickets/new", ticketForm("portal.person@example.com", "Via portal", "Hi")); got.status != 303 {
		t.Fatalf("portal ticket: %d", got.status)
	}
	env.api("PATCH", "/api/v1/tickets/"+strconv.FormatInt(tid, 10), tok, `{"status":"pending"}`)

	ds := rc.waitFor("three events, the first retried", func(ds []delivery) bool {
		ok := 0
		for _, d := range ds {
			if d.status == 200 {
				ok++
			}
		}
		return ok == 3
	})
	if ds[0].status != 500 || ds[0].event != store.EventTicketCreated {
		t.Fatalf("first attempt %+v", ds[0])
	}
	retried := false
	for _, d := range ds[1:] {
		if d.id == ds[0].id {
			retried = d.status == 200
		}
	}
	if !retried {
		t.Errorf("the 500 was not retried with the same webhook-id: %+v", ds)
	}
	events := map[string]int{}
	for _, d := range ds {
		if d.verified != nil {
			t.Errorf("signature of %s: %v", d.id, d.verified)
		}
		if strings.Contains(string(d.body), "@example.com") || strings.Contains(string(d.body), "Person") {
			t.Errorf("payload carries personal data: %s", d.body)
		}
		if d.status == 200 {
			events[d.event]++
		}
	}
	if events[store.EventTicketCreated] != 2 || events[store.EventTicketUpdated] != 1 {
		t.Errorf("events %v, want 2 ticket.created (API and portal) and 1 ticket.updated", events)
	}

	// The worker records an attempt just after the receiver answers.
	var log []any
	for deadline := time.Now().Add(5 * time.Second); len(log) < 4 && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		log = env.api("GET", "/api/v1/webhooks/"+id+"/deliveries", tok, "").json(t)["deliveries"].([]any)
	}
	codes := []string{}
	for _, e := range log {
		codes = append(codes, strconv.Itoa(int(e.(map[string]any)["status_code"].(float64))))
	}
	if len(codes) != 4 || codes[len(codes)-1] != "500" {
		t.Errorf("delivery log status codes (newest first) %v", codes)
	}
}

// TestWebhookDisabledAfterFailures: a receiver that always fails gets its
// webhook disabled; admins are alerted by a security event, and another
// webhook subscribed to security.alert hears of it.
func TestWebhookDisabledAfterFailures(t *testing.T) {
	bad := newReceiver(t, 500, 500, 500, 500, 500, 500, 500, 500)
	watcher := newReceiver(t)
	env := newAPIServer(t, fastWebhooks(bad.host(), watcher.host()), func(c *Config) {
		c.WebhookMaxAttempts, c.WebhookDisableAfter = 1, 3
	})
	env.owner() // the admin to alert
	t.Cleanup(env.srv.StartWebhooks())
	tok := env.token(store.ScopeWebhooksWrite, store.ScopeTicketsWrite)
	badID, _ := createWebhook(t, env, tok, bad.srv.URL, store.EventTicketCreated)
	_, wsecret := createWebhook(t, env, tok, watcher.srv.URL, store.EventSecurityAlert)
	watcher.setSecret(wsecret)
	for i := range 3 {
		env.api("POST", "/api/v1/tickets", tok, `{"email":"f@example.com","subject":"Fail `+strconv.Itoa(i)+`","body":"x"}`)
	}
	alert := watcher.waitFor("a security alert", func(ds []delivery) bool { return len(ds) > 0 })[0]
	if alert.event != store.EventSecurityAlert || alert.verified != nil || !strings.Contains(string(alert.body), `"webhook.disabled"`) {
		t.Errorf("alert %+v %s", alert, alert.body)
	}
	h := env.api("GET", "/api/v1/webhooks/"+badID, tok, "").json(t)
	if h["active"] != false || h["disabled_at"] == nil {
		t.Errorf("webhook %v", h)
	}
	events, _ := env.db.ListSecurityEvents(context.Background(), store.EventFilter{Kind: "webhook.disabled"})
	if len(events) != 1 || events[0].Severity != store.SeverityCritical {
		t.Errorf("security events %+v", events)
	}
	if !strings.Contains(env.logs.String(), "webhook disabled") {
		t.Errorf("no log line for the admins")
	}
	if m := env.mail.next(t); m.To != "olive@northwind.example" || !strings.Contains(m.Subject, "Security alert") || !strings.Contains(m.Text, "webhook_id="+badID) {
		t.Errorf("alert mail to %s: %q\n%s", m.To, m.Subject, m.Text)
	}
	// Re-enabling clears the failure count.
	if got := env.api("PATCH", "/api/v1/webhooks/"+badID, tok, `{"active":true}`).json(t); got["active"] != true || got["failures"] != float64(0) {
		t.Errorf("re-enabled %v", got)
	}
}

// TestWebhookSSRFAtCreation refuses every class of non-public destination
// with 422 on the url field.
func TestWebhookSSRFAtCreation(t *testing.T) {
	env := newAPIServer(t)
	tok := env.token(store.ScopeWebhooksWrite)
	for _, tc := range []struct{ class, url string }{
		{"loopback", "http://127.0.0.1/hook"},
		{"loopback", "http://127.1.2.3:8080/hook"},
		{"loopback", "http://[::1]/hook"},
		{"loopback", "http://[::ffff:127.0.0.1]/hook"},
		{"private", "http://10.0.0.1/hook"},
		{"private", "http://172.16.5.4/hook"},
		{"private", "http://192.168.1.1/hook"},
		{"private", "http://[fd00::1]/hook"},
		{"private", "https://db.internal.test/hook"},
		{"link-local", "http://169.254.169.254/latest/meta-data/"},
		{"link-local", "http://169.254.10.10/"},
		{"link-local", "http://[fe80::1]/"},
		{"multicast", "http://224.0.0.1/"},
		{"multicast", "http://[ff02::1]/"},
		{"unspecified", "http://0.0.0.0/"},
		{"unspecified", "http://[::]/"},
		{"host name", "http://localhost/"},
		{"numeric host", "http://2130706433/"},
		{"credentials", "https://user:pass@receiver.example.com/"},
		{"scheme", "file:///etc/passwd"},
		{"scheme", "gopher://receiver.example.com/"},
	} {
		t.Run(tc.class+" "+tc.url, func(t *testing.T) {
			got := env.api("POST", "/api/v1/webhooks", tok, `{"url":"`+tc.url+`","events":["ticket.created"]}`)
			if got.status != 422 || got.errorCode(t) != "invalid" {
				t.Fatalf("got %d %s", got.status, got.body)
			}
			fields := got.json(t)["error"].(map[string]any)["fields"].(map[string]any)
			if fields["url"] == nil {
				t.Errorf("url not named: %s", got.body)
			}
		})
	}
	if hooks, _ := env.db.ListWebhooks(context.Background()); len(hooks) != 0 {
		t.Errorf("%d webhooks were stored", len(hooks))
	}
	t.Run("an update is checked too", func(t *testing.T) {
		id, _ := createWebhook(t, env, tok, "https://"+publicHost+"/ok", store.EventTicketCreated)
		got := env.api("PATCH", "/api/v1/webhooks/"+id, tok, `{"url":"http://169.254.169.254/"}`)
		if got.status != 422 {
			t.Errorf("got %d %s", got.status, got.body)
		}
	})
}

// TestWebhookSSRFAtDelivery: a name that resolved to a public address when
// the webhook was made and to loopback later (DNS rebinding) is refused at
// delivery; the receiver never hears a thing and the log says why.
func TestWebhookSSRFAtDelivery(t *testing.T) {
	rc := newReceiver(t)
	var target atomic.Pointer[netip.Addr]
	public := netip.MustParseAddr("93.184.215.14")
	target.Store(&public)
	lookup := func(ctx context.Context, host string) ([]netip.Addr, error) {
		if host == "rebind.example.com" {
			return []netip.Addr{*target.Load()}, nil
		}
		return fakeLookup(ctx, host)
	}
	env := newAPIServer(t, fastWebhooks(), func(c *Config) { c.WebhookLookup, c.WebhookMaxAttempts = lookup, 1 })
	tok := env.token(store.ScopeWebhooksWrite, store.ScopeTicketsWrite)
	_, port, _ := strings.Cut(rc.host(), ":")
	id, _ := createWebhook(t, env, tok, "http://rebind.example.com:"+port+"/hook", store.EventTicketCreated)
	loopback := netip.MustParseAddr("127.0.0.1")
	target.Store(&loopback)
	t.Cleanup(env.srv.StartWebhooks())
	env.api("POST", "/api/v1/tickets", tok, `{"email":"r@example.com","subject":"Rebind","body":"x"}`)

	deadline := time.Now().Add(10 * time.Second)
	var log []any
	for len(log) == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
		log = env.api("GET", "/api/v1/webhooks/"+id+"/deliveries", tok, "").json(t)["deliveries"].([]any)
	}
	if len(log) != 1 {
		t.Fatalf("delivery log %v", log)
	}
	e := log[0].(map[string]any)
	if e["status_code"] != float64(0) || !strings.Contains(e["error"].(string), "loopback") || e["state"] != "failed" {
		t.Errorf("attempt %v", e)
	}
	if strings.Contains(e["error"].(string), "/hook") {
		t.Errorf("the error shows the URL: %v", e["error"])
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	if len(rc.got) != 0 {
		t.Errorf("the receiver on loopback was reached %d times", len(rc.got))
	}
}

// TestWebhookQueueSurvivesStop: events recorded while the worker is stopped
// wait in SQLite and go out once it runs.
func TestWebhookQueueSurvivesStop(t *testing.T) {
	rc := newReceiver(t)
	env := newAPIServer(t, fastWebhooks(rc.host()))
	tok := env.token(store.ScopeWebhooksWrite, store.ScopeTicketsWrite)
	createWebhook(t, env, tok, rc.srv.URL, store.EventTicketCreated)
	stop := env.srv.StartWebhooks()
	stop()
	env.api("POST", "/api/v1/tickets", tok, `{"email":"q@example.com","subject":"Queued","body":"x"}`)
	time.Sleep(100 * time.Millisecond)
	rc.mu.Lock()
	n := len(rc.got)
	rc.mu.Unlock()
	if n != 0 {
		t.Fatalf("delivered while stopped")
	}
	t.Cleanup(env.srv.StartWebhooks())
	rc.waitFor("the queued event", func(ds []delivery) bool { return len(ds) == 1 })
}
