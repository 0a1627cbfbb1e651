// Package apitest holds what the tests of the API (web/api) and of the web
// server that mounts it share: a resolver for made-up webhook hosts, a
// webhook receiver that checks signatures, a stand-in for main's
// scheduler, and checks of the API's answers. It imports neither web nor
// web/api, so web/api's own tests can use it.
package apitest

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"safedesk/security"
	"safedesk/store"
)

// PublicHost resolves, through Lookup, to a public address, so a webhook
// pointing at it passes the creation check without the network.
const PublicHost = "receiver.example.com"

// Lookup resolves a few made-up names: PublicHost to a public address,
// anything under .internal.test to a private one; any other name does not
// exist.
func Lookup(ctx context.Context, host string) ([]netip.Addr, error) {
	switch {
	case host == PublicHost:
		return []netip.Addr{netip.MustParseAddr("93.184.215.14")}, nil
	case strings.HasSuffix(host, ".internal.test"):
		return []netip.Addr{netip.MustParseAddr("10.20.30.40")}, nil
	}
	return nil, errors.New("apitest: no such host " + host)
}

// Every calls round every interval until the test ends, as main's
// scheduler calls the webhook deliverer, and waits for the last call to
// return.
func Every(t testing.TB, interval time.Duration, round func(context.Context)) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			round(ctx)
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
}

// Delivery is one request a Receiver got.
type Delivery struct {
	ID, Event string // the webhook-id header and the payload's type
	Status    int    // what the receiver answered
	Verified  error  // the signature check, once a secret is set
	Body      []byte
}

// Receiver is a webhook receiver on 127.0.0.1 that verifies signatures and
// answers with the statuses it is given, then 200.
type Receiver struct {
	URL string // the receiver's base URL

	t        testing.TB
	srv      *httptest.Server
	mu       sync.Mutex
	secret   string
	statuses []int
	got      []Delivery
	arrived  chan struct{}
}

// NewReceiver starts a receiver, closed when the test ends.
func NewReceiver(t testing.TB, statuses ...int) *Receiver {
	rc := &Receiver{t: t, statuses: statuses, arrived: make(chan struct{}, 100)}
	rc.srv = httptest.NewServer(http.HandlerFunc(rc.receive))
	rc.URL = rc.srv.URL
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *Receiver) receive(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		rc.t.Errorf("receiver: reading the body: %v", err)
	}
	var p struct{ Type string }
	if err := json.Unmarshal(body, &p); err != nil {
		rc.t.Errorf("receiver: the payload is not JSON: %v: %q", err, body)
	}
	rc.mu.Lock()
	status := http.StatusOK
	if len(rc.statuses) > 0 {
		status, rc.statuses = rc.statuses[0], rc.statuses[1:]
	}
	d := Delivery{ID: r.Header.Get("webhook-id"), Event: p.Type, Status: status, Body: body}
	if rc.secret != "" {
		d.Verified = security.VerifyWebhook(rc.secret, r.Header, body, time.Now(), 0)
	}
	rc.got = append(rc.got, d)
	rc.mu.Unlock()
	w.WriteHeader(status)
	select {
	case rc.arrived <- struct{}{}:
	default: // WaitFor looks at everything that arrived anyway
	}
}

// Host is the receiver's host:port, for an allow-list.
func (rc *Receiver) Host() string {
	u, err := url.Parse(rc.URL)
	if err != nil {
		rc.t.Fatal(err)
	}
	return u.Host
}

// SetSecret makes the receiver verify signatures with secret.
func (rc *Receiver) SetSecret(s string) {
	rc.mu.Lock()
	rc.secret = s
	rc.mu.Unlock()
}

// Got is what has arrived so far.
func (rc *Receiver) Got() []Delivery {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]Delivery(nil), rc.got...)
}

// WaitFor waits up to 10 seconds until cond holds over what arrived, and
// returns that; what names the wait in the failure.
func (rc *Receiver) WaitFor(what string, cond func([]Delivery) bool) []Delivery {
	rc.t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		if got := rc.Got(); cond(got) {
			return got
		}
		select {
		case <-rc.arrived:
		case <-deadline:
			rc.t.Fatalf("timed out waiting for %s; got %+v", what, rc.Got())
		}
	}
}

// Token makes a personal API token with the scopes and returns its secret.
func Token(t testing.TB, db *store.DB, scopes ...string) string {
	t.Helper()
	_, secret, err := db.CreateToken(context.Background(), store.NewToken{Name: "test", Scopes: scopes},
		store.Actor{Type: store.ActorStaff, ID: "1"})
	if err != nil {
		t.Fatal(err)
	}
	return secret
}

// NewRequest makes an API request to target with a bearer token (none when
// empty) and a raw JSON body (none when empty); header holds more name,
// value pairs.
func NewRequest(t testing.TB, method, target, token, body string, header ...string) *http.Request {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, target, rd)
	if err != nil {
		t.Fatal(err)
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
	return req
}

// Decode decodes an answer's JSON body into a map.
func Decode(t testing.TB, status int, body string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(body), &m); err != nil {
		t.Fatalf("status %d, body is not JSON: %v: %q", status, err, body)
	}
	return m
}

// ErrorCode checks that an answer has the API's one error shape,
// {"error":{"code","message"[,"fields"]}}, and returns the code.
func ErrorCode(t testing.TB, status int, body string) string {
	t.Helper()
	m := Decode(t, status, body)
	e, ok := m["error"].(map[string]any)
	if !ok || len(m) != 1 {
		t.Fatalf("status %d: error body %q is not {\"error\":{…}}", status, body)
	}
	code, _ := e["code"].(string)
	msg, _ := e["message"].(string)
	if code == "" || msg == "" {
		t.Fatalf("status %d: error without code or message: %q", status, body)
	}
	for k := range e {
		if k != "code" && k != "message" && k != "fields" {
			t.Errorf("unexpected error member %q", k)
		}
	}
	return code
}
