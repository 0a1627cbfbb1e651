package api

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"safedesk/bot"
	"safedesk/security"
	"safedesk/store"
	"safedesk/web/api/apitest"
)

// testAPI is the API handler and its webhook deliverer over a real store in
// a temp folder. It stands in for the web server only where the API asks
// it for something (Hooks): the client is 127.0.0.1, every request has the
// id testRequestID, refused credentials, alerts and replies are recorded,
// and an access request gets the store's export (web's document is tested
// in web).
type testAPI struct {
	t        testing.TB
	cfg      Config
	db       *store.DB
	h        *Handler
	webhooks *Deliverer
	logs     *logRecorder
	offset   atomic.Int64 // added to the store's clock

	mu         sync.Mutex
	authFailed []string // kinds, in order
	alerts     int
	replied    []string // "id:body" of each reply the customer is told about
}

const testRequestID = "REQ-7Q2XK"

var testAdmin = store.Actor{Type: store.ActorStaff, ID: "1"}

// newTestAPI builds the API with the test resolver for webhooks
// (apitest.Lookup) and cfg adjusted.
func newTestAPI(t testing.TB, adjust ...func(*Config)) *testAPI {
	t.Helper()
	a := &testAPI{t: t, logs: &logRecorder{}}
	dir := t.TempDir()
	ring, _, err := security.LoadMasterKey(filepath.Join(dir, "master.key"), true)
	if err != nil {
		t.Fatal(err)
	}
	now := func() time.Time { return time.Now().Add(time.Duration(a.offset.Load())) }
	a.db, err = store.Open(context.Background(), filepath.Join(dir, "safedesk.db"), ring, store.Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Lookup: apitest.Lookup}
	for _, f := range adjust {
		f(&cfg)
	}
	a.cfg = cfg.withDefaults()
	log := slog.New(a.logs)
	a.webhooks = NewDeliverer(cfg, a.db, log, func() { a.mu.Lock(); a.alerts++; a.mu.Unlock() })
	assistant, err := bot.New(a.db, bot.Options{})
	if err != nil {
		t.Fatal(err)
	}
	a.h = New(cfg, a.db, a.webhooks, Hooks{
		Client: func(r *http.Request) Client {
			a := netip.MustParseAddrPort(r.RemoteAddr).Addr()
			return Client{Addr: a, Label: a.String(), Key: a.String()}
		},
		RequestID: func(*http.Request) string { return testRequestID },
		AuthFailed: func(_ *http.Request, kind string) {
			a.mu.Lock()
			a.authFailed = append(a.authFailed, kind)
			a.mu.Unlock()
		},
		Alerted:       func() { a.mu.Lock(); a.alerts++; a.mu.Unlock() },
		ExportSubject: a.exportSubject,
		Replied: func(_ *http.Request, id int64, m store.Message) {
			a.mu.Lock()
			a.replied = append(a.replied, fmt.Sprintf("%d:%s", id, m.Body))
			a.mu.Unlock()
		},
		SearchKB: assistant.Search,
	}, log)
	t.Cleanup(func() {
		a.webhooks.Stop()
		if err := a.db.Close(); err != nil {
			t.Error(err)
		}
	})
	return a
}

// advance moves the store's clock forward by d.
func (a *testAPI) advance(d time.Duration) { a.offset.Add(int64(d)) }

// counts returns the refused credentials' kinds and the alerts so far.
func (a *testAPI) counts() ([]string, int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]string(nil), a.authFailed...), a.alerts
}

// token makes a personal token with the scopes.
func (a *testAPI) token(scopes ...string) string { return apitest.Token(a.t, a.db, scopes...) }

// response is what the handler answered.
type response struct {
	status int
	body   string
	header http.Header
}

func (r response) json(t testing.TB) map[string]any {
	t.Helper()
	return apitest.Decode(t, r.status, r.body)
}

func (r response) errorCode(t testing.TB) string {
	t.Helper()
	return apitest.ErrorCode(t, r.status, r.body)
}

// serve sends req to the handler from 127.0.0.1, with the body limited to
// 1 MiB as the web server limits it.
func (a *testAPI) serve(req *http.Request) response {
	req.RemoteAddr = "127.0.0.1:40000"
	w := httptest.NewRecorder()
	if req.Body == nil {
		req.Body = http.NoBody // as a server's request has
	}
	req.Body = http.MaxBytesReader(w, req.Body, 1<<20)
	a.h.ServeHTTP(w, req)
	return response{status: w.Code, body: w.Body.String(), header: w.Header()}
}

