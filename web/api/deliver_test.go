package api

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"safedesk/store"
	"safedesk/web/api/apitest"
)

// fastWebhooks allows the hosts (the receivers on 127.0.0.1) and shortens
// the retry delays.
func fastWebhooks(allow ...string) func(*Config) {
	return func(c *Config) {
		c.AllowHosts = allow
		c.Delivery.RetryBase = 20 * time.Millisecond
		c.Delivery.RetryMax = 50 * time.Millisecond
		c.Delivery.Timeout = 5 * time.Second
	}
}

// schedule runs delivery rounds every 20 ms, as main's scheduler does every
// few seconds, so retries go out.
func (a *testAPI) schedule() { apitest.Every(a.t, 20*time.Millisecond, a.webhooks.Deliver) }

func createWebhook(t *testing.T, a *testAPI, tok, hookURL string, events ...string) (id, secret string) {
	t.Helper()
	ev, err := json.Marshal(events)
	if err != nil {
		t.Fatal(err)
	}
	got := a.api("POST", "/api/v1/webhooks", tok, `{"url":"`+hookURL+`","events":`+string(ev)+`}`)
	if got.status != 201 {
		t.Fatalf("create webhook: %d %s", got.status, got.body)
	}
	m := got.json(t)
	return strconv.FormatInt(int64(m["id"].(float64)), 10), m["secret"].(string)
}

// deliveryLog waits until the webhook's delivery log, newest first, has n
// attempts, and returns it.
func (a *testAPI) deliveryLog(t *testing.T, tok, id string, n int) []any {
	t.Helper()
	var log []any
	for deadline := time.Now().Add(10 * time.Second); len(log) < n && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		log = a.api("GET", "/api/v1/webhooks/"+id+"/deliveries", tok, "").json(t)["deliveries"].([]any)
	}
	return log
}

// TestWebhookDelivery: a ticket made through the API and one recorded
// elsewhere (the portal's, which wakes nobody: the scheduled round finds
// it) both reach the receiver, signed; a 500 is retried with the same
// webhook-id; the delivery log shows both attempts with their status codes.
func TestWebhookDelivery(t *testing.T) {
	rc := apitest.NewReceiver(t, 500)
	a := newTestAPI(t, fastWebhooks(rc.Host()))
	a.schedule()
	tok := a.token(store.ScopeWebhooksWrite, store.ScopeTicketsWrite)
	id, secret := createWebhook(t, a, tok, rc.URL+"/hook?token=abc", store.EventTicketCreated, store.EventMessageCreated, store.EventTicketUpdated)
	if !strings.HasPrefix(secret, "whsec_") {
		t.Fatalf("secret %q", secret)
	}
	rc.SetSecret(secret)

	got := a.api("POST", "/api/v1/tickets", tok, `{"email":"hook.person@example.com","name":"Hook Person","subject":"Via API","body":"Hello"}`)
	tid := int64(got.json(t)["id"].(float64))
	// The first attempt, answered 500, is the API's ticket: the request
	// woke the deliverer. The next events go out after it.
	rc.WaitFor("the first attempt", func(ds []apitest.Delivery) bool { return len(ds) > 0 })
	visitor := store.Actor{Type: store.ActorVisitor, ID: "-", ClientIP: "203.0.113.9"}
	if _, err := a.db.CreateTicket(context.Background(), store.NewTicket{Email: "portal.person@example.com", Name: "Portal Person", Subject: "Via portal", Body: "Hi"}, visitor); err != nil {
		t.Fatal(err)
	}
	a.api("PATCH", "/api/v1/tickets/"+strconv.FormatInt(tid, 10), tok, `{"status":"pending"}`)

	ds := rc.WaitFor("three events, the first retried", func(ds []apitest.Delivery) bool {
		ok := 0
		for _, d := range ds {
			if d.Status == 200 {
				ok++
			}
		}
		return ok == 3
	})
	if ds[0].Status != 500 || ds[0].Event != store.EventTicketCreated {
		t.Fatalf("first attempt %+v", ds[0])
	}
	retried := false
	for _, d := range ds[1:] {
		if d.ID == ds[0].ID {
			retried = d.Status == 200
		}
	}
	if !retried {
		t.Errorf("the 500 was not retried with the same webhook-id: %+v", ds)
	}
	events := map[string]int{}
	for _, d := range ds {
		if d.Verified != nil {
			t.Errorf("signature of %s: %v", d.ID, d.Verified)
		}
		if strings.Contains(string(d.Body), "@example.com") || strings.Contains(string(d.Body), "Person") {
			t.Errorf("payload carries personal data: %s", d.Body)
		}
		if d.Status == 200 {
			events[d.Event]++
		}
	}
	if events[store.EventTicketCreated] != 2 || events[store.EventTicketUpdated] != 1 {
		t.Errorf("events %v, want 2 ticket.created (API and portal) and 1 ticket.updated", events)
	}

	// The deliverer records an attempt just after the receiver answers.
	codes := []string{}
	for _, e := range a.deliveryLog(t, tok, id, 4) {
		codes = append(codes, strconv.Itoa(int(e.(map[string]any)["status_code"].(float64))))
	}
	if len(codes) != 4 || codes[len(codes)-1] != "500" {
		t.Errorf("delivery log status codes (newest first) %v", codes)
	}
}

