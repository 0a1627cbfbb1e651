package mail

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"mime/quotedprintable"
	"net"
	netmail "net/mail"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"safedesk/templates/i18n"
)

func TestNew(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	for _, tt := range []struct {
		name, url, from string
		wantErr         string // "" for none
		wantDescribe    string
	}{
		{"no relay is development mode", "", "", "", ""},
		{"STARTTLS", "smtp://user:pass@mail.example.com:587", "support@example.com", "", "smtp://mail.example.com:587"},
		{"implicit TLS, default port", "smtps://user:pass@mail.example.com", "support@example.com", "", "smtps://mail.example.com"},
		{"no TLS on loopback", "smtp+insecure://127.0.0.1:2525", "support@example.com", "", "smtp+insecure://127.0.0.1:2525"},
		{"no TLS elsewhere is refused", "smtp+insecure://mail.example.com", "support@example.com", "loopback", ""},
		{"no host", "smtp://", "support@example.com", "needs a host", ""},
		{"no sender", "smtp://mail.example.com", "", "--mail-from", ""},
		{"unknown scheme", "ftp://mail.example.com", "support@example.com", "scheme", ""},
		{"a path", "smtp://mail.example.com/x", "support@example.com", "no path", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, err := New(tt.url, tt.from, log)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one about %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := s.Describe(); got != tt.wantDescribe {
				t.Errorf("Describe() = %q, want %q", got, tt.wantDescribe)
			}
		})
	}
}

// TestMalformedURLHidesCredentials: a typo anywhere in --smtp is explained
// without printing the user name or password to the journal.
func TestMalformedURLHidesCredentials(t *testing.T) {
	for _, tt := range []struct{ url, want string }{
		{"smtp://olive:s3cret@mail.example.com:58a7", "invalid port"},
		{"smtp://olive:s3c%zzret@mail.example.com:587", "malformed"},
		{"smtp://olive:pa/s3cret@mail.example.com", "malformed"},
		{"smtp://olive:s3c#ret@mail.example.com", "malformed"},
		{"smtp://olive:s3cret@mail.exa mple.com", "invalid character"},
		{"olive:s3cret@mail.example.com", "needs a host"},
	} {
		_, err := New(tt.url, "support@example.com", slog.New(slog.DiscardHandler))
		if err == nil {
			t.Errorf("%s: no error", tt.url)
			continue
		}
		if msg := err.Error(); strings.Contains(msg, "s3c") || strings.Contains(msg, "olive") || !strings.Contains(msg, tt.want) {
			t.Errorf("%s: error %q: want %q and no user name or password", tt.url, msg, tt.want)
		}
	}
}

// TestFailedMailLogsNoContent: a refused mail is logged with its kind and
// the relay's status, never its recipient or subject (a code mail carries
// the code there); the error says the same.
func TestFailedMailLogsNoContent(t *testing.T) {
	code := &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "mailbox unavailable"}
	relay := newTestRelay(t, code)
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	s, err := New("smtp+insecure://"+relay, "support@example.com", log)
	if err != nil {
		t.Fatal(err)
	}
	m := Message{Kind: "code", To: "victim@example.org", Subject: "[Northwind] Your code: 963060", Text: "your code is 963060"}

	err = s.Send(context.Background(), m)
	var me *Error
	if !errors.As(err, &me) || me.Kind != "code" || me.Step != "recipient" || me.Status != 550 || me.Temporary {
		t.Fatalf("error %#v: want a permanent 550 for the recipient of a code mail", err)
	}
	for _, secret := range []string{"victim", "example.org", "963060"} {
		if strings.Contains(err.Error(), secret) {
			t.Errorf("the error %q holds %q", err, secret)
		}
	}

	out := NewOutbox(s, log)
	out.Send(m)
	out.Wait()
	line := logs.String()
	if !strings.Contains(line, "mail not sent") || !strings.Contains(line, "kind=code") || !strings.Contains(line, "550") {
		t.Fatalf("log %q: want the kind and the status", line)
	}
	for _, secret := range []string{"victim", "example.org", "963060", "Your code"} {
		if strings.Contains(line, secret) {
			t.Errorf("the log holds %q: %s", secret, line)
		}
	}
}

