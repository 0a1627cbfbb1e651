package web

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/emersion/go-smtp"

	"safedesk/store"
	sendmail "safedesk/web/mail"
)

// nextTo waits for the next mail to addr, passing over mail to others.
func (s *smtpSink) nextTo(t testing.TB, addr string) sentMail {
	t.Helper()
	for {
		if m := s.next(t); m.To == addr {
			return m
		}
	}
}

// TestNoLiveSecretInLogs (issue 12, item 5) runs a customer's and the
// staff's whole day (a setup link, an invite, codes at /verify and in the
// chat, a personal API token, an OAuth2 client and its access token, the
// session cookies) and then looks for every secret issued in everything
// the server logged and in the security events it recorded.
func TestNoLiveSecretInLogs(t *testing.T) {
	env := newAbuseEnv(t)
	ctx := context.Background()
	var secrets []string
	keep := func(what, s string) {
		if len(s) < 6 {
			t.Fatalf("%s %q is not a secret worth looking for", what, s)
		}
		secrets = append(secrets, s)
	}

	// The owner, from a setup link; then an invite, used.
	setup, err := env.db.CreateSetupLink(ctx, store.SystemActor)
	if err != nil {
		t.Fatal(err)
	}
	keep("setup token", setup)
	owner, dev := env.clientFrom("198.51.100.10"), env.newDevice()
	if r := env.enrol(owner, dev, env.http.URL+"/admin/setup?token="+setup, "Olive Owner", "olive@northwind.example"); r.status != 200 {
		t.Fatalf("owner enrolment: %d %s", r.status, r.body)
	}
	if r := owner.post("/admin/staff/invite", url.Values{"email": {"nina@northwind.example"}, "role": {"admin"}}); r.status != 200 {
		t.Fatalf("invite: %d", r.status)
	}
	link := regexpFind(t, `http://\S+/admin/invite/\S+`, env.mail.nextTo(t, "nina@northwind.example").Text)
	invite := link[strings.LastIndex(link, "/")+1:]
	keep("invite token", invite)
	nina := env.clientFrom("198.51.100.11")
	if r := env.enrol(nina, env.newDevice(), link, "Nina Admin", ""); r.status != 200 {
		t.Fatalf("invite enrolment: %d %s", r.status, r.body)
	}
	// A scanner that has read a log tries an invite token in a probe.
	env.clientFrom("203.0.113.12").get("/admin/invite/" + invite + "/.env")

	// A customer: a code at /verify, a ticket, a code in the chat.
	cust := env.clientFrom("198.51.100.12")
	if r := cust.post("/verify", url.Values{"email": {"kim@example.org"}}); r.status != http.StatusSeeOther {
		t.Fatalf("send code: %d", r.status)
	}
	code := env.mail.nextTo(t, "kim@example.org").code(t)
	keep("code", code)
	if r := cust.post("/verify", url.Values{"email": {"kim@example.org"}, "code": {code}}); r.status != http.StatusSeeOther {
		t.Fatalf("verify: %d %s", r.status, r.body)
	}
	if r := cust.post("/tickets/new", ticketForm("kim@example.org", "Grinder jams", "It jams.")); r.status >= 400 {
		t.Fatalf("ticket: %d", r.status)
	}
	cust.get("/tickets")
	chat := env.clientFrom("198.51.100.13")
	chat.post("/chat/consent", url.Values{"consent": {"yes"}})
	chat.ask("lee@example.org")
	chatCode := env.mail.nextTo(t, "lee@example.org").code(t)
	keep("chat code", chatCode)
	chat.ask(chatCode)

	// The API: a personal token, an OAuth2 client and its access token.
	token := env.token(store.ScopeTicketsRead)
	keep("API token", token)
	if r := env.api("GET", "/api/v1/tickets", token, ""); r.status != http.StatusOK {
		t.Fatalf("API with a token: %d %s", r.status, r.body)
	}
	oc, secret, err := env.db.CreateClient(ctx, store.NewClient{Name: "CRM", Scopes: []string{store.ScopeTicketsRead}}, store.SystemActor)
	if err != nil {
		t.Fatal(err)
	}
	keep("client secret", secret)
	r := env.tokenRequest(url.Values{"grant_type": {"client_credentials"}}, oc.ClientID, secret)
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal([]byte(r.body), &tok); err != nil || r.status != http.StatusOK {
		t.Fatalf("token endpoint: %d %s", r.status, r.body)
	}
	keep("access token", tok.AccessToken)
	if r := env.api("GET", "/api/v1/tickets", tok.AccessToken, ""); r.status != http.StatusOK {
		t.Fatalf("API with an access token: %d", r.status)
	}

	base, _ := url.Parse(env.http.URL)
	for _, c := range []*client{owner, nina, cust, chat} {
		for _, ck := range c.c.Jar.Cookies(base) {
			keep("cookie "+ck.Name, ck.Value)
		}
	}
	env.wait()
	events, err := env.db.ListSecurityEvents(ctx, store.EventFilter{Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	recorded, _ := json.Marshal(events)
	logged := env.logs.String()
	if !strings.Contains(logged, "path=/admin/invite/{token}/begin") || !strings.Contains(string(recorded), "{redacted}/.env") {
		t.Fatalf("the invite's requests or the probe are not where this test looks:\n%s\n%s", logged, recorded)
	}
	for _, s := range secrets {
		if strings.Contains(logged, s) {
			t.Errorf("the log holds the secret %q", s)
		}
		if strings.Contains(string(recorded), s) {
			t.Errorf("a security event holds the secret %q", s)
		}
	}
}

// rejectingBackend is an SMTP relay that refuses every recipient, as one
// does during an outage or greylisting.
type rejectingBackend struct{}

func (rejectingBackend) NewSession(*smtp.Conn) (smtp.Session, error) { return rejectingSession{}, nil }

type rejectingSession struct{}

func (rejectingSession) Reset()                               {}
func (rejectingSession) Logout() error                        { return nil }
func (rejectingSession) Mail(string, *smtp.MailOptions) error { return nil }
func (rejectingSession) Data(io.Reader) error                 { return nil }
func (rejectingSession) Rcpt(string, *smtp.RcptOptions) error {
	return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "mailbox unavailable"}
}

// TestFailedCodeMailLogsNoSecret (issue 12, item 5; review S3): a code mail
// the relay refuses is logged without its subject (which held the code),
// its text or its recipient.
func TestFailedCodeMailLogsNoSecret(t *testing.T) {
	env := newTestServer(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	relay := smtp.NewServer(rejectingBackend{})
	relay.Domain = "localhost"
	go relay.Serve(ln)
	t.Cleanup(func() { relay.Close() })
	sender, err := sendmail.New("smtp+insecure://"+ln.Addr().String(), "support@northwind.example", env.srv.log)
	if err != nil {
		t.Fatal(err)
	}
	out := sendmail.NewOutbox(sender, env.srv.log)
	env.srv.mail = out
	if r := env.client().post("/verify", url.Values{"email": {"victim@example.org"}}); r.status != http.StatusSeeOther {
		t.Fatalf("send code: %d", r.status)
	}
	out.Wait()
	logged := env.logs.String()
	if !strings.Contains(logged, "smtp 550") {
		t.Fatalf("the refusal is not logged:\n%s", logged)
	}
	for _, leak := range []string{"victim@example.org", "victim", "Your code", "affected recipient", "mailbox unavailable"} {
		if strings.Contains(logged, leak) {
			t.Errorf("the log holds %q:\n%s", leak, logged)
		}
	}
}

// TestLoginNextRefusesControlCharacters (pentest I3): a destination after
// sign-in with a control character in it is refused, as browsers drop TAB
// and newlines from URLs.
func TestLoginNextRefusesControlCharacters(t *testing.T) {
	env := newTestServer(t)
	owner, _ := env.owner()
	for next, want := range map[string]string{
		"/admin/kb":                "/admin/kb",
		"/admin%09//evil.example":  "/admin/tickets",
		"/admin%0A//evil.example":  "/admin/tickets",
		"/admin%0D%0ASet-Cookie:x": "/admin/tickets",
		"/admin%7F":                "/admin/tickets",
	} {
		if got := owner.get("/admin/login?next=" + next).header.Get("Location"); got != want {
			t.Errorf("next=%s: sent to %q, want %q", next, got, want)
		}
	}
}
