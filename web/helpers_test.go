package web

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"io"
	"log/slog"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/mail"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"safedesk/security"
	"safedesk/store"
	sendmail "safedesk/web/mail"
	"safedesk/web/monitor"
)

// testEnv is a real server over a real store in a temp folder, with a real
// SMTP server receiving its mail.
type testEnv struct {
	t      testing.TB
	clock  *fakeClock
	srv    *Server
	mon    *monitor.Service
	outbox *sendmail.Outbox
	http   *httptest.Server
	db     *store.DB
	dir    string
	mail   *smtpSink
	logs   *logBuffer
}

func newTestServer(t *testing.T) *testEnv {
	t.Helper()
	return newTestServerWith(t, func(*Config) {})
}

// newTestServerWith is newTestServer with the web configuration adjusted.
func newTestServerWith(t *testing.T, adjust func(*Config)) *testEnv {
	t.Helper()
	return newEnv(t, adjust)
}

// newTestServerWithDB is newTestServerWith for settings built over the
// store, such as a backup service.
func newTestServerWithDB(t *testing.T, adjust func(*Config, *store.DB)) *testEnv {
	t.Helper()
	return newEnvDB(t, adjust)
}

// newTestServerTB is newTestServer for benchmarks.
func newTestServerTB(tb testing.TB) *testEnv {
	tb.Helper()
	return newEnv(tb, func(*Config) {})
}

func newEnv(t testing.TB, adjust func(*Config)) *testEnv {
	t.Helper()
	return newEnvWith(t, func(c *Config, _ *store.DB) { adjust(c) }, nil)
}

// newEnvDB is newEnv for settings built over the store, such as a backup
// service.
func newEnvDB(t testing.TB, adjust func(*Config, *store.DB)) *testEnv {
	t.Helper()
	return newEnvWith(t, adjust, nil)
}

// newEnvWith is newEnvDB with a key that signs audit checkpoints.
func newEnvWith(t testing.TB, adjust func(*Config, *store.DB), auditKey ed25519.PrivateKey) *testEnv {
	t.Helper()
	dir := t.TempDir()
	clock := &fakeClock{}
	ring, _, err := security.LoadMasterKey(filepath.Join(dir, "master.key"), true)
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(context.Background(), filepath.Join(dir, "safedesk.db"), ring, store.Options{Now: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.ImportArticles(context.Background(), store.DemoArticles(), store.SystemActor); err != nil {
		t.Fatal(err)
	}
	sink := newSMTPSink(t)
	logs := &logBuffer{}
	log := slog.New(slog.NewTextHandler(logs, nil))
	sender, err := sendmail.New("smtp+insecure://"+sink.addr, "support@northwind.example", log)
	if err != nil {
		t.Fatal(err)
	}
	env := &testEnv{clock: clock, db: db, dir: dir, mail: sink, logs: logs, outbox: sendmail.NewOutbox(sender, log)}
	env.t = t
	env.http = httptest.NewUnstartedServer(nil)
	// Passkeys need a domain name, so the base URL says localhost.
	_, port, _ := net.SplitHostPort(env.http.Listener.Addr().String())
	base, _ := url.Parse("http://localhost:" + port)
	cfg := Config{BaseURL: base, Product: "Northwind", MailFrom: "support@northwind.example", MailRelay: sender.Describe()}
	adjust(&cfg, db)
	env.mon, err = monitor.New(context.Background(), db, env.outbox, log, monitor.Options{
		Site: sendmail.Site{Product: cfg.Product, BaseURL: cfg.BaseURL}, AuditKey: auditKey, ChatRetention: cfg.ChatRetention,
	})
	if err != nil {
		t.Fatal(err)
	}
	env.srv, err = New(cfg, db, env.outbox, env.mon, log)
	if err != nil {
		t.Fatal(err)
	}
	env.http.Config.Handler = env.srv
	env.http.Start()
	t.Cleanup(func() {
		env.http.Close()
		env.srv.Webhooks().Stop()
		env.wait()
		db.Close()
	})
	return env
}

// quietServer builds a server over db whose mail goes to a discarded log,
// for tests that look at no mail.
func quietServer(tb testing.TB, cfg Config, db *store.DB) *Server {
	tb.Helper()
	log := slog.New(slog.DiscardHandler)
	sender, err := sendmail.New("", "", log)
	if err != nil {
		tb.Fatal(err)
	}
	out := sendmail.NewOutbox(sender, log)
	mon, err := monitor.New(context.Background(), db, out, log, monitor.Options{Site: sendmail.Site{Product: cfg.Product, BaseURL: cfg.BaseURL}})
	if err != nil {
		tb.Fatal(err)
	}
	s, err := New(cfg, db, out, mon, log)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		s.Webhooks().Stop()
		mon.Wait()
		out.Wait()
	})
	return s
}

// wait blocks until the background work has finished: alert sweeps, then
// the mail they and the handlers started.
func (e *testEnv) wait() {
	e.mon.Wait()
	e.outbox.Wait()
}

// fakeClock is the store's clock in tests: real time plus what a test adds.
type fakeClock struct {
	mu     sync.Mutex
	offset time.Duration
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.offset)
}