// api sends an API request with a bearer token (none when empty) and a raw
// JSON body (none when empty); header holds more name, value pairs.
func (a *testAPI) api(method, path, token, body string, header ...string) response {
	a.t.Helper()
	return a.serve(apitest.NewRequest(a.t, method, path, token, body, header...))
}

// fixture is one of each resource, for filling path parameters.
type fixture struct {
	ticket, customer, webhook, attachment, example int64
	slug                                           string
}

func (a *testAPI) fixture() fixture {
	a.t.Helper()
	ctx := context.Background()
	up := a.db.NewUpload(0)
	defer up.Discard(ctx)
	if _, err := up.Add(ctx, "fixture.txt", strings.NewReader("Fixture file.")); err != nil {
		a.t.Fatal(err)
	}
	tk, err := a.db.CreateTicket(ctx, store.NewTicket{Email: "fixture-" + randText() + "@example.com", Name: "Fix Ture", Subject: "Fixture ticket", Body: "Fixture body.", Upload: up}, testAdmin)
	if err != nil {
		a.t.Fatal(err)
	}
	slug := "fixture-" + randText()
	if err := a.db.SaveArticle(ctx, store.Article{Slug: slug, Title: "Fixture", Body: "Fixture article.", Published: true}, testAdmin); err != nil {
		a.t.Fatal(err)
	}
	art, err := a.db.GetArticle(ctx, slug, true)
	if err != nil {
		a.t.Fatal(err)
	}
	ex, err := a.db.AddSectionExample(ctx, art.ID, "", "what is the fixture", testAdmin)
	if err != nil {
		a.t.Fatal(err)
	}
	h, _, err := a.db.CreateWebhook(ctx, store.NewWebhook{URL: "https://" + apitest.PublicHost + "/hook", Events: []string{store.EventTicketCreated}}, testAdmin)
	if err != nil {
		a.t.Fatal(err)
	}
	return fixture{ticket: tk.ID, customer: tk.CustomerID, webhook: h.ID, slug: slug, attachment: up.Files()[0].ID, example: ex.ID}
}

// path fills a route path's parameters from the fixture.
func (f fixture) path(pattern string) string {
	id := f.ticket
	switch {
	case strings.HasPrefix(pattern, "/api/v1/customers/"):
		id = f.customer
	case strings.HasPrefix(pattern, "/api/v1/webhooks/"):
		id = f.webhook
	case strings.Contains(pattern, "/examples/"):
		id = f.example
	}
	p := strings.ReplaceAll(pattern, "{id}", strconv.FormatInt(id, 10))
	p = strings.ReplaceAll(p, "{aid}", strconv.FormatInt(f.attachment, 10))
	return strings.ReplaceAll(p, "{slug}", f.slug)
}

func randText() string { return strings.ToLower(rand.Text()[:10]) }

// logRecorder is a slog handler that keeps the messages logged.
type logRecorder struct {
	mu   sync.Mutex
	msgs []string
}

func (l *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (l *logRecorder) WithAttrs([]slog.Attr) slog.Handler       { return l }
func (l *logRecorder) WithGroup(string) slog.Handler            { return l }

func (l *logRecorder) Handle(_ context.Context, r slog.Record) error {
	l.mu.Lock()
	l.msgs = append(l.msgs, r.Message)
	l.mu.Unlock()
	return nil
}

// logged reports whether a message containing s was logged.
func (l *logRecorder) logged(s string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, m := range l.msgs {
		if strings.Contains(m, s) {
			return true
		}
	}
	return false
}

// exportSubject stands in for web's access-request document, which this
// package cannot import: the store's export, audited as web's is.
func (a *testAPI) exportSubject(ctx context.Context, id int64, act store.Actor) ([]byte, error) {
	x, err := a.db.ExportSubject(ctx, id, false)
	if err != nil {
		return nil, err
	}
	if err := a.db.RecordAudit(ctx, act, "customer.exported", "customer:"+strconv.FormatInt(id, 10), nil); err != nil {
		return nil, err
	}
	return json.Marshal(x)
}
