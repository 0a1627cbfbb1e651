package web

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"safedesk/web/mail"
	"safedesk/web/mail/mailtest"
)

// tlsMailbox is the email settings of a real IMAP server with implicit
// TLS, trusting authservID's verdicts.
func tlsMailbox(t *testing.T, authservID string) mail.InboundOptions {
	t.Helper()
	srv, roots := mailtest.NewIMAPSServer(t)
	t.Setenv(mail.PasswordEnv, mailtest.Password)
	o := mail.DefaultInboundOptions()
	o.IMAP, o.AuthservID, o.RootCAs = srv.URL(), authservID, roots
	if err := o.Validate("Northwind <support@northwind.example>"); err != nil {
		t.Fatal(err)
	}
	return o
}

func TestDoctorEmail(t *testing.T) {
	dir := doctorFolder(t)
	check := func(t *testing.T, o mail.InboundOptions) map[string]DoctorCheck {
		t.Helper()
		in := devInput(t, dir)
		in.Email = o
		return verdicts(t, in)
	}
	t.Run("no mailbox", func(t *testing.T) {
		got := check(t, mail.DefaultInboundOptions())
		if got["imap"].Status != CheckWarn || got["authserv-id"].Name != "" {
			t.Errorf("imap %+v, authserv-id %+v", got["imap"], got["authserv-id"])
		}
	})
	t.Run("a working mailbox over TLS, a trusted receiver", func(t *testing.T) {
		got := check(t, tlsMailbox(t, "mx.google.com"))
		for _, name := range []string{"imap", "support-address", "authserv-id"} {
			if got[name].Status != CheckPass {
				t.Errorf("%s: %+v", name, got[name])
			}
		}
		if !strings.Contains(got["imap"].Detail, "implicit TLS") || !strings.Contains(got["support-address"].Detail, "support+TOKEN@northwind.example") {
			t.Errorf("details %q / %q", got["imap"].Detail, got["support-address"].Detail)
		}
	})
	t.Run("Microsoft 365 by position is a warning", func(t *testing.T) {
		if c := check(t, tlsMailbox(t, "position:1"))["authserv-id"]; c.Status != CheckWarn || !strings.Contains(c.Detail, "Microsoft 365") {
			t.Errorf("%+v", c)
		}
	})
	t.Run("no trusted receiver fails", func(t *testing.T) {
		if c := check(t, tlsMailbox(t, ""))["authserv-id"]; c.Status != CheckFail {
			t.Errorf("%+v", c)
		}
	})
	t.Run("a refused login fails, without the password", func(t *testing.T) {
		t.Setenv(mail.PasswordEnv, "wrong-s3cret-word")
		o := tlsMailbox(t, "mx.google.com")
		t.Setenv(mail.PasswordEnv, "wrong-s3cret-word")
		if err := o.Validate("support@northwind.example"); err != nil {
			t.Fatal(err)
		}
		in := devInput(t, dir)
		in.Email = o
		c := verdicts(t, in)["imap"]
		var out bytes.Buffer
		if _, err := WriteChecks(&out, Diagnose(t.Context(), in, time.Now())); err != nil {
			t.Fatal(err)
		}
		if c.Status != CheckFail || !strings.Contains(c.Detail, "log in") || strings.Contains(out.String(), "s3cret") {
			t.Errorf("%+v\n%s", c, out.String())
		}
	})
	t.Run("the password in the URL is a warning", func(t *testing.T) {
		srv := mailtest.NewIMAPServer(t)
		t.Setenv(mail.PasswordEnv, "")
		o := mail.DefaultInboundOptions()
		o.IMAP, o.AuthservID = strings.Replace(srv.URL(), "@localhost", ":"+mailtest.Password+"@localhost", 1), "mx.google.com"
		if err := o.Validate("support@northwind.example"); err != nil {
			t.Fatal(err)
		}
		in := devInput(t, dir)
		in.Email = o
		c := verdicts(t, in)["imap"]
		if c.Status != CheckWarn || !strings.Contains(c.Detail, "ps") || strings.Contains(c.Detail, mailtest.Password) {
			t.Errorf("%+v", c)
		}
	})
}