// advance moves the clock forward by d.
func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	c.offset += d
	c.mu.Unlock()
}

// logBuffer keeps what the server logs; background work writes to it while
// a test reads it.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String is everything logged so far.
func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// client is a browser-like client: a cookie jar and no redirect following.
type client struct {
	env *testEnv
	c   *http.Client
}

func (e *testEnv) client() *client {
	jar, _ := cookiejar.New(nil)
	return &client{env: e, c: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

type response struct {
	status int
	body   string
	header http.Header
}

func (c *client) do(req *http.Request) response {
	c.env.t.Helper()
	resp, err := c.c.Do(req)
	if err != nil {
		c.env.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{status: resp.StatusCode, body: string(b), header: resp.Header}
}

func (c *client) get(path string) response {
	c.env.t.Helper()
	req, _ := http.NewRequest("GET", c.env.http.URL+path, nil)
	return c.do(req)
}

// getHTMX is get as htmx sends it.
func (c *client) getHTMX(path string) response {
	c.env.t.Helper()
	req, _ := http.NewRequest("GET", c.env.http.URL+path, nil)
	req.Header.Set("HX-Request", "true")
	return c.do(req)
}

// postJSON sends body as JSON, as the passkey script does.
func (c *client) postJSON(path string, body string) response {
	c.env.t.Helper()
	req, _ := http.NewRequest("POST", c.env.http.URL+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	return c.do(req)
}

func (c *client) post(path string, form url.Values) response {
	c.env.t.Helper()
	req, _ := http.NewRequest("POST", c.env.http.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

// smtpSink is a real SMTP server on loopback that keeps what it receives.
type smtpSink struct {
	addr    string
	msgs    chan sentMail
	refused sync.Map // addresses the sink refuses for good (550), as a relay does an unknown mailbox
}

type sentMail struct {
	From, To string
	Subject  string
	Text     string
	Header   mail.Header
}

func newSMTPSink(t testing.TB) *smtpSink {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sink := &smtpSink{addr: ln.Addr().String(), msgs: make(chan sentMail, 100)}
	s := smtp.NewServer(sinkBackend{sink})
	s.Domain = "localhost"
	s.AllowInsecureAuth = true
	s.ReadTimeout, s.WriteTimeout = 10*time.Second, 10*time.Second
	go s.Serve(ln)
	t.Cleanup(func() { s.Close() })
	return sink
}

// next waits for the next mail.
func (s *smtpSink) next(t testing.TB) sentMail {
	t.Helper()
	select {
	case m := <-s.msgs:
		return m
	case <-time.After(10 * time.Second):
		t.Fatal("no mail arrived")
		return sentMail{}
	}
}

// none asserts that no mail is waiting.
func (s *smtpSink) none(t *testing.T) {
	t.Helper()
	select {
	case m := <-s.msgs:
		t.Fatalf("unexpected mail %q", m.Subject)
	case <-time.After(200 * time.Millisecond):
	}
}

var codeRe = regexp.MustCompile(`\b(\d{6})\b`)

func (m sentMail) code(t testing.TB) string {
	t.Helper()
	c := codeRe.FindStringSubmatch(m.Text)
	if c == nil {
		t.Fatalf("no code in mail %q", m.Text)
	}
	return c[1]
}

type sinkBackend struct{ s *smtpSink }

func (b sinkBackend) NewSession(*smtp.Conn) (smtp.Session, error) { return &sinkSession{s: b.s}, nil }

type sinkSession struct {
	s        *smtpSink
	from, to string
}

func (s *sinkSession) Reset()        {}
func (s *sinkSession) Logout() error { return nil }
func (s *sinkSession) Mail(from string, _ *smtp.MailOptions) error {
	s.from = from
	return nil
}
func (s *sinkSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if _, ok := s.s.refused.Load(to); ok {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "No such mailbox"}
	}
	s.to = to
	return nil
}
func (s *sinkSession) Data(r io.Reader) error {
	msg, err := mail.ReadMessage(r)
	if err != nil {
		return err
	}
	dec := new(mime.WordDecoder)
	subject, _ := dec.DecodeHeader(msg.Header.Get("Subject"))
	text, err := decodeBody(msg.Header, msg.Body)
	if err != nil {
		return err
	}
	s.s.msgs <- sentMail{From: s.from, To: s.to, Subject: subject, Text: text, Header: msg.Header}
	return nil
}

func decodeBody(h mail.Header, body io.Reader) (string, error) {
	mt, params, _ := mime.ParseMediaType(h.Get("Content-Type"))
	if strings.HasPrefix(mt, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		var out strings.Builder
		for {
			p, err := mr.NextPart()
			if err == io.EOF {
				return out.String(), nil
			}
			if err != nil {
				return "", err
			}
			t, err := decodeBody(mail.Header(p.Header), p)
			if err != nil {
				return "", err
			}
			out.WriteString(t)
		}
	}
	var rd io.Reader = body
	if strings.EqualFold(h.Get("Content-Transfer-Encoding"), "quoted-printable") {
		rd = quotedprintable.NewReader(body)
	}
	b, err := io.ReadAll(rd)
	return string(b), err
}

func randText() string { return strings.ToLower(rand.Text()[:10]) }
