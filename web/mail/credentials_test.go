package mail

import (
	"context"
	"errors"
	"flag"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPasswordFile: the SMTP password comes from a file only its owner may
// read (or the environment), never from the command line, and no error
// about it repeats it.
func TestPasswordFile(t *testing.T) {
	const secret = "pa:ss@w/rd 1"
	dir := t.TempDir()
	file := func(name, text string, mode os.FileMode) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), mode); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, mode); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := file("good", secret+"\n", 0o600)

	t.Run("the flag", func(t *testing.T) {
		var c Credentials
		fs := flag.NewFlagSet("serve", flag.ContinueOnError)
		c.Flags(fs)
		if err := fs.Parse([]string{"--smtp-password-file", good}); err != nil || c.PasswordFile != good {
			t.Fatalf("parse: %v, %q", err, c.PasswordFile)
		}
	})
	for _, tt := range []struct {
		name string
		c    Credentials
		url  string
	}{
		{"from a file, trailing newline trimmed", Credentials{PasswordFile: good}, "smtp://olive@mail.example.com:587"},
		{"from a CRLF file", Credentials{PasswordFile: file("crlf", secret+"\r\n", 0o600)}, "smtps://olive@mail.example.com"},
		{"from the environment", Credentials{Password: secret}, "smtp://olive@mail.example.com:587"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.c.WithPassword(tt.url)
			if err != nil {
				t.Fatal(err)
			}
			u, err := url.Parse(got)
			if err != nil {
				t.Fatal(err)
			}
			if p, _ := u.User.Password(); p != secret || u.User.Username() != "olive" {
				t.Fatalf("user %q, password %q", u.User.Username(), p)
			}
			if _, err := New(got, "support@example.com", nil); err != nil {
				t.Fatalf("New: %v", err)
			}
		})
	}
	t.Run("none leaves the URL alone", func(t *testing.T) {
		if got, err := (Credentials{}).WithPassword("smtp://olive:inline@mail.example.com"); err != nil || got != "smtp://olive:inline@mail.example.com" {
			t.Fatalf("%q, %v", got, err)
		}
	})
	for _, tt := range []struct {
		name, want string
		c          Credentials
		url        string
	}{
		{"a file others may read", "chmod 600", Credentials{PasswordFile: file("open", secret, 0o640)}, "smtp://olive@mail.example.com"},
		{"an empty file", "empty", Credentials{PasswordFile: file("empty", "\n", 0o600)}, "smtp://olive@mail.example.com"},
		{"a missing file", "--smtp-password-file", Credentials{PasswordFile: filepath.Join(dir, "missing")}, "smtp://olive@mail.example.com"},
		{"both ways", "one way", Credentials{PasswordFile: good, Password: secret}, "smtp://olive@mail.example.com"},
		{"a password in the URL too", "remove it", Credentials{PasswordFile: good}, "smtp://olive:Inl1neSecret@mail.example.com"},
		{"no user", "names no user", Credentials{PasswordFile: good}, "smtp://mail.example.com"},
		{"no relay", "no --smtp", Credentials{PasswordFile: good}, ""},
		{"a malformed URL", "invalid port", Credentials{PasswordFile: good}, "smtp://olive@mail.example.com:58a7"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.c.WithPassword(tt.url)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %v, want one about %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "ss@w") || strings.Contains(err.Error(), "Inl1ne") {
				t.Fatalf("the error repeats a password: %v", err)
			}
		})
	}
}

// TestSendCanonicalRecipient (issue 12, item 21): mail goes to the
// canonical form of its address, the one the blind index compares, and a
// look-alike address gets no mail at all.
func TestSendCanonicalRecipient(t *testing.T) {
	s, err := New("smtp+insecure://"+newTestRelay(t, nil), "support@example.com", slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Send(context.Background(), Message{Kind: "code", To: " Kate@Example.COM", Subject: "s", Text: "t"}); err != nil {
		t.Fatalf("an address in mixed case: %v", err)
	}
	for _, to := range []string{"\u212Aate@example.com", "kate@ex\u0430mple.com"} {
		err := s.Send(context.Background(), Message{Kind: "code", To: to, Subject: "s", Text: "t"})
		var me *Error
		if !errors.As(err, &me) || me.Step != "recipient address" || strings.Contains(err.Error(), "ate@") {
			t.Errorf("%q: %v, want a refused recipient that is not named", to, err)
		}
	}
}
