package mail

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestInboundOptions(t *testing.T) {
	pwFile := filepath.Join(t.TempDir(), "imap-password")
	if err := os.WriteFile(pwFile, []byte("file-s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	openFile := filepath.Join(t.TempDir(), "imap-password-open")
	if err := os.WriteFile(openFile, []byte("open-s3cret\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name     string
		args     []string
		env      string
		mailFrom string
		wantErr  string // "" for none
		check    func(*testing.T, InboundOptions)
	}{
		{name: "no mailbox: nothing to check", args: nil, check: func(t *testing.T, o InboundOptions) {
			if o.Enabled() || o.Interval != 30*time.Second || o.MaxSize != 25<<20 {
				t.Errorf("defaults %+v", o)
			}
		}},
		{name: "implicit TLS, password file, support from --mail-from", mailFrom: "Shop <support@shop.example>",
			args: []string{"--imap", "imaps://support%40shop.example@imap.shop.example/INBOX", "--imap-password-file", pwFile, "--mail-authserv-id", "mx.google.com"},
			check: func(t *testing.T, o InboundOptions) {
				if o.server.addr != "imap.shop.example:993" || o.server.user != "support@shop.example" || o.server.password != "file-s3cret" ||
					o.Support() != "support@shop.example" || o.Trust().AuthservID != "mx.google.com" || o.PasswordInURL() {
					t.Errorf("parsed %+v", o.server)
				}
				if o.Mailbox() != "imaps://support%40shop.example@imap.shop.example:993/INBOX" {
					t.Errorf("Mailbox() = %q", o.Mailbox())
				}
			}},
		{name: "STARTTLS, password from the environment, another folder", env: "env-s3cret", mailFrom: "support@shop.example",
			args: []string{"--imap", "imap://desk@mail.shop.example/Support%2FIncoming", "--support-address", "help@shop.example", "--mail-authserv-id", "position:1",
				"--email-max-size", "10MiB", "--imap-interval", "1m"},
			check: func(t *testing.T, o InboundOptions) {
				if o.server.addr != "mail.shop.example:143" || o.server.password != "env-s3cret" || o.server.mailbox != "Support/Incoming" ||
					o.Support() != "help@shop.example" || o.Trust().Position != 1 || o.MaxSize != 10<<20 || o.Interval != time.Minute {
					t.Errorf("parsed %+v %+v", o, o.server)
				}
			}},
		{name: "the password in the URL is taken, and said to be visible", mailFrom: "support@shop.example",
			args: []string{"--imap", "imaps://desk:url-s3cret@mail.shop.example"},
			check: func(t *testing.T, o InboundOptions) {
				if o.server.password != "url-s3cret" || !o.PasswordInURL() || o.server.mailbox != "INBOX" {
					t.Errorf("parsed %+v", o.server)
				}
			}},
		{name: "a password file others may read", mailFrom: "support@shop.example",
			args: []string{"--imap", "imaps://desk@mail.shop.example", "--imap-password-file", openFile}, wantErr: "chmod 600"},
		{name: "no password", mailFrom: "support@shop.example", args: []string{"--imap", "imaps://desk@mail.shop.example"}, wantErr: "no mailbox password"},
		{name: "plain text beyond loopback", mailFrom: "support@shop.example", env: "x",
			args: []string{"--imap", "imap+insecure://desk@mail.shop.example"}, wantErr: "loopback"},
		{name: "unknown scheme", mailFrom: "support@shop.example", env: "x", args: []string{"--imap", "pop3://desk@mail.shop.example"}, wantErr: "scheme"},
		{name: "no user", mailFrom: "support@shop.example", env: "x", args: []string{"--imap", "imaps://mail.shop.example"}, wantErr: "user name"},
		{name: "no support address", env: "x", args: []string{"--imap", "imaps://desk@mail.shop.example"}, wantErr: "--support-address"},
		{name: "a support address with a +tag", args: []string{"--support-address", "support+x@shop.example"}, wantErr: "+tag"},
		{name: "a bad authserv-id", args: []string{"--mail-authserv-id", "mx.google.com; dmarc=pass"}, wantErr: "authserv-id"},
		{name: "a tiny size", args: []string{"--email-max-size", "10KB"}, wantErr: "email-max-size"},
		{name: "a typo in the URL does not print the password", mailFrom: "support@shop.example",
			args: []string{"--imap", "imaps://desk:pa%zzss-s3cret@mail.shop.example"}, wantErr: "malformed"},
		{name: "a bad port does not print the password", mailFrom: "support@shop.example",
			args: []string{"--imap", "imaps://desk:port-s3cret@mail.shop.example:99x"}, wantErr: "port"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(PasswordEnv, tt.env)
			o := DefaultInboundOptions()
			fs := flag.NewFlagSet("t", flag.ContinueOnError)
			o.Flags(fs)
			if err := fs.Parse(tt.args); err != nil {
				if tt.wantErr == "" || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("flags: %v", err)
				}
				return
			}
			err := o.Validate(tt.mailFrom)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one about %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "s3cret") {
					t.Fatalf("the error %q shows the password", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, o)
		})
	}
}

func TestByteSize(t *testing.T) {
	for in, want := range map[string]int64{"25MiB": 25 << 20, "30MB": 30 << 20, "1048576": 1 << 20, "2 GiB": 2 << 30, "512k": 512 << 10} {
		var b ByteSize
		if err := b.Set(in); err != nil || int64(b) != want {
			t.Errorf("Set(%q) = %d, %v; want %d", in, b, err, want)
		}
	}
	for _, bad := range []string{"", "MiB", "-3MB", "3 parsecs", "1.5GiB"} {
		var b ByteSize
		if err := b.Set(bad); err == nil {
			t.Errorf("Set(%q) took it", bad)
		}
	}
	if s := ByteSize(25 << 20); s.String() != "25MiB" {
		t.Errorf("String() = %q", s.String())
	}
}