func TestFailureKinds(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	m := Message{Kind: "invite", To: "nina@example.org", Subject: "s", Text: "t"}

	t.Run("a 4xx is temporary", func(t *testing.T) {
		relay := newTestRelay(t, &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 7, 1}, Message: "greylisted"})
		s, _ := New("smtp+insecure://"+relay, "support@example.com", log)
		var me *Error
		if err := s.Send(context.Background(), m); !errors.As(err, &me) || me.Status != 451 || !me.Temporary {
			t.Errorf("error %v: want a temporary 451", err)
		}
	})
	t.Run("an unreachable relay", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		s, _ := New("smtp+insecure://"+addr, "support@example.com", log)
		var me *Error
		err = s.Send(context.Background(), m)
		if !errors.As(err, &me) || me.Step != "connect" || me.Status != 0 || strings.Contains(err.Error(), "nina") {
			t.Errorf("error %v: want a connect failure without the recipient", err)
		}
	})
	t.Run("a relay without STARTTLS is refused and says why", func(t *testing.T) {
		relay := newTestRelay(t, nil)
		s, _ := New("smtp://"+relay, "support@example.com", log)
		var me *Error
		err := s.Send(context.Background(), m)
		if !errors.As(err, &me) || me.Step != "connect" || !strings.Contains(me.Cause, "STARTTLS") || strings.Contains(err.Error(), "nina") {
			t.Errorf("error %v: want a connect failure naming STARTTLS", err)
		}
	})
	t.Run("a malformed recipient address is not quoted", func(t *testing.T) {
		relay := newTestRelay(t, nil)
		s, _ := New("smtp+insecure://"+relay, "support@example.com", log)
		bad := m
		bad.To = "nina at example.org"
		if err := s.Send(context.Background(), bad); err == nil || strings.Contains(err.Error(), "nina") {
			t.Errorf("error %v: want one without the address", err)
		}
	})
	t.Run("a delivered mail", func(t *testing.T) {
		relay := newTestRelay(t, nil)
		s, _ := New("smtp+insecure://"+relay, "support@example.com", log)
		if err := s.Send(context.Background(), m); err != nil {
			t.Error(err)
		}
	})
}

// TestDevelopmentMode: with no relay, mail goes to the log with the
// recipient masked, so a developer can read a code.
func TestDevelopmentMode(t *testing.T) {
	var logs bytes.Buffer
	s, err := New("", "", slog.New(slog.NewTextHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(context.Background(), Message{Kind: "code", To: "victim@example.org", Subject: "Your code", Text: "123456"}); err != nil {
		t.Fatal(err)
	}
	if out := logs.String(); strings.Contains(out, "victim@") || !strings.Contains(out, "123456") || !strings.Contains(out, "DEVELOPMENT MODE") {
		t.Errorf("log %q: want the text and a masked recipient", out)
	}
}

func TestTicketReceived(t *testing.T) {
	base, _ := url.Parse("https://help.example.com/ignored")
	site := Site{Product: "Northwind", BaseURL: base}
	withCode := site.TicketReceived(i18n.New("en", nil), "a@example.org", 42, "123456")
	if withCode.Subject != "[Northwind] We received your request #42" || !strings.Contains(withCode.Text, "https://help.example.com/verify") ||
		!strings.Contains(withCode.Text, "123456") || withCode.Kind != "ticket_received" {
		t.Errorf("with a code: %+v", withCode)
	}
	if m := site.TicketReceived(i18n.New("en", nil), "a@example.org", 42, ""); !strings.Contains(m.Text, "https://help.example.com/tickets") || strings.Contains(m.Text, "code") {
		t.Errorf("without a code: %+v", m)
	}
	de := site.TicketReceived(i18n.New("de", nil), "a@example.org", 42, "123456")
	if de.Subject != "[Northwind] Wir haben Ihre Anfrage #42 erhalten" || !strings.HasPrefix(de.Text, "Guten Tag,\n\nwir haben Ihre Anfrage #42 erhalten.") ||
		!strings.Contains(de.Text, "123456") || !strings.Contains(de.Text, "Ihr Support-Team von Northwind") {
		t.Errorf("in German: %+v", de)
	}
}

// newTestRelay starts a real SMTP server on loopback that answers RCPT
// with refuse, or accepts everything when refuse is nil.
func newTestRelay(t *testing.T, refuse *smtp.SMTPError) string {
	t.Helper()
	return startRelay(t, relayBackend{refuse: refuse})
}

// newCapturingRelay starts a real SMTP server on loopback that accepts
// everything and passes each mail, whole, to the channel it returns.
func newCapturingRelay(t *testing.T) (string, chan *netmail.Message) {
	t.Helper()
	got := make(chan *netmail.Message, 100)
	return startRelay(t, relayBackend{got: got}), got
}

func startRelay(t *testing.T, b relayBackend) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := smtp.NewServer(b)
	s.Domain = "localhost"
	s.ReadTimeout, s.WriteTimeout = 10*time.Second, 10*time.Second
	var wg sync.WaitGroup
	wg.Go(func() { _ = s.Serve(ln) }) // returns once closed
	t.Cleanup(func() {
		s.Close()
		ln.Close() // in case Serve had not started when Close ran
		wg.Wait()
	})
	return ln.Addr().String()
}

type relayBackend struct {
	refuse *smtp.SMTPError
	got    chan *netmail.Message // nil: discard
}

func (b relayBackend) NewSession(*smtp.Conn) (smtp.Session, error) { return relaySession(b), nil }

type relaySession relayBackend

func (relaySession) Reset()                               {}
func (relaySession) Logout() error                        { return nil }
func (relaySession) Mail(string, *smtp.MailOptions) error { return nil }
func (s relaySession) Data(r io.Reader) error {
	if s.got == nil {
		_, err := io.Copy(io.Discard, r)
		return err
	}
	m, err := netmail.ReadMessage(r)
	if err != nil {
		return err
	}
	body, err := io.ReadAll(quotedprintable.NewReader(m.Body))
	if err != nil {
		return err
	}
	m.Body = bytes.NewReader(body)
	s.got <- m
	return nil
}
func (s relaySession) Rcpt(string, *smtp.RcptOptions) error {
	if s.refuse != nil {
		return s.refuse
	}
	return nil
}
