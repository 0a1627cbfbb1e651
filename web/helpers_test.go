package web

import (
	"bytes"
	"context"
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
)

// testEnv is a real server over a real store in a temp folder, with a real
// SMTP server receiving its mail.
type testEnv struct {
	t    *testing.T
	srv  *Server
	http *httptest.Server
	db   *store.DB
	dir  string
	mail *smtpSink
	logs *bytes.Buffer
}

func newTestServer(t *testing.T) *testEnv {
	t.Helper()
	dir := t.TempDir()
	ring, _, err := security.LoadMasterKey(filepath.Join(dir, "master.key"), true)
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(context.Background(), filepath.Join(dir, "safedesk.db"), ring, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.ImportArticles(context.Background(), store.DemoArticles(), store.SystemActor); err != nil {
		t.Fatal(err)
	}
	sink := newSMTPSink(t)
	logs := &bytes.Buffer{}
	log := slog.New(slog.NewTextHandler(&lockedWriter{w: logs}, nil))
	mailer, err := NewMailer("smtp+insecure://"+sink.addr, "support@northwind.example", log)
	if err != nil {
		t.Fatal(err)
	}
	env := &testEnv{t: t, db: db, dir: dir, mail: sink, logs: logs}
	env.http = httptest.NewUnstartedServer(nil)
	base, _ := url.Parse("http://" + env.http.Listener.Addr().String())
	env.srv, err = New(Config{BaseURL: base, Product: "Northwind", MailFrom: "support@northwind.example"}, db, mailer, log)
	if err != nil {
		t.Fatal(err)
	}
	env.http.Config.Handler = env.srv
	env.http.Start()
	t.Cleanup(func() {
		env.http.Close()
		env.srv.Wait()
		db.Close()
	})
	return env
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
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

func (c *client) post(path string, form url.Values) response {
	c.env.t.Helper()
	req, _ := http.NewRequest("POST", c.env.http.URL+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return c.do(req)
}

// smtpSink is a real SMTP server on loopback that keeps what it receives.
type smtpSink struct {
	addr string
	msgs chan sentMail
}

type sentMail struct {
	From, To string
	Subject  string
	Text     string
}

func newSMTPSink(t *testing.T) *smtpSink {
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
func (s *smtpSink) next(t *testing.T) sentMail {
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

func (m sentMail) code(t *testing.T) string {
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
	s.s.msgs <- sentMail{From: s.from, To: s.to, Subject: subject, Text: text}
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
