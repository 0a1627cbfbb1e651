package web

import (
	"flag"
	"strings"
	"testing"
)

// TestUnitCredentialsFollowTheFlags: the unit's credentials come from the
// binary's own flags, so a secret-file flag added later (the email
// channel's --imap-password-file) is fed through LoadCredential= without
// touching the unit writer; an unset one adds no line that would keep the
// service from starting.
func TestUnitCredentialsFollowTheFlags(t *testing.T) {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.String("data", "data", "")
	fs.String("addr", "127.0.0.1:8080", "")
	fs.String("master-key-file", "", "")
	fs.String("imap-password-file", "", "")
	fs.String("backup-passphrase-file", "", "")
	if err := fs.Parse([]string{"--imap-password-file", "/etc/safedesk/imap pass"}); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := WriteSystemdUnit(&b, "/usr/local/bin/safedesk", fs); err != nil {
		t.Fatal(err)
	}
	unit := b.String()
	for _, want := range []string{
		"\nLoadCredential=imap-password:/etc/safedesk/imap pass\n",
		" --imap-password-file=%d/imap-password",
		"\nLoadCredential=master.key:/etc/safedesk/master.key\n",
	} {
		if !strings.Contains(unit, want) {
			t.Errorf("unit lacks %q:\n%s", want, unit)
		}
	}
	if strings.Contains(unit, "backup-passphrase") {
		t.Errorf("an unset secret flag got a credential:\n%s", unit)
	}
	if err := WriteSystemdUnit(&b, "safedesk", fs); err == nil {
		t.Error("a relative binary path was accepted")
	}
}

// TestUnitQuote: ExecStart words as systemd reads them.
func TestUnitQuote(t *testing.T) {
	for in, want := range map[string]string{
		"--addr=:443":                 "--addr=:443",
		"--backup-schedule=0 3 * * *": `"--backup-schedule=0 3 * * *"`,
		`--product=Jo's "Desk"`:       `"--product=Jo's \"Desk\""`,
		"--product=100% $HOME":        `"--product=100%% $$HOME"`,
	} {
		if got := unitQuote(in); got != want {
			t.Errorf("unitQuote(%q) = %s, want %s", in, got, want)
		}
	}
}
