package mail

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-msgauth/dkim"

	"safedesk/web/mail/mailtest"
)

func TestInboxFailingMailbox(t *testing.T) {
	var logs bytes.Buffer // written by Poll, on this goroutine
	env := newInboxEnv(t, &logs, nil)
	env.inbox.opts.server.password = "wrong-password-123"
	clock := time.Now()
	env.inbox.now = func() time.Time { return clock }
	for range 3 {
		err := env.inbox.Poll(t.Context())
		if err == nil {
			t.Fatal("no error with a wrong password")
		}
		if strings.Contains(err.Error(), "wrong-password") {
			t.Fatalf("the error %q holds the password", err)
		}
		if held := env.inbox.Poll(t.Context()); held != nil {
			t.Errorf("a round ran during the backoff: %v", held)
		}
		clock = clock.Add(maxBackoff + maxBackoff/4) // past the backoff and its jitter
	}
	if n := strings.Count(logs.String(), "mailbox failing"); n != 1 {
		t.Errorf("%d failure lines in the log, want one:\n%s", n, logs.String())
	}
	if env.alerts != 1 {
		t.Errorf("%d alerts, want one", env.alerts)
	}
	mb, err := env.inbox.Status(t.Context())
	if err != nil || mb.FailingSince.IsZero() || !strings.Contains(mb.Error, "log in") {
		t.Errorf("status %+v, %v", mb, err)
	}
	env.inbox.opts.server.password = mailtest.Password
	env.poll(t)
	if !strings.Contains(logs.String(), "mailbox works again") {
		t.Error("the recovery is not logged")
	}
	if strings.Contains(logs.String(), "wrong-password") || strings.Contains(logs.String(), mailtest.Password) {
		t.Error("a password is in the log")
	}
}

func TestInboxIdle(t *testing.T) {
	env := newInboxEnv(t, nil, nil)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		env.inbox.Watch(ctx)
	}()
	defer func() {
		cancel()
		<-done
	}()
	waitFor(t, func() bool { return env.inbox.idle.Load() })
	env.imap.Deliver(t, mailtest.Fixture(t, "gmail-new.eml"))
	// No Poll here: IDLE tells the inbox, which reads the message.
	waitFor(t, func() bool { return len(env.tickets(t)) == 1 })
}

// waitFor waits until cond holds, for at most ten seconds.
func waitFor(t *testing.T, cond func() bool, what ...any) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			if len(what) > 0 {
				t.Fatalf("timed out: "+what[0].(string), what[1:]...)
			}
			t.Fatal("timed out")
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestInboxRequiresSTARTTLS(t *testing.T) {
	env := newInboxEnv(t, nil, nil)
	env.inbox.opts.server.scheme = "imap" // the test server offers no STARTTLS
	err := env.inbox.Poll(t.Context())
	if err == nil || !strings.Contains(err.Error(), "STARTTLS") {
		t.Fatalf("error %v: want a refusal to go on without STARTTLS", err)
	}
}

// TestInboxTLS: imaps:// verifies the server's certificate; one nobody
// trusts is refused before the password is sent.
func TestInboxTLS(t *testing.T) {
	t.Setenv(PasswordEnv, mailtest.Password)
	srv, roots := mailtest.NewIMAPSServer(t)
	o := DefaultInboundOptions()
	o.IMAP = srv.URL()
	if err := o.Validate("support@northwind.example"); err != nil {
		t.Fatal(err)
	}
	if _, err := CheckMailbox(t.Context(), o); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("error %v: want an untrusted certificate refused", err)
	}
	o.RootCAs = roots
	summary, err := CheckMailbox(t.Context(), o)
	if err != nil || !strings.Contains(summary, "implicit TLS (TLS 1.3), certificate verified for localhost") || !strings.Contains(summary, "IDLE offered") {
		t.Errorf("summary %q, %v", summary, err)
	}
}

// TestInboxVerifiesDKIM: with --mail-verify-dkim, a signature checked here
// against the signer's DNS key authenticates a sender whose receiving
// server wrote no verdict; a message changed after signing is not.
func TestInboxVerifiesDKIM(t *testing.T) {
	env := newInboxEnv(t, nil, func(o *InboundOptions) { o.VerifyDKIM = true })
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	record := "v=DKIM1; k=ed25519; p=" + base64.StdEncoding.EncodeToString(key.Public().(ed25519.PublicKey))
	env.inbox.lookupTXT = func(domain string) ([]string, error) {
		if domain == "s1._domainkey.example.com" {
			return []string{record}, nil
		}
		return nil, &net.DNSError{Err: "no such host", Name: domain, IsNotFound: true}
	}
	sign := func(id, body string) []byte {
		raw := "From: Anna <anna.berg@example.com>\r\nTo: support@northwind.example\r\nSubject: Signed\r\nMessage-ID: <" + id + "@example.com>\r\n\r\n" + body + "\r\n"
		var out bytes.Buffer
		if err := dkim.Sign(&out, strings.NewReader(raw), &dkim.SignOptions{Domain: "example.com", Selector: "s1", Signer: key}); err != nil {
			t.Fatal(err)
		}
		return out.Bytes()
	}
	env.imap.Deliver(t, sign("signed-1", "Signed by example.com."))
	tampered := bytes.Replace(sign("signed-2", "Pay 10 EUR."), []byte("Pay 10 EUR."), []byte("Pay 99 EUR."), 1)
	env.imap.Deliver(t, tampered)
	env.poll(t)
	ts := env.tickets(t)
	if len(ts) != 2 || ts[0].Confirmed || !ts[1].Confirmed {
		t.Fatalf("tickets %+v: want the signed one verified, the tampered one not", ts)
	}
	msgs, _ := env.db.ListMessages(t.Context(), ts[1].ID, true)
	details, _ := env.db.EmailDetails(t.Context(), ts[1].ID)
	if v := details[msgs[0].ID].Verdict; !strings.Contains(v, "verified by this server") {
		t.Errorf("verdict %q", v)
	}
}