// TestWebhookDisabledAfterFailures: a receiver that always fails gets its
// webhook disabled; the admins are alerted (the Alerted hook, a critical
// security event, a log line), and another webhook subscribed to
// security.alert hears of it. No round is scheduled here: the requests'
// wakes alone, and the round that disables the webhook waking itself
// again, deliver everything. (The alert mail is web's:
// TestWebhookDisabledAlertMail.)
func TestWebhookDisabledAfterFailures(t *testing.T) {
	bad := apitest.NewReceiver(t, 500, 500, 500, 500, 500, 500, 500, 500)
	watcher := apitest.NewReceiver(t)
	a := newTestAPI(t, fastWebhooks(bad.Host(), watcher.Host()), func(c *Config) {
		c.Delivery.MaxAttempts, c.Delivery.DisableAfter = 1, 3
	})
	tok := a.token(store.ScopeWebhooksWrite, store.ScopeTicketsWrite)
	badID, _ := createWebhook(t, a, tok, bad.URL, store.EventTicketCreated)
	_, wsecret := createWebhook(t, a, tok, watcher.URL, store.EventSecurityAlert)
	watcher.SetSecret(wsecret)
	for i := range 3 {
		a.api("POST", "/api/v1/tickets", tok, `{"email":"f@example.com","subject":"Fail `+strconv.Itoa(i)+`","body":"x"}`)
		bad.WaitFor("attempt "+strconv.Itoa(i+1), func(ds []apitest.Delivery) bool { return len(ds) == i+1 })
	}
	alert := watcher.WaitFor("a security alert", func(ds []apitest.Delivery) bool { return len(ds) > 0 })[0]
	if alert.Event != store.EventSecurityAlert || alert.Verified != nil || !strings.Contains(string(alert.Body), `"webhook.disabled"`) {
		t.Errorf("alert %+v %s", alert, alert.Body)
	}
	h := a.api("GET", "/api/v1/webhooks/"+badID, tok, "").json(t)
	if h["active"] != false || h["disabled_at"] == nil {
		t.Errorf("webhook %v", h)
	}
	events, _ := a.db.ListSecurityEvents(context.Background(), store.EventFilter{Kind: "webhook.disabled"})
	if len(events) != 1 || events[0].Severity != store.SeverityCritical {
		t.Errorf("security events %+v", events)
	}
	if !a.logs.logged("webhook disabled") {
		t.Errorf("no log line for the admins")
	}
	if _, alerts := a.counts(); alerts != 1 {
		t.Errorf("the Alerted hook was called %d times, want once", alerts)
	}
	// Re-enabling clears the failure count.
	if got := a.api("PATCH", "/api/v1/webhooks/"+badID, tok, `{"active":true}`).json(t); got["active"] != true || got["failures"] != float64(0) {
		t.Errorf("re-enabled %v", got)
	}
}

// TestWebhookSSRFAtCreation refuses every class of non-public destination
// with 422 on the url field.
func TestWebhookSSRFAtCreation(t *testing.T) {
	a := newTestAPI(t)
	tok := a.token(store.ScopeWebhooksWrite)
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
			got := a.api("POST", "/api/v1/webhooks", tok, `{"url":"`+tc.url+`","events":["ticket.created"]}`)
			if got.status != 422 || got.errorCode(t) != "invalid" {
				t.Fatalf("got %d %s", got.status, got.body)
			}
			fields := got.json(t)["error"].(map[string]any)["fields"].(map[string]any)
			if fields["url"] == nil {
				t.Errorf("url not named: %s", got.body)
			}
		})
	}
	if hooks, _ := a.db.ListWebhooks(context.Background()); len(hooks) != 0 {
		t.Errorf("%d webhooks were stored", len(hooks))
	}
	t.Run("an update is checked too", func(t *testing.T) {
		id, _ := createWebhook(t, a, tok, "https://"+apitest.PublicHost+"/ok", store.EventTicketCreated)
		got := a.api("PATCH", "/api/v1/webhooks/"+id, tok, `{"url":"http://169.254.169.254/"}`)
		if got.status != 422 {
			t.Errorf("got %d %s", got.status, got.body)
		}
	})
}

// TestWebhookSSRFAtDelivery: a name that resolved to a public address when
// the webhook was made and to loopback later (DNS rebinding) is refused at
// delivery; the receiver never hears a thing and the log says why.
func TestWebhookSSRFAtDelivery(t *testing.T) {
	rc := apitest.NewReceiver(t)
	var target atomic.Pointer[netip.Addr]
	public := netip.MustParseAddr("93.184.215.14")
	target.Store(&public)
	lookup := func(ctx context.Context, host string) ([]netip.Addr, error) {
		if host == "rebind.example.com" {
			return []netip.Addr{*target.Load()}, nil
		}
		return apitest.Lookup(ctx, host)
	}
	a := newTestAPI(t, fastWebhooks(), func(c *Config) { c.Lookup, c.Delivery.MaxAttempts = lookup, 1 })
	tok := a.token(store.ScopeWebhooksWrite, store.ScopeTicketsWrite)
	_, port, _ := strings.Cut(rc.Host(), ":")
	id, _ := createWebhook(t, a, tok, "http://rebind.example.com:"+port+"/hook", store.EventTicketCreated)
	loopback := netip.MustParseAddr("127.0.0.1")
	target.Store(&loopback)
	a.schedule()
	a.api("POST", "/api/v1/tickets", tok, `{"email":"r@example.com","subject":"Rebind","body":"x"}`)

	log := a.deliveryLog(t, tok, id, 1)
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
	if got := rc.Got(); len(got) != 0 {
		t.Errorf("the receiver on loopback was reached %d times", len(got))
	}
}

// TestWebhookQueueSurvivesStop: an event recorded after the deliverer has
// stopped waits in SQLite, and the next process's deliverer sends it. Each
// round here runs synchronously (Deliver returns when it is done), so the
// negative check needs no waiting.
func TestWebhookQueueSurvivesStop(t *testing.T) {
	rc := apitest.NewReceiver(t)
	a := newTestAPI(t, fastWebhooks(rc.Host()))
	tok := a.token(store.ScopeWebhooksWrite, store.ScopeTicketsWrite)
	id, _ := createWebhook(t, a, tok, rc.URL, store.EventTicketCreated)
	a.webhooks.Stop()
	a.api("POST", "/api/v1/tickets", tok, `{"email":"q@example.com","subject":"Queued","body":"x"}`)
	a.webhooks.Deliver(context.Background()) // a scheduled round after Stop
	if got := rc.Got(); len(got) != 0 {
		t.Fatalf("delivered while stopped: %+v", got)
	}
	if log := a.api("GET", "/api/v1/webhooks/"+id+"/deliveries", tok, "").json(t)["deliveries"].([]any); len(log) != 0 {
		t.Fatalf("attempts made while stopped: %v", log)
	}

	next := NewDeliverer(a.cfg, a.db, slog.New(slog.DiscardHandler), func() {})
	t.Cleanup(next.Stop)
	next.Deliver(context.Background())
	if got := rc.Got(); len(got) != 1 || got[0].Event != store.EventTicketCreated {
		t.Errorf("after the restart the receiver got %+v, want the one queued ticket.created", got)
	}
}

// TestWebhookStopWaitsForRound: Stop cancels a delivery in flight and
// returns only once its round has; the cut delivery is not recorded, stays
// leased, and goes out once the lease has passed.
func TestWebhookStopWaitsForRound(t *testing.T) {
	var calls atomic.Int32
	inFlight, release := make(chan struct{}), make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := io.Copy(io.Discard, r.Body); err != nil {
			t.Errorf("receiver: %v", err)
		}
		if calls.Add(1) == 1 {
			close(inFlight)
			select { // hang until the deliverer gives up
			case <-r.Context().Done():
			case <-release:
			}
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(slow.Close)
	t.Cleanup(func() { close(release) }) // runs first
	a := newTestAPI(t, fastWebhooks(slow.Listener.Addr().String()))
	tok := a.token(store.ScopeWebhooksWrite, store.ScopeTicketsWrite)
	id, _ := createWebhook(t, a, tok, slow.URL, store.EventTicketCreated)
	a.webhooks.Stop() // the API's wakes do nothing from here on
	a.api("POST", "/api/v1/tickets", tok, `{"email":"s@example.com","subject":"Slow","body":"x"}`)

	d := NewDeliverer(a.cfg, a.db, slog.New(slog.DiscardHandler), func() {})
	returned := make(chan struct{})
	go func() { d.Deliver(context.Background()); close(returned) }()
	select {
	case <-inFlight:
	case <-time.After(10 * time.Second):
		t.Fatal("the delivery never reached the receiver")
	}
	d.Stop()
	select {
	case <-returned:
	default:
		t.Fatal("Stop returned while its round was still running")
	}
	if log := a.api("GET", "/api/v1/webhooks/"+id+"/deliveries", tok, "").json(t)["deliveries"].([]any); len(log) != 0 {
		t.Errorf("a delivery cut by Stop was recorded: %v", log)
	}

	next := NewDeliverer(a.cfg, a.db, slog.New(slog.DiscardHandler), func() {})
	t.Cleanup(next.Stop)
	next.Deliver(context.Background())
	if n := calls.Load(); n != 1 {
		t.Fatalf("sent again within the lease: %d requests", n)
	}
	a.advance(a.cfg.Delivery.Timeout + webhookLeaseExtra + time.Second)
	next.Deliver(context.Background())
	if n := calls.Load(); n != 2 {
		t.Fatalf("not sent after the lease: %d requests", n)
	}
	log := a.api("GET", "/api/v1/webhooks/"+id+"/deliveries", tok, "").json(t)["deliveries"].([]any)
	if len(log) != 1 || log[0].(map[string]any)["status_code"] != float64(http.StatusNoContent) {
		t.Errorf("delivery log %v, want the one attempt answered 204", log)
	}
}
