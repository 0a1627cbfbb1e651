package main

// End-to-end tests of run(): usage errors and exit codes, every command's
// output, and serve starting and stopping. What the commands call is
// tested in the packages that own it (backup, store, web).

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"database/sql"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"safedesk/backup"
	"safedesk/security"
	"safedesk/store"
	"safedesk/store/storetest"
	"safedesk/web"
	"safedesk/web/mail"
	"safedesk/web/mail/mailtest"
	"safedesk/web/monitor"
)

// syncBuffer is a bytes.Buffer that the server's goroutines may write to.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// runCmd runs a command line and returns its standard output.
func runCmd(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	err := run(t.Context(), args, &out, io.Discard)
	return out.String(), err
}

// isUsage fails unless err is a usage error (exit code 2).
func isUsage(t *testing.T, err error, args []string) {
	t.Helper()
	var u usageError
	if !errors.As(err, &u) {
		t.Errorf("%v: got %v, want a usage error", args, err)
	}
}

// dataFolder makes a data folder as a first start leaves it (database,
// master key, backup identity and recipients) with three tickets, and
// returns it and the tickets' subjects.
func dataFolder(t *testing.T) (string, []string) {
	t.Helper()
	dir, subjects := storetest.DataFolder(t, 3)
	if _, err := backup.EnsureIdentity(dir); err != nil {
		t.Fatal(err)
	}
	return dir, subjects
}

func TestBadFlagsAreUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"unknown flag", []string{"serve", "--nope"}, nil, "flag provided but not defined"},
		{"bad addr", []string{"--addr", "nonsense"}, nil, "--addr"},
		{"bad base url", []string{"--base-url", "ftp://x"}, nil, "--base-url"},
		{"ip base url", []string{"--base-url", "http://127.0.0.1:8080"}, nil, "IP address"},
		{"bad proxies", []string{"--trusted-proxies", "10.0.0.0/99"}, nil, "--trusted-proxies"},
		{"smtp without from", []string{"--smtp", "smtp://mail.example.com"}, nil, "--mail-from"},
		{"bad duration", []string{"--staff-idle-timeout", "soon"}, nil, "staff-idle-timeout"},
		{"bad policy", []string{"--staff-sessions", "maybe"}, nil, "--staff-sessions"},
		{"bad env value", nil, map[string]string{"SAFEDESK_DEMO": "perhaps"}, "SAFEDESK_DEMO"},
		{"unknown command", []string{"frobnicate"}, nil, "unknown command"},
		{"bad limit", []string{"--client-limit", "lots"}, nil, "client-limit"},
		{"bad exempt list", []string{"--abuse-exempt", "10.0.0.0/99"}, nil, "abuse-exempt"},
		{"checkpoints too often", []string{"--audit-checkpoint-every", "1s"}, nil, "audit-checkpoint-every"},
		{"no API rate", []string{"--api-rate", "0"}, nil, "--api-rate"},
		{"negative API rate", []string{"--api-rate", "-3"}, nil, "--api-rate"},
		{"no API burst", []string{"--api-burst", "0"}, nil, "--api-burst"},
		{"cert without key", []string{"--tls-cert", "cert.pem"}, nil, "--tls-cert and --tls-key"},
		{"redirect without TLS", []string{"--http-redirect-addr", ":80"}, nil, "--http-redirect-addr needs"},
		{"base URL outside the ACME names", []string{"--acme-domain", "help.example.com", "--base-url", "https://other.example.com"}, nil, "not among"},
		{"bad period", []string{"--retain-tickets", "soon"}, nil, "retain-tickets"},
		{"too short a period", []string{"--retain-security-events", "2h"}, nil, "at least a day"},
		{"bad ladder", []string{"--backup-keep", "7x"}, nil, "--backup-keep"},
		{"bad schedule", []string{"--backup-schedule", "whenever"}, nil, "--backup-schedule"},
		{"identity and passphrase", []string{"--backup-identity", "id.txt", "--backup-passphrase-file", "p"}, nil, "exclude each other"},
		{"bad business hours", []string{"--business-hours", "sometimes"}, nil, "--business-hours"},
		{"bad time zone", []string{"--timezone", "Mars/Olympus_Mons"}, nil, "--timezone"},
		{"bad time zone from the environment", nil, map[string]string{"SAFEDESK_TIMEZONE": "CEST"}, "--timezone"},
		{"doctor with an argument", []string{"doctor", "now"}, nil, "unexpected argument"},
		{"a mailbox without a support address", []string{"--imap", "imaps://desk@imap.example.com/INBOX"}, map[string]string{"SAFEDESK_IMAP_PASSWORD": "x"}, "--support-address"},
		{"a mailbox without a password", []string{"--imap", "imaps://desk@imap.example.com/INBOX", "--mail-from", "s@example.com"}, nil, "no mailbox password"},
		{"a mailbox in the clear elsewhere", []string{"--imap", "imap+insecure://desk:pw@imap.example.com", "--mail-from", "s@example.com"}, nil, "loopback"},
		{"a bad authserv-id", []string{"--mail-authserv-id", "mx.example.com; dmarc=pass"}, nil, "--mail-authserv-id"},
		{"a tiny message size", []string{"--email-max-size", "1KB"}, nil, "--email-max-size"},
		{"bad file size", []string{"--attachment-max-size", "lots"}, nil, "attachment-max-size"},
		{"tiny file size", nil, map[string]string{"SAFEDESK_ATTACHMENT_MAX_SIZE": "12"}, "--attachment-max-size"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			args := append(tt.args, "--data", t.TempDir())
			if tt.name == "unknown command" {
				args = tt.args
			}
			err := run(t.Context(), args, io.Discard, io.Discard)
			var u usageError
			if !errors.As(err, &u) {
				t.Fatalf("got %v, want a usage error", err)
			}
			if !strings.Contains(u.msg, tt.want) || strings.Contains(u.msg, "\n") {
				t.Fatalf("message %q: want one line naming %q", u.msg, tt.want)
			}
		})
	}
	dir := t.TempDir()
	for _, args := range [][]string{
		{"keys"}, {"keys", "rotate", "extra"}, {"audit"}, {"kb", "import"}, {"backup"}, {"backup", "frobnicate"},
		{"backup", "verify", "x.db.age", "--data", dir}, {"backup", "restore", "--data", dir},
		{"backup", "create", "--data", dir, "--backup-keep", "forever"},
		{"token", "create", "--data", dir},
		{"token", "create", "--data", dir, "--scopes", "root"},
		{"token", "create", "--data", dir, "--scopes", "kb:read", "--allow-from", "not-an-ip"},
		{"token", "frobnicate"}, {"token", "revoke", "--data", dir, "one"},
		{"client", "create", "--data", dir, "--scopes", ""},
	} {
		_, err := runCmd(t, args...)
		isUsage(t, err, args)
	}
}

func TestEnvironmentFallback(t *testing.T) {
	t.Setenv("SAFEDESK_ADDR", "127.0.0.1:9999")
	t.Setenv("SAFEDESK_STAFF_SESSIONS", "block")
	cfg := defaultConfig()
	if err := parseFlags(cfg.flagSet("serve"), []string{"--addr", "127.0.0.1:7777"}, io.Discard); err != nil {
		t.Fatal(err)
	}
	if cfg.Addr != "127.0.0.1:7777" {
		t.Fatalf("addr %q: the flag must win over the environment", cfg.Addr)
	}
	if cfg.Sessions.StaffSessions != "block" {
		t.Fatalf("staff sessions %q: the environment was ignored", cfg.Sessions.StaffSessions)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	if cfg.baseURL.String() != "http://localhost:7777" {
		t.Fatalf("default base URL %s", cfg.baseURL)
	}
}

// TestConfigDerivesParsedForms checks what Validate derives from the flags
// for the web layer: limits, exempt addresses, allow-listed hosts and the
// default base URL of a server that serves TLS itself.
func TestConfigDerivesParsedForms(t *testing.T) {
	parse := func(args ...string) Config {
		t.Helper()
		cfg := defaultConfig()
		if err := parseFlags(cfg.flagSet("serve"), args, io.Discard); err != nil {
			t.Fatal(err)
		}
		if err := cfg.Validate(); err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	cfg := parse("--abuse-exempt", "none", "--session-limit", "2/s,8", "--webhook-allow-hosts", " a.example, ,b.example:8443 ,")
	if a := cfg.Security.Abuse(); len(a.Exempt) != 0 || a.SessionLimit.Burst != 8 || a.SessionLimit.Rate != 2 || a.ClientLimit != security.ClientLimit {
		t.Errorf("parsed %+v", a)
	}
	if got := webConfig(cfg, nil, nil, nil, "").API.AllowHosts; strings.Join(got, "|") != "a.example|b.example:8443" {
		t.Errorf("webhook hosts %q", got)
	}
	if got := webConfig(parse("--attachment-max-size", "5MiB"), nil, nil, nil, "").Attachments.MaxSize; got != 5<<20 {
		t.Errorf("--attachment-max-size 5MiB is %d bytes", got)
	}
	if got := webConfig(parse(), nil, nil, nil, "").Attachments.MaxSize; got != 20<<20 {
		t.Errorf("the default file size limit is %d bytes, want 20 MiB", got)
	}
	if got := parse().Security.Abuse().Exempt; len(got) != 2 || !got[0].Contains(netip.MustParseAddr("127.0.0.1")) {
		t.Errorf("default exempt %v, want loopback", got)
	}
	cert, key, _ := testCertFiles(t, t.TempDir())
	if cfg := parse("--addr", "127.0.0.1:8443", "--tls-cert", cert, "--tls-key", key); cfg.baseURL.String() != "https://localhost:8443" {
		t.Errorf("base URL with certificate files %s", cfg.baseURL)
	}
	if cfg := parse("--addr", ":443", "--acme-domain", "help.example.com"); cfg.baseURL.String() != "https://help.example.com" {
		t.Errorf("base URL with ACME %s", cfg.baseURL)
	}
}

// TestExitCodes builds the binary and checks what a shell sees.
func TestExitCodes(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "safedesk")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	exit := func(args ...string) (int, string) {
		cmd := exec.Command(bin, args...)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		err := cmd.Run()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode(), stderr.String()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0, stderr.String()
	}
	if code, stderr := exit("--addr", "bogus"); code != 2 || strings.Count(strings.TrimSpace(stderr), "\n") != 0 {
		t.Fatalf("bad flag: exit %d, want 2 with one line:\n%s", code, stderr)
	}
	if code, stderr := exit("doctor", "--data", t.TempDir()); code != 1 || !strings.HasPrefix(stderr, "safedesk: doctor: ") {
		t.Errorf("doctor with failures: exit %d, %q; want 1", code, stderr)
	}
	if code, _ := exit("help"); code != 0 {
		t.Errorf("help: exit %d", code)
	}
	out, err := exec.Command(bin, "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	exe, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	sum := fmt.Sprintf("sha256    %x  %s\n", sha256.Sum256(exe), bin) // as sha256sum and SHA256SUMS write it
	for _, want := range []string{"module    safedesk", sum, "go        go1.", "built     ", "modernc.org/sqlite", "github.com/go-webauthn/webauthn", "github.com/robfig/cron/v3"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("version output lacks %q:\n%s", want, out)
		}
	}
}

func TestSetupLinkCommand(t *testing.T) {
	if _, err := runCmd(t, "setup-link", "--data", t.TempDir()); err == nil {
		t.Fatal("setup-link without a database: want an error")
	}
	dir, _ := dataFolder(t)
	out, err := runCmd(t, "setup-link", "--data", dir, "--base-url", "https://help.example.com")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "https://help.example.com/admin/setup?token=") {
		t.Fatalf("output %q", out)
	}
}

// TestSetupLinkTakesServersSettings is issue 12, item 16: setup-link
// takes serve's flags and environment, so its link has the server's base
// URL; stray arguments are usage errors.
func TestSetupLinkTakesServersSettings(t *testing.T) {
	dir, _ := dataFolder(t)
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"ACME flags", []string{"--acme-domain", "help.example.com", "--addr", ":443"}, nil, "https://help.example.com/admin/setup?token="},
		{"ACME environment", nil, map[string]string{"SAFEDESK_ACME_DOMAIN": "help.example.com", "SAFEDESK_ADDR": ":443"}, "https://help.example.com/admin/setup?token="},
		{"ACME on another port", []string{"--acme-domain", "help.example.com"}, nil, "https://help.example.com:8080/admin/setup?token="},
		{"TLS on a port", []string{"--tls-cert", "c.pem", "--tls-key", "k.pem", "--addr", "0.0.0.0:8443"}, nil, "https://localhost:8443/admin/setup?token="},
		{"base URL environment", nil, map[string]string{"SAFEDESK_BASE_URL": "https://desk.example.org"}, "https://desk.example.org/admin/setup?token="},
		{"listen address", []string{"--addr", "0.0.0.0:9000"}, nil, "http://localhost:9000/admin/setup?token="},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			out, err := runCmd(t, append([]string{"setup-link", "--data", dir}, tt.args...)...)
			if err != nil || !strings.Contains(out, tt.want) {
				t.Fatalf("got %q, %v; want %s", out, err, tt.want)
			}
		})
	}
}

// TestCommandsRefuseStrayArguments is issue 12, item 17: an argument a
// command does not take is a usage error (exit 2), not ignored.
func TestCommandsRefuseStrayArguments(t *testing.T) {
	dir, _ := dataFolder(t)
	for _, args := range [][]string{
		{"setup-link", "--data", dir, "extra"}, {"version", "--json"}, {"version", "extra"}, {"help", "me"},
		{"token", "list", "--data", dir, "extra"}, {"client", "list", "--data", dir, "extra"},
		{"kb", "import", "--data", dir, "one", "two"}, {"serve", "--data", dir, "now"},
	} {
		out, err := runCmd(t, args...)
		isUsage(t, err, args)
		if err != nil && strings.Contains(err.Error(), "\n") {
			t.Errorf("%v: %q is more than one line", args, err)
		}
		if out != "" {
			t.Errorf("%v printed %q", args, out)
		}
	}
}

// TestKBImportRefuses is issue 12, item 17: kb import of a missing folder,
// of a file, of a folder without articles or with a badly named one fails
// with one line saying what to give it, and imports nothing.
func TestKBImportRefuses(t *testing.T) {
	dir, _ := dataFolder(t)
	articles := t.TempDir()
	file := filepath.Join(articles, "shipping-times.md")
	if err := os.WriteFile(file, []byte("# Shipping times\n\nParcels take three days.\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	badly := t.TempDir()
	for name, text := range map[string]string{"good-one.md": "# Good\n\nText.\n", "Shipping Times.md": "# Bad\n\nText.\n"} {
		if err := os.WriteFile(filepath.Join(badly, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for _, tt := range []struct{ name, arg, want string }{
		{"missing folder", filepath.Join(articles, "nope"), "there is no folder"},
		{"a file", file, "is a file"},
		{"no articles", t.TempDir(), "holds no .md files"},
		{"a bad file name", badly, "Shipping Times.md: the file name is the article's slug, its address /kb/NAME: use lowercase letters, digits and single hyphens, at most 80, like shipping-times.md"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			out, err := runCmd(t, "kb", "import", "--data", dir, tt.arg)
			storetest.OneLine(t, err, tt.want)
			var u usageError
			if errors.As(err, &u) || out != "" {
				t.Errorf("got %q and %v; want exit 1 and no output", out, err)
			}
		})
	}
	db, err := store.OpenDir(t.Context(), dir, "", false, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.GetArticle(t.Context(), "good-one", true); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("an import that failed left an article: %v", err)
	}
}

func TestKBImportCommand(t *testing.T) {
	dir, _ := dataFolder(t)
	articles := t.TempDir()
	if err := os.WriteFile(filepath.Join(articles, "shipping-times.md"), []byte("# Shipping times\n\nParcels take three days.\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := runCmd(t, "kb", "import", "--data", dir, articles)
	if err != nil || out != "imported 1 new and 0 updated articles\n" {
		t.Fatalf("kb import: %q, %v", out, err)
	}
}

func TestTokenCommand(t *testing.T) {
	dir, _ := dataFolder(t)
	out, err := runCmd(t, "token", "create", "--data", dir, "--scopes", "tickets:read,kb:read", "--name", "crm", "--ttl", "24h")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	token := lines[len(lines)-1]
	if !store.SecretLooksValid(token, store.PrefixToken) || !strings.HasPrefix(lines[0], `token 1 "crm" created: scopes `) {
		t.Fatalf("last line %q is not a token; output %q", token, out)
	}
	db := storetest.Open(t, dir)
	p, err := db.AuthenticateToken(t.Context(), token, netip.MustParseAddr("127.0.0.1"))
	if err != nil || !p.Has(store.ScopeKBRead) || p.Has(store.ScopeTicketsWrite) || p.ExpiresAt.IsZero() {
		t.Fatalf("token %+v: %v", p, err)
	}
	if out, err := runCmd(t, "token", "list", "--data", dir); err != nil || !strings.Contains(out, "1\tactive\t…") || !strings.Contains(out, "crm") || strings.Contains(out, token) {
		t.Errorf("list: %v %q", err, out)
	}
	if out, err := runCmd(t, "token", "revoke", "--data", dir, "1"); err != nil || out != "token 1 revoked\n" {
		t.Fatalf("revoke: %q, %v", out, err)
	}
	if _, err := db.AuthenticateToken(t.Context(), token, netip.MustParseAddr("127.0.0.1")); !errors.Is(err, store.ErrTokenInvalid) {
		t.Errorf("revoked token: %v", err)
	}
	_, err = runCmd(t, "token", "revoke", "--data", dir, "1")
	storetest.OneLine(t, err, "no active personal token 1")
	_, err = runCmd(t, "token", "create", "--data", dir, "--scopes", "kb:read", "--ttl", "-1h")
	isUsage(t, err, []string{"--ttl", "-1h"})
}

func TestClientCommand(t *testing.T) {
	dir, _ := dataFolder(t)
	out, err := runCmd(t, "client", "create", "--data", dir, "--scopes", "tickets:write", "--name", "shop")
	if err != nil {
		t.Fatal(err)
	}
	var id, secret string
	for _, line := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(line, "client_id "); ok {
			id = v
		}
		if v, ok := strings.CutPrefix(line, "client_secret "); ok {
			secret = v
		}
	}
	db := storetest.Open(t, dir)
	c, err := db.AuthenticateClient(t.Context(), id, secret, netip.MustParseAddr("127.0.0.1"))
	if err != nil || c.Name != "shop" {
		t.Fatalf("client %+v: %v (output %q)", c, err, out)
	}
	if out, err := runCmd(t, "client", "list", "--data", dir); err != nil || !strings.Contains(out, "\tactive\t"+id) {
		t.Errorf("list: %q, %v", out, err)
	}
	if out, err := runCmd(t, "client", "revoke", "--data", dir, strconv.FormatInt(c.ID, 10)); err != nil || !strings.Contains(out, "and its access tokens revoked") {
		t.Errorf("revoke: %q, %v", out, err)
	}
}

// auditFolder makes a data folder with n audit entries and a signed
// checkpoint of them; it returns the folder and the head seq.
func auditFolder(t *testing.T, n int) (string, int64) {
	t.Helper()
	dir, _ := storetest.DataFolder(t, 0)
	db := storetest.Open(t, dir)
	defer db.Close()
	for i := range n {
		if err := db.RecordAudit(t.Context(), store.SystemActor, "test.entry", "test:"+strconv.Itoa(i), nil); err != nil {
			t.Fatal(err)
		}
	}
	key, err := store.AuditSigningKey(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	cp, err := db.Checkpoint(t.Context(), key, store.CheckpointShutdown)
	if err != nil {
		t.Fatal(err)
	}
	return dir, cp.Seq
}

// tamper runs SQL on the database file through a second connection.
func tamper(t *testing.T, dir, query string, args ...any) {
	t.Helper()
	raw, err := sql.Open("sqlite", "file:"+filepath.Join(dir, store.DBName)+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(query, args...); err != nil {
		t.Fatal(err)
	}
}

func TestAuditCommand(t *testing.T) {
	t.Run("an intact log: exit 0 with the count", func(t *testing.T) {
		dir, head := auditFolder(t, 5)
		out, err := runCmd(t, "audit", "verify", "--data", dir)
		if err != nil {
			t.Fatal(err)
		}
		want := "audit log intact: " + strconv.FormatInt(head, 10) + " entries, head seq " + strconv.FormatInt(head, 10) + " hash "
		if !strings.HasPrefix(out, want) || !strings.Contains(out, "; 1 signed checkpoints verified, the newest at seq ") {
			t.Fatalf("output %q, want it to start %q and name the checkpoint", out, want)
		}
	})
	t.Run("an edited entry is named", func(t *testing.T) {
		dir, _ := auditFolder(t, 5)
		tamper(t, dir, "DROP TRIGGER audit_log_no_update; UPDATE audit_log SET target = 'test:x' WHERE seq = 3")
		out, err := runCmd(t, "audit", "verify", "--data", dir)
		if err == nil || !strings.Contains(err.Error(), "seq 3") || !strings.Contains(out, "BROKEN at seq 3") {
			t.Fatalf("got %v, %q; want a failure naming seq 3", err, out)
		}
	})
	t.Run("entries cut off after a checkpoint are detected", func(t *testing.T) {
		dir, head := auditFolder(t, 5)
		tamper(t, dir, "DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE seq = ?", head)
		_, err := runCmd(t, "audit", "verify", "--data", dir)
		if err == nil || !strings.Contains(err.Error(), "seq "+strconv.FormatInt(head, 10)) || !strings.Contains(err.Error(), "truncated") {
			t.Fatalf("got %v, want truncation at seq %d", err, head)
		}
	})
	t.Run("checkpoints need the key, which may be given as a public key", func(t *testing.T) {
		dir, _ := auditFolder(t, 3)
		pub, err := runCmd(t, "audit", "public-key", "--data", dir)
		if err != nil || !strings.HasPrefix(pub, "-----BEGIN PUBLIC KEY-----") {
			t.Fatalf("public-key: %q, %v", pub, err)
		}
		pubFile := filepath.Join(t.TempDir(), "audit.pub")
		if err := os.WriteFile(pubFile, []byte(pub), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Remove(filepath.Join(dir, store.AuditKeyName)); err != nil {
			t.Fatal(err)
		}
		if _, err := runCmd(t, "audit", "verify", "--data", dir); err == nil || !strings.Contains(err.Error(), "--public-key") {
			t.Fatalf("without the key: %v, want a request for --public-key", err)
		}
		if out, err := runCmd(t, "audit", "verify", "--data", dir, "--public-key", pubFile); err != nil || !strings.Contains(out, "intact") {
			t.Fatalf("with the public key: %q, %v", out, err)
		}
		other, _ := auditFolder(t, 1) // a checkpoint made with another key
		if _, err := runCmd(t, "audit", "verify", "--data", other, "--public-key", pubFile); err == nil {
			t.Fatal("checkpoints of another key verified")
		}
		_, err = runCmd(t, "audit", "public-key", "--data", dir)
		storetest.OneLine(t, err, "no audit signing key at")
	})
	t.Run("a readable signing key is refused", func(t *testing.T) {
		dir, _ := auditFolder(t, 1)
		if err := os.Chmod(filepath.Join(dir, store.AuditKeyName), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := runCmd(t, "audit", "verify", "--data", dir); !errors.Is(err, security.ErrKeyPermissions) {
			t.Fatalf("got %v, want ErrKeyPermissions", err)
		}
	})
	t.Run("no database", func(t *testing.T) {
		if _, err := runCmd(t, "audit", "verify", "--data", t.TempDir()); err == nil {
			t.Fatal("an empty folder verified")
		}
	})
}

// createBackup runs `backup create` and returns the path on its last line
// and the whole output.
func createBackup(t *testing.T, dir string, extra ...string) (string, string) {
	t.Helper()
	out, err := runCmd(t, append([]string{"backup", "create", "--data", dir}, extra...)...)
	if err != nil {
		t.Fatalf("backup create: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	path := lines[len(lines)-1]
	if !strings.HasPrefix(lines[0], "backup written: ") || !filepath.IsAbs(path) {
		t.Fatalf("output %q: want a first line that says so and an absolute path last", out)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("last line names no file: %v", err)
	}
	return path, out
}

func TestBackupCommands(t *testing.T) {
	dir, subjects := dataFolder(t)
	copyTo := t.TempDir()
	file, out := createBackup(t, dir, "--backup-copy-to", copyTo)
	id := filepath.Join(dir, backup.IdentityName)
	if !strings.Contains(out, "\ncopied to "+filepath.Join(copyTo, filepath.Base(file))+"\n") {
		t.Errorf("create does not say where the copy went: %q", out)
	}
	t.Run("list shows it", func(t *testing.T) {
		out, err := runCmd(t, "backup", "list", "--data", dir)
		if err != nil || !strings.HasPrefix(out, "TAKEN (UTC)") || !strings.Contains(out, filepath.Dir(file)) {
			t.Errorf("backup list = %q, %v", out, err)
		}
		if !strings.Contains(out, "KEPT BECAUSE") || !strings.Contains(out, "newest 1/3, daily ") {
			t.Errorf("backup list does not say why the ladder keeps the backup: %q", out)
		}
		if _, err := runCmd(t, "backup", "list", "--data", dir, "--backup-keep", "7x"); err == nil {
			t.Error("backup list took a bad --backup-keep")
		}
		if out, err := runCmd(t, "backup", "list", "--data", t.TempDir()); err != nil || !strings.HasPrefix(out, "no backups in ") {
			t.Errorf("backup list of an empty folder = %q, %v", out, err)
		}
	})
	t.Run("verify passes, flags after the file", func(t *testing.T) {
		out, err := runCmd(t, "backup", "verify", file, "--identity", id, "--data", dir)
		if err != nil || !strings.HasPrefix(out, "ok: "+file+"\nsnapshot: ") || !strings.Contains(out, "signed checkpoints verify") {
			t.Errorf("backup verify = %q, %v", out, err)
		}
	})
	t.Run("a failed verify prints nothing and names the problem", func(t *testing.T) {
		other := t.TempDir()
		if _, err := backup.EnsureIdentity(other); err != nil {
			t.Fatal(err)
		}
		out, err := runCmd(t, "backup", "verify", file, "--identity", filepath.Join(other, backup.IdentityName), "--data", dir)
		storetest.OneLine(t, err, "wrong identity")
		if out != "" {
			t.Errorf("printed %q on failure", out)
		}
	})

	target := t.TempDir()
	t.Run("restore refuses a folder without master.key", func(t *testing.T) {
		_, err := runCmd(t, "backup", "restore", file, "--identity", id, "--data", target)
		storetest.OneLine(t, err, "master.key missing")
	})
	key, err := os.ReadFile(filepath.Join(dir, store.MasterKeyName))
	if err != nil {
		t.Fatal(err)
	}
	if err := security.WriteFileAtomic(filepath.Join(target, store.MasterKeyName), key, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err = runCmd(t, "backup", "restore", file, "--identity", id, "--data", target)
	if err != nil || !strings.HasPrefix(out, "restored "+filepath.Base(file)+" into ") || !strings.Contains(out, "safedesk serve --data "+target) {
		t.Fatalf("restore: %q, %v", out, err)
	}
	t.Run("the tickets read back through the server", func(t *testing.T) {
		readThroughServer(t, storetest.Open(t, target), subjects)
	})
	t.Run("a live folder is refused without --force", func(t *testing.T) {
		_, err := runCmd(t, "backup", "restore", file, "--identity", id, "--data", target)
		storetest.OneLine(t, err, "live database")
	})
	t.Run("--force keeps a safety copy and says where, and keeps erasures", func(t *testing.T) {
		db := storetest.Open(t, target)
		if _, err := db.EraseCustomer(t.Context(), 2, store.CLIActor); err != nil {
			t.Fatal(err)
		}
		db.Close()
		out, err := runCmd(t, "backup", "restore", "--force", file, "--identity", id, "--data", target)
		matches, _ := filepath.Glob(filepath.Join(target, store.DBName) + ".pre-restore-*")
		if err != nil || len(matches) != 1 || !strings.Contains(out, "the database it replaced is kept as "+matches[0]) {
			t.Fatalf("safety copies %v; output %q, %v", matches, out, err)
		}
		if !strings.Contains(out, "erased again 1 customer that "+filepath.Join(target, store.ErasureJournalName)) || !strings.Contains(out, "\n  customer 2, erased ") {
			t.Errorf("restore does not say whom it erased again: %q", out)
		}
		if _, err := storetest.Open(t, target).GetCustomer(t.Context(), 2); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("the erased customer is back after the restore: %v", err)
		}
	})
}

// readThroughServer checks, through a web server over db, that a customer
// who verifies their address sees their ticket and no one else's.
func readThroughServer(t *testing.T, db *store.DB, subjects []string) {
	t.Helper()
	log := slog.New(slog.DiscardHandler)
	sender, err := mail.New("", "", log)
	if err != nil {
		t.Fatal(err)
	}
	outbox := mail.NewOutbox(sender, log)
	defer outbox.Wait()
	base, _ := url.Parse("http://localhost")
	mon, err := monitor.New(t.Context(), db, outbox, log, monitor.Options{Site: mail.Site{BaseURL: base}})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := web.New(web.Config{BaseURL: base}, db, outbox, mon, log)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	issued, err := db.IssueCode(t.Context(), store.CodeRequest{Email: "c1@example.com"}, store.Actor{Type: store.ActorVisitor})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := c.PostForm(ts.URL+"/verify", url.Values{"email": {"c1@example.com"}, "code": {issued.Code}})
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(body), subjects[1]) {
		t.Errorf("the customer's tickets page (status %d) lacks %q", resp.StatusCode, subjects[1])
	}
	if strings.Contains(string(body), subjects[0]) {
		t.Errorf("the customer's tickets page shows another customer's ticket")
	}
}

func TestBackupPassphraseCommands(t *testing.T) {
	dir, _ := dataFolder(t)
	pass := filepath.Join(t.TempDir(), "passphrase")
	if err := os.WriteFile(pass, []byte("correct horse battery staple\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	file, _ := createBackup(t, dir, "--backup-passphrase-file", pass)
	if out, err := runCmd(t, "backup", "verify", file, "--passphrase-file", pass, "--data", dir); err != nil || !strings.HasPrefix(out, "ok: ") {
		t.Fatalf("verify with the passphrase: %q, %v", out, err)
	}
	if err := os.Chmod(pass, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := runCmd(t, "backup", "create", "--data", dir, "--backup-passphrase-file", pass)
	storetest.OneLine(t, err, "chmod 600")
}

func TestKeysRotateCommand(t *testing.T) {
	dir, _ := dataFolder(t)
	keyFile := filepath.Join(dir, store.MasterKeyName)
	out, err := runCmd(t, "keys", "rotate", "--data", dir)
	if err != nil {
		t.Fatalf("keys rotate: %v", err)
	}
	for _, want := range []string{"re-wrapped ", "new key: " + keyFile + "\n", "previous key: " + keyFile + ".prev, kept until the next successful backup\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("output %q lacks %q", out, want)
		}
	}
	_, err = runCmd(t, "keys", "rotate", "--data", dir)
	storetest.OneLine(t, err, "make a backup first")
	t.Run("refused beside a running server", func(t *testing.T) {
		release, err := store.LockDir(dir, false)
		if err != nil {
			t.Fatal(err)
		}
		defer release()
		_, err = runCmd(t, "keys", "rotate", "--data", dir)
		storetest.OneLine(t, err, "stop it first")
	})
	_, err = runCmd(t, "keys", "rotate", "--data", t.TempDir())
	storetest.OneLine(t, err, "no database in")
}

func TestDoctorCommand(t *testing.T) {
	dir, _ := dataFolder(t)
	out, err := runCmd(t, "doctor", "--data", dir)
	if err == nil || !strings.Contains(err.Error(), "checks failed") {
		t.Fatalf("got %v, want a failure (exit 1)\n%s", err, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	verdicts := map[string]string{}
	for _, l := range lines[:len(lines)-1] {
		f := strings.Fields(l)
		if len(f) < 3 || (f[0] != "PASS" && f[0] != "WARN" && f[0] != "FAIL") {
			t.Fatalf("not a check line: %q", l)
		}
		if f[0] != "PASS" && !strings.Contains(l, " — fix: ") {
			t.Errorf("%s without a fix: %q", f[0], l)
		}
		verdicts[f[1]] = f[0]
	}
	for name, v := range map[string]string{"tls": "FAIL", "smtp": "FAIL", "backups": "FAIL", "master-key": "PASS", "database": "PASS", "audit": "PASS"} {
		if verdicts[name] != v {
			t.Errorf("%s: %s, want %s", name, verdicts[name], v)
		}
	}
	if last := lines[len(lines)-1]; !strings.HasSuffix(last, "failed") || !strings.Contains(last, " passed, ") {
		t.Errorf("no summary line: %q", last)
	}
	t.Run("it takes the server's flags", func(t *testing.T) {
		out, _ := runCmd(t, "doctor", "--data", dir, "--smtp", "smtps://mailer:s3cret-pass@mail.example.com:465", "--mail-from", "support@example.com")
		if !strings.Contains(out, "PASS  smtp") || strings.Contains(out, "s3cret-pass") {
			t.Errorf("doctor with --smtp:\n%s", out)
		}
	})
}

// TestServeReadsMailbox: serve with --imap reads the support mailbox
// (woken at start, then by IDLE) and makes tickets of the mail in it; the
// mailbox password, given in the environment, is in no log line.
func TestServeReadsMailbox(t *testing.T) {
	imap := mailtest.NewIMAPServer(t)
	t.Setenv("SAFEDESK_IMAP_PASSWORD", mailtest.Password)
	dir := t.TempDir()
	stop, _, stderr := serveUntil(t, "--data", dir, "--mail-from", "Northwind <support@northwind.example>", "--imap", imap.URL(),
		"--mail-authserv-id", "mx.google.com")
	imap.Deliver(t, mailtest.Fixture(t, "gmail-new.eml"))
	waitCount(t, dir, "SELECT COUNT(*) FROM tickets WHERE channel = 'email' AND confirmed = 1", 1)
	waitCount(t, dir, "SELECT COUNT(*) FROM email_mailboxes WHERE ok_at IS NOT NULL", 1)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(stderr.String(), mailtest.Password) {
		t.Error("the mailbox password is in the log")
	}
}

// serveUntil runs `safedesk serve` on a free port until the test stops it
// with the returned function, which reports how serve ended.
func serveUntil(t *testing.T, args ...string) (stop func() error, stdout, stderr *syncBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stdout, stderr = &syncBuffer{}, &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0", "--log-format", "text"}, args...), stdout, stderr)
	}()
	stopped := false
	stop = func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(30 * time.Second):
			t.Fatal("serve did not stop within 30s of its context ending")
			return nil
		}
	}
	t.Cleanup(func() { stop() })
	deadline := time.After(30 * time.Second)
	for !strings.Contains(stdout.String(), "safedesk: serving") {
		select {
		case err := <-done:
			stopped = true
			t.Fatalf("serve ended before serving: %v\n%s", err, stderr.String())
		case <-deadline:
			t.Fatalf("serve did not start within 30s\n%s", stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	return stop, stdout, stderr
}

// waitFor polls cond until it holds, for at most a minute (a bound, not a
// speed claim).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); !cond(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after a minute", what)
		}
	}
}

// waitCount polls a count in the data folder's database until it reaches
// want.
func waitCount(t *testing.T, dir, query string, want int) {
	t.Helper()
	conn, err := sql.Open("sqlite", "file:"+filepath.Join(dir, store.DBName)+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	waitFor(t, fmt.Sprintf("%s reaching %d", query, want), func() bool {
		n := 0
		return conn.QueryRow(query).Scan(&n) == nil && n >= want
	})
}

// dialOnLink is the log of a server starting on addr: when the setup link
// is logged it connects to addr, as a person opening the link would, and
// records whether anything listened.
type dialOnLink struct {
	syncBuffer
	addr     string
	mu       sync.Mutex
	answered []bool
}

func (d *dialOnLink) Write(p []byte) (int, error) {
	if bytes.Contains(p, []byte("setup_link=")) {
		conn, err := net.Dial("tcp", d.addr)
		if err == nil {
			conn.Close()
		}
		d.mu.Lock()
		d.answered = append(d.answered, err == nil)
		d.mu.Unlock()
	}
	return d.syncBuffer.Write(p)
}

// TestServeSetupLinkWorksWhenPrinted is issue 12, item 16: the server
// listens before it prints the setup link, a restart keeps an unused link
// working (it says until when, as only its hash is kept), and a link
// replaced by setup-link says so.
func TestServeSetupLinkWorksWhenPrinted(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	start := func() *dialOnLink {
		log := &dialOnLink{addr: addr}
		ctx, cancel := context.WithCancel(t.Context())
		var out syncBuffer
		done := make(chan error, 1)
		go func() {
			done <- run(ctx, []string{"serve", "--data", dir, "--addr", addr, "--backup-schedule", "off"}, &out, log)
		}()
		waitFor(t, "the server serving", func() bool { return strings.Contains(out.String(), "safedesk: serving") })
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("serve: %v\n%s", err, log.String())
		}
		return log
	}
	first := start()
	if len(first.answered) != 1 || !first.answered[0] {
		t.Fatalf("the setup link was printed %d times, answered %v: want once, with the server listening\n%s", len(first.answered), first.answered, first.String())
	}
	token := regexp.MustCompile(`token=([A-Za-z0-9_-]+)`).FindStringSubmatch(first.String())
	if token == nil {
		t.Fatalf("no token in the log:\n%s", first.String())
	}
	second := start()
	if len(second.answered) != 0 || !strings.Contains(second.String(), "still works until") {
		t.Errorf("a restart printed a new link or did not mention the one that works:\n%s", second.String())
	}
	out, err := runCmd(t, "setup-link", "--data", dir, "--addr", addr)
	if err != nil || !strings.Contains(out, "/admin/setup?token=") {
		t.Fatalf("setup-link: %q, %v", out, err)
	}
	db, err := store.OpenDir(t.Context(), dir, "", false, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.GetInvite(t.Context(), "setup", token[1]); !errors.Is(err, store.ErrInviteReplaced) {
		t.Errorf("the link kept over the restart, after setup-link: %v, want ErrInviteReplaced", err)
	}
}

func TestServeFirstStartMakesBackupIdentity(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	stop, stdout, stderr := serveUntil(t, "--data", dir, "--backup-schedule", "off")
	if err := stop(); err != nil {
		t.Fatalf("serve: %v", err)
	}
	if !strings.HasPrefix(stdout.String(), "safedesk: serving http://localhost:") {
		t.Errorf("stdout %q", stdout.String())
	}
	idPath := filepath.Join(dir, backup.IdentityName)
	log := stderr.String()
	for _, want := range []string{"BACKUP IDENTITY CREATED", "MOVE " + idPath + " OFF THIS SERVER", "created a new master key", "DEVELOPMENT MODE", `setup_link="http://localhost:`, "safedesk stopped"} {
		if !strings.Contains(log, want) {
			t.Errorf("the first start's log lacks %q:\n%s", want, log)
		}
	}
	for name, mode := range map[string]os.FileMode{backup.IdentityName: 0o600, backup.RecipientsName: 0o644, store.AuditKeyName: 0o600} {
		if info, err := os.Stat(filepath.Join(dir, name)); err != nil || info.Mode().Perm() != mode {
			t.Errorf("%s: %v, %v; want mode %04o", name, info, err, mode)
		}
	}
	t.Run("later starts remind that it is still here", func(t *testing.T) {
		stop, _, stderr := serveUntil(t, "--data", dir, "--backup-schedule", "off")
		if err := stop(); err != nil {
			t.Fatal(err)
		}
		if log := stderr.String(); strings.Contains(log, "CREATED") || !strings.Contains(log, "still on this server") {
			t.Errorf("second start log:\n%s", log)
		}
	})
	t.Run("a second server on the folder is refused", func(t *testing.T) {
		stop, _, _ := serveUntil(t, "--data", dir, "--backup-schedule", "off")
		defer stop()
		_, err := runCmd(t, "serve", "--addr", "127.0.0.1:0", "--data", dir)
		storetest.OneLine(t, err, "stop it first")
	})
}

func TestServeSchedulesBackupsAndDrills(t *testing.T) {
	dir, _ := dataFolder(t)
	copyTo := t.TempDir()
	stop, _, stderr := serveUntil(t, "--data", dir, "--backup-schedule", "@every 1s", "--backup-keep", "7d",
		"--backup-copy-to", copyTo, "--backup-identity", filepath.Join(dir, backup.IdentityName), "--backup-drill-schedule", "@every 1s")

	t.Run("a server holding the data folder refuses a rotation", func(t *testing.T) {
		_, err := runCmd(t, "keys", "rotate", "--data", dir)
		storetest.OneLine(t, err, "stop it first")
	})

	waitCount(t, dir, "SELECT count(*) FROM backup_runs WHERE kind = 'backup' AND ok = 1", 3)
	waitCount(t, dir, "SELECT count(*) FROM backup_runs WHERE kind = 'drill' AND ok = 1", 1)
	if err := stop(); err != nil {
		t.Fatalf("serve: %v\n%s", err, stderr.String())
	}

	// Every scheduled backup happened on this UTC day (or two): the 7-day
	// rung keeps the newest of each, in both folders, and nothing else.
	var names [2][]string
	for i, folder := range []string{filepath.Join(dir, "backups"), copyTo} {
		entries, err := backup.List(folder)
		if err != nil {
			t.Fatal(err)
		}
		if _, remove := backup.Select(entries, backup.Policy{Days: 7}, time.Now()); len(remove) > 0 || len(entries) == 0 || len(entries) > 2 {
			t.Errorf("%s holds %d backups, %d beyond the ladder", folder, len(entries), len(remove))
		}
		for _, e := range entries {
			names[i] = append(names[i], e.Name)
		}
	}
	if !slices.Equal(names[0], names[1]) {
		t.Errorf("the copy folder holds %v, the backups folder %v", names[1], names[0])
	}
	if !strings.Contains(stderr.String(), "restore drill passed") {
		t.Error("no drill in the log")
	}
}

func TestServeBackupFailureAlerts(t *testing.T) {
	dir, _ := dataFolder(t)
	db := storetest.Open(t, dir)
	token, err := db.CreateSetupLink(t.Context(), store.SystemActor)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.EnrollStaff(t.Context(), "setup", token, store.Enrollment{Name: "Olive Owner", Email: "olive@example.com",
		UserHandle: []byte("olive-handle-0001"), Passkey: store.NewPasskey{CredentialID: []byte("olive-cred"), Credential: []byte("{}")}},
		store.Actor{Type: store.ActorVisitor}); err != nil {
		t.Fatal(err)
	}
	db.Close()

	stop, _, stderr := serveUntil(t, "--data", dir, "--backup-schedule", "@every 1s")
	// Recipients removed while the server runs: the next backup fails.
	if err := os.Remove(filepath.Join(dir, backup.RecipientsName)); err != nil {
		t.Fatal(err)
	}
	waitCount(t, dir, "SELECT count(*) FROM security_events WHERE kind = 'backup.failed' AND severity = 'critical'", 1)
	waitCount(t, dir, "SELECT count(*) FROM backup_runs WHERE kind = 'backup' AND ok = 0", 1)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	log := stderr.String()
	if !strings.Contains(log, "BACKUP ALERT") {
		t.Error("no alert in the log")
	}
	// Development mode: the mail to the owner goes through the web mailer,
	// which writes it to the log.
	if !strings.Contains(log, `subject="safedesk: backup failed"`) || !strings.Contains(log, security.MaskEmail("olive@example.com")) {
		t.Errorf("no alert mail to the owner in the log:\n%s", log)
	}
}

// TestServeSignsCheckpointAtShutdown: serve creates the signing key and,
// when it stops, signs a checkpoint that audit verify then holds the log to.
func TestServeSignsCheckpointAtShutdown(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	stop, _, stderr := serveUntil(t, "--data", dir, "--backup-schedule", "off", "--demo")
	if err := stop(); err != nil {
		t.Fatalf("serve: %v\n%s", err, stderr)
	}
	if !strings.Contains(stderr.String(), "demo knowledge base loaded") {
		t.Errorf("no demo articles in the log:\n%s", stderr)
	}
	out, err := runCmd(t, "audit", "verify", "--data", dir)
	if err != nil || !strings.Contains(out, "1 signed checkpoints verified") {
		t.Fatalf("verify after serve: %q, %v", out, err)
	}
	if cps, err := storetest.Open(t, dir).ListCheckpoints(t.Context(), 1); err != nil || len(cps) != 1 || cps[0].Reason != store.CheckpointShutdown {
		t.Errorf("checkpoints %+v, %v; want the shutdown's", cps, err)
	}
}

// TestServeUpgrades: serve, finding a migration to apply, first writes a
// backup of the database as it was (schema in its manifest) and says so;
// a database from a newer safedesk is refused with a clear message.
func TestServeUpgrades(t *testing.T) {
	dir, _ := dataFolder(t)
	cfg, err := parseServeConfig("serve", []string{"--data", dir, "--addr", "127.0.0.1:0", "--backup-schedule", "off", "--log-format", "text"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	cfg.migrations = storetest.NextMigration(t, "CREATE TABLE upgrade_probe (id INTEGER PRIMARY KEY);")
	ctx, cancel := context.WithCancel(t.Context())
	stdout, logs := &syncBuffer{}, &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- serve(ctx, cfg, stdout, slog.New(slog.NewTextHandler(logs, nil))) }()
	waitFor(t, "serving", func() bool { return strings.Contains(stdout.String(), "safedesk: serving") })
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v\n%s", err, logs)
	}
	entries, err := backup.List(filepath.Join(dir, "backups"))
	if err != nil || len(entries) != 1 || entries[0].Manifest == nil || entries[0].Manifest.SchemaVersion != store.SchemaVersion() {
		t.Fatalf("backups after the upgrade: %+v, %v; want one of schema %d", entries, err, store.SchemaVersion())
	}
	if !strings.Contains(logs.String(), "backed up before its upgrade") {
		t.Errorf("the log does not say so:\n%s", logs)
	}

	// This binary has no test migration: the upgraded database is newer.
	_, err = runCmd(t, "serve", "--data", dir, "--addr", "127.0.0.1:0", "--backup-schedule", "off")
	if !errors.Is(err, store.ErrNewerSchema) || !strings.Contains(err.Error(), "restore the backup taken before the upgrade") {
		t.Fatalf("serve on a newer database: %v", err)
	}
}

// TestServeLogsJSONUnderSystemd: under systemd (INVOCATION_ID set) the log
// is JSON by default, one line per request with the route pattern, the
// status, the duration and the request id; SIGHUP, which systemctl reload
// sends, does not end a server that has no certificate to read again.
func TestServeLogsJSONUnderSystemd(t *testing.T) {
	t.Setenv("INVOCATION_ID", "0123456789abcdef0123456789abcdef")
	stop, stdout, stderr := serveUntil(t, "--data", filepath.Join(t.TempDir(), "data"), "--backup-schedule", "off", "--log-format", "auto")
	defer stop()
	addr, _ := strings.CutPrefix(strings.TrimSpace(stdout.String()), "safedesk: serving http://127.0.0.1:")
	_, port, _ := strings.Cut(addr, "(listening on 127.0.0.1:")
	port = strings.TrimSuffix(port, ")")
	resp, err := http.Get("http://127.0.0.1:" + port + "/kb/no-such-article")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the reload in the log", func() bool { return strings.Contains(stderr.String(), "nothing to read again") })
	if err := stop(); err != nil {
		t.Fatalf("serve after SIGHUP: %v", err)
	}
	var line map[string]any
	for l := range strings.Lines(stderr.String()) {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("not a JSON line: %q", l)
		}
		if m["msg"] == "request" {
			line = m
		}
	}
	if line == nil || line["route"] != "GET /kb/{slug}" || line["status"] != float64(404) || line["request_id"] != resp.Header.Get("X-Request-Id") {
		t.Fatalf("request line %v; want route GET /kb/{slug}, status 404 and request id %q", line, resp.Header.Get("X-Request-Id"))
	}
	if _, ok := line["ms"].(float64); !ok {
		t.Errorf("request line has no duration: %v", line)
	}
}

// TestSystemdUnitCommand: systemd-unit prints a unit for this binary and
// its flags that systemd-analyze verify accepts: the dedicated user, the
// data folder as StateDirectory, the secrets through LoadCredential= read
// by their -file flags, the sandbox of issue 18, reload by SIGHUP, and
// CAP_NET_BIND_SERVICE only for a port below 1024.
func TestSystemdUnitCommand(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	unit, err := runCmd(t, "systemd-unit", "--addr", ":443", "--acme-domain", "help.example.com", "--trusted-proxies", "",
		"--smtp", "smtp://desk@mail.example.com:587", "--smtp-password-file", "/etc/safedesk/smtp-password", "--mail-from", "support@example.com",
		"--backup-schedule", "0 2 * * *", "--backup-copy-to", "/mnt/offsite")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		"\nExecStart=" + exe + " serve --data /var/lib/safedesk ", ` "--backup-schedule=0 2 * * *" `, " --addr=:443 ",
		" --master-key-file=%d/master.key", " --smtp-password-file=%d/smtp-password",
		"\nUser=safedesk\n", "\nStateDirectory=safedesk\n", "\nExecReload=/bin/kill -HUP $MAINPID\n",
		"\nLoadCredential=master.key:/etc/safedesk/master.key\n", "\nLoadCredential=audit-signing.key:/etc/safedesk/audit-signing.key\n",
		"\nLoadCredential=smtp-password:/etc/safedesk/smtp-password\n", "\nReadWritePaths=/mnt/offsite\n",
		"\nProtectSystem=strict\n", "\nProtectHome=yes\n", "\nPrivateTmp=yes\n", "\nNoNewPrivileges=yes\n",
		"\nCapabilityBoundingSet=CAP_NET_BIND_SERVICE\n", "\nAmbientCapabilities=CAP_NET_BIND_SERVICE\n",
		"\nSystemCallFilter=@system-service\n", "\nRestrictAddressFamilies=AF_UNIX AF_INET AF_INET6\n", "\nMemoryDenyWriteExecute=yes\n",
	} {
		if !strings.Contains(unit, want) {
			t.Errorf("unit lacks %q", want)
		}
	}
	if strings.Contains(unit, "smtp-password-file=/etc") {
		t.Error("the password file is read by the service itself, not through its credential")
	}
	verifyUnit(t, unit)

	t.Run("no capability on a high port", func(t *testing.T) {
		unit, err := runCmd(t, "systemd-unit", "--base-url", "https://help.example.com", "--trusted-proxies", "127.0.0.1/32", "--master-key-file", "/srv/keys/master.key")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(unit, "\nCapabilityBoundingSet=\n") || strings.Contains(unit, "AmbientCapabilities") || strings.Contains(unit, "--addr") {
			t.Errorf("unit for 127.0.0.1:8080 grants a capability or repeats a default:\n%s", unit)
		}
		if !strings.Contains(unit, "\nLoadCredential=master.key:/srv/keys/master.key\nLoadCredential=audit-signing.key:/srv/keys/audit-signing.key\n") {
			t.Errorf("the master key and its signing key do not come from /srv/keys:\n%s", unit)
		}
		verifyUnit(t, unit)
	})
}

// TestServeFromSystemdCredentials runs the server the way the unit does:
// keys made by keys init, then read from the folder systemd hands the
// service (CREDENTIALS_DIRECTORY, a copy whose mode shows the ACL that
// grants the service user read access as group bits).
func TestServeFromSystemdCredentials(t *testing.T) {
	secrets, creds := t.TempDir(), t.TempDir()
	out, err := runCmd(t, "keys", "init", "--master-key-file", filepath.Join(secrets, "master.key"))
	if err != nil || !strings.Contains(out, "made a new master key") {
		t.Fatalf("keys init: %q, %v", out, err)
	}
	for _, name := range []string{"master.key", store.AuditKeyName} {
		b, err := os.ReadFile(filepath.Join(secrets, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(creds, name), b, 0o440); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(creds, 0o500); err != nil {
		t.Fatal(err)
	}
	t.Setenv("CREDENTIALS_DIRECTORY", creds)
	dir := filepath.Join(t.TempDir(), "data")
	stop, _, stderr := serveUntil(t, "--data", dir, "--master-key-file", filepath.Join(creds, "master.key"), "--backup-schedule", "off")
	if err := stop(); err != nil {
		t.Fatalf("serve: %v\n%s", err, stderr)
	}
	if _, err := os.Stat(filepath.Join(dir, store.MasterKeyName)); err == nil {
		t.Error("the server made a master key of its own in the data folder")
	}
	key := filepath.Join(secrets, "master.key")
	if out, err := runCmd(t, "audit", "verify", "--data", dir, "--master-key-file", key); err != nil || !strings.Contains(out, "signed checkpoints verified") {
		t.Errorf("audit verify with the key kept in %s: %q, %v", secrets, out, err)
	}
	file, _ := createBackup(t, dir, "--master-key-file", key)
	target := t.TempDir()
	if out, err := runCmd(t, "backup", "restore", file, "--identity", filepath.Join(dir, backup.IdentityName), "--data", target, "--master-key-file", key); err != nil {
		t.Errorf("restore with the key kept in %s: %q, %v", secrets, out, err)
	}
}

// verifyUnit runs systemd-analyze verify on unit; it skips without it,
// unless CI is set.
func verifyUnit(t *testing.T, unit string) {
	t.Helper()
	analyze, err := exec.LookPath("systemd-analyze")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("systemd-analyze is missing (Debian package systemd; .ci/run installs it)")
		}
		t.Skip("systemd-analyze is missing: install Debian's systemd package to verify the unit")
	}
	file := filepath.Join(t.TempDir(), "safedesk.service")
	if err := os.WriteFile(file, []byte(unit), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(analyze, "verify", file).CombinedOutput()
	if err != nil || len(bytes.TrimSpace(out)) > 0 {
		t.Fatalf("systemd-analyze verify: %v\n%s\n%s", err, out, unit)
	}
}

// nginxProxy is the location block of README's nginx recipe ("Behind a
// reverse proxy"), which TestBehindNginx runs.
const nginxProxy = `
        client_max_body_size 25m;
        location / {
            proxy_pass http://%s;
            proxy_http_version 1.1;
            proxy_set_header Host $host;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_read_timeout 300s;
        }`

// startNginx runs Debian's nginx as this user, on a free loopback port,
// ending TLS with cert and key and passing everything to upstream with
// nginxProxy; it returns the port and stops nginx when the test ends.
func startNginx(t *testing.T, upstream, cert, key string) string {
	t.Helper()
	bin, err := exec.LookPath("nginx")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("nginx is missing (Debian package nginx; .ci/run installs it)")
		}
		t.Skip("nginx is missing: install Debian's nginx package to run the reverse-proxy test")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	dir := t.TempDir()
	conf := fmt.Sprintf(`daemon off;
master_process off;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log;
events { worker_connections 64; }
http {
    access_log %[1]s/access.log;
    client_body_temp_path %[1]s/body;
    proxy_temp_path %[1]s/proxy;
    fastcgi_temp_path %[1]s/fastcgi;
    uwsgi_temp_path %[1]s/uwsgi;
    scgi_temp_path %[1]s/scgi;
    server {
        listen %[2]s ssl;
        server_name example.com;
        ssl_certificate %[3]s;
        ssl_certificate_key %[4]s;`+nginxProxy+`
    }
}
`, dir, addr, cert, key, upstream)
	if err := os.WriteFile(filepath.Join(dir, "nginx.conf"), []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-p", dir, "-c", filepath.Join(dir, "nginx.conf"), "-e", filepath.Join(dir, "error.log"))
	var out syncBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGQUIT)
		<-exited
	})
	waitFor(t, "nginx listening", func() bool {
		select {
		case err := <-exited:
			logs, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Fatalf("nginx ended: %v\n%s%s", err, out.String(), logs)
		default:
		}
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	return addr
}

// clientFrom is an HTTPS client of https://example.com that reaches
// nginx at proxy from the loopback address from, as a visitor on its own
// machine would: one address, its own cookies.
func clientFrom(t *testing.T, proxy, from string, roots *x509.CertPool) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: 5 * time.Second}
	return &http.Client{
		Jar: jar,
		Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: roots, ServerName: "example.com"},
			DialContext:     func(ctx context.Context, _, _ string) (net.Conn, error) { return d.DialContext(ctx, "tcp", proxy) },
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       30 * time.Second,
	}
}

// TestBehindNginx runs `safedesk serve` behind Debian's nginx, set up as
// README says, and proves what an operator relies on: the client address
// that the rate limits, the abuse guard, the records and the log see is
// the visitor's, from X-Forwarded-For; an X-Forwarded-For that the visitor
// forges is not believed; HSTS and Secure __Host- cookies follow the https
// base URL; a large body reaches safedesk, which decides on its size; the
// chat's polling passes with its cookie.
func TestBehindNginx(t *testing.T) {
	cert, key, roots := testCertFiles(t, t.TempDir())
	dir := filepath.Join(t.TempDir(), "data")
	const burst = 8
	stop, stdout, stderr := serveUntil(t, "--data", dir, "--base-url", "https://example.com", "--trusted-proxies", "127.0.0.1/32",
		"--abuse-exempt", "none", "--client-limit", fmt.Sprintf("1/h,%d", burst), "--backup-schedule", "off", "--demo")
	defer stop()
	_, upstream, _ := strings.Cut(stdout.String(), "(listening on ")
	upstream, _, _ = strings.Cut(upstream, ")")
	proxy := startNginx(t, upstream, cert, key)
	do := func(c *http.Client, method, path, forged string, body io.Reader, form bool) *http.Response {
		t.Helper()
		req, err := http.NewRequest(method, "https://example.com"+path, body)
		if err != nil {
			t.Fatal(err)
		}
		if forged != "" {
			req.Header.Set("X-Forwarded-For", forged)
		}
		if form {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}

	t.Run("limits key on the visitor, not on the proxy or a forged header", func(t *testing.T) {
		a := clientFrom(t, proxy, "127.0.0.2", roots)
		for i := range burst {
			if resp := do(a, "GET", "/kb", fmt.Sprintf("203.0.113.%d", i+1), nil, false); resp.StatusCode != http.StatusOK {
				t.Fatalf("request %d: %d", i+1, resp.StatusCode)
			}
		}
		if resp := do(a, "GET", "/kb", "203.0.113.99", nil, false); resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("X-Request-Id") == "" {
			t.Fatalf("past the burst with yet another forged address: %d, want safedesk's 429", resp.StatusCode)
		}
		b := clientFrom(t, proxy, "127.0.0.3", roots)
		if resp := do(b, "GET", "/kb", "", nil, false); resp.StatusCode != http.StatusOK {
			t.Fatalf("another visitor behind the same proxy: %d, want 200", resp.StatusCode)
		}
	})
	t.Run("records and logs name the visitor", func(t *testing.T) {
		c := clientFrom(t, proxy, "127.0.0.4", roots)
		do(c, "GET", "/.env", "198.51.100.7", nil, false) // a probe: a security event
		waitCount(t, dir, "SELECT count(*) FROM security_events WHERE client_ip = '127.0.0.4'", 1)
		conn, err := sql.Open("sqlite", "file:"+filepath.Join(dir, store.DBName)+"?mode=ro&_pragma=busy_timeout(5000)")
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		var wrong int
		if err := conn.QueryRow("SELECT count(*) FROM security_events WHERE client_ip NOT IN ('127.0.0.2', '127.0.0.3', '127.0.0.4', '127.0.0.5', '127.0.0.6')").Scan(&wrong); err != nil || wrong != 0 {
			t.Errorf("%d security events name another client (%v)", wrong, err)
		}
		logs := stderr.String()
		if !strings.Contains(logs, "ip=127.0.0.2 ") || !strings.Contains(logs, "ip=127.0.0.4 ") || strings.Contains(logs, "ip=203.0.113.") || strings.Contains(logs, "ip=127.0.0.1 ") {
			t.Errorf("the request log does not name the visitors alone:\n%s", logs)
		}
	})
	t.Run("HSTS and Secure cookies follow the https base URL", func(t *testing.T) {
		c := clientFrom(t, proxy, "127.0.0.5", roots)
		resp := do(c, "POST", "/chat/consent", "", strings.NewReader("consent=yes"), true)
		if resp.Header.Get("Strict-Transport-Security") == "" {
			t.Error("no HSTS behind the proxy")
		}
		var cookie string
		for _, sc := range resp.Header.Values("Set-Cookie") {
			if strings.HasPrefix(sc, "__Host-") {
				cookie = sc
			}
		}
		if !strings.Contains(cookie, "; Secure") || !strings.Contains(cookie, "HttpOnly") {
			t.Fatalf("session cookie %q (all: %q), want __Host- and Secure", cookie, resp.Header.Values("Set-Cookie"))
		}
		t.Run("the chat's polling passes with it", func(t *testing.T) {
			if resp := do(c, "POST", "/chat/messages", "", strings.NewReader("message=My+grinder+jams"), true); resp.StatusCode >= 400 {
				t.Fatalf("chat message: %d", resp.StatusCode)
			}
			req, _ := http.NewRequest("GET", "https://example.com/chat/poll?after=0", nil)
			resp, err := c.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "My grinder jams") {
				t.Errorf("poll: %d %s", resp.StatusCode, body)
			}
		})
	})
	t.Run("large bodies reach safedesk, which decides on their size", func(t *testing.T) {
		c := clientFrom(t, proxy, "127.0.0.6", roots)
		for _, tt := range []struct {
			size     int
			tooLarge bool
		}{{900 << 10, false}, {2 << 20, true}} {
			form := "email=kim%40example.org&subject=Big&body=" + strings.Repeat("x", tt.size)
			resp := do(c, "POST", "/tickets/new", "", strings.NewReader(form), true)
			if resp.Header.Get("X-Request-Id") == "" || (resp.StatusCode == http.StatusRequestEntityTooLarge) != tt.tooLarge {
				t.Errorf("%d bytes: %d (request id %q), want safedesk to answer, 413 only past its limit", len(form), resp.StatusCode, resp.Header.Get("X-Request-Id"))
			}
		}
	})
	if err := stop(); err != nil {
		t.Fatalf("serve: %v", err)
	}
}

// testCertFiles writes httptest's certificate (for example.com and
// 127.0.0.1) and its key as PEM files in dir.
func testCertFiles(t *testing.T, dir string) (certFile, keyFile string, roots *x509.CertPool) {
	t.Helper()
	ts := httptest.NewUnstartedServer(nil)
	ts.StartTLS()
	cert := ts.TLS.Certificates[0]
	ts.Close()
	keyDER, err := x509.MarshalPKCS8PrivateKey(cert.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	for file, b := range map[string]*pem.Block{certFile: {Type: "CERTIFICATE", Bytes: cert.Certificate[0]}, keyFile: {Type: "PRIVATE KEY", Bytes: keyDER}} {
		if err := os.WriteFile(file, pem.EncodeToMemory(b), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	roots = x509.NewCertPool()
	roots.AddCert(leaf)
	return certFile, keyFile, roots
}

// TestServeTLS runs the server as the command line does, with certificate
// files and the HTTP redirect: HTTPS with HTTP/2 and HSTS, plain HTTP
// redirected to the base URL, and the certificate read again on SIGHUP.
func TestServeTLS(t *testing.T) {
	cert, key, roots := testCertFiles(t, t.TempDir())
	stop, stdout, stderr := serveUntil(t, "--data", filepath.Join(t.TempDir(), "data"), "--base-url", "https://example.com",
		"--tls-cert", cert, "--tls-key", key, "--http-redirect-addr", "127.0.0.1:0", "--backup-schedule", "off")
	defer stop()
	addr, ok := strings.CutPrefix(strings.TrimSpace(stdout.String()), "safedesk: serving https://example.com (listening on ")
	addr = strings.TrimSuffix(addr, ")")
	_, plain, _ := strings.Cut(stderr.String(), `msg="redirecting plain HTTP to HTTPS" addr=`)
	plain, _, _ = strings.Cut(plain, "\n")
	if !ok || plain == "" {
		t.Fatalf("serving where? stdout %q\n%s", stdout.String(), stderr.String())
	}
	client := &http.Client{
		Transport:     &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots, ServerName: "example.com"}, ForceAttemptHTTP2: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		Timeout:       5 * time.Second,
	}
	resp, err := client.Get("https://" + addr + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.Proto != "HTTP/2.0" || resp.Header.Get("Strict-Transport-Security") == "" {
		t.Errorf("%s, HSTS %q", resp.Proto, resp.Header.Get("Strict-Transport-Security"))
	}
	t.Run("plain HTTP is redirected to the base URL", func(t *testing.T) {
		resp, err := client.Get("http://" + plain + "/kb?q=x")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if want := "https://example.com/kb?q=x"; resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != want {
			t.Fatalf("%d %q, want 301 %q", resp.StatusCode, resp.Header.Get("Location"), want)
		}
	})
	t.Run("SIGHUP reads the certificate again", func(t *testing.T) {
		if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "the reload in the log", func() bool { return strings.Contains(stderr.String(), "TLS certificate reloaded") })
	})
	if err := stop(); err != nil {
		t.Fatalf("serve: %v", err)
	}
}

// mayImport is DESIGN.md's import rule: the top-level packages each of ours
// may import (main may import anything). A package may also import its own
// sub-packages and they each other, except upwards from a sub-package of
// web to web itself.
var mayImport = map[string][]string{
	"web":       {"bot", "store", "backup", "security", "templates", "static"},
	"templates": {"store", "security"},
	"bot":       {"store", "security"},
	"backup":    {"store", "security"},
	"store":     {"security"},
	"security":  {},
	"static":    {},
}

// testHelpers are the test-only helper packages: they may import what
// they help test, and only tests may import them.
var testHelpers = []string{"safedesk/store/storetest", "safedesk/web/api/apitest"}

// listedPackage is what `go list -json` says of a package that matters here.
type listedPackage struct {
	ImportPath  string
	Imports     []string
	TestImports []string // of the package's own _test.go files (not an external _test package)
}

// importViolations lists the import edges between our packages that the
// rule does not allow.
func importViolations(pkgs []listedPackage) []string {
	const mod = "safedesk"
	area := func(path string) string {
		rest, _ := strings.CutPrefix(path, mod+"/")
		top, _, _ := strings.Cut(rest, "/")
		return top
	}
	var bad []string
	check := func(from, to string, test bool) {
		switch {
		case to != mod && !strings.HasPrefix(to, mod+"/"):
			return // not ours
		case from == mod:
			return // main imports anything
		case slices.Contains(testHelpers, to) && !test && !slices.Contains(testHelpers, from):
			bad = append(bad, from+" -> "+to+" (a test helper, outside tests)")
		case slices.Contains(testHelpers, from):
			return // a test helper imports what it helps test
		case to == mod:
			bad = append(bad, from+" -> main")
		case area(from) == area(to):
			if area(from) == "web" && to == mod+"/web" && from != to {
				bad = append(bad, from+" -> "+to+" (up to web from its sub-package)")
			}
		case !slices.Contains(mayImport[area(from)], area(to)):
			bad = append(bad, from+" -> "+to)
		}
	}
	for _, p := range pkgs {
		if p.ImportPath != mod && mayImport[area(p.ImportPath)] == nil {
			bad = append(bad, p.ImportPath+" is a top-level package DESIGN.md does not know")
		}
		for _, to := range p.Imports {
			check(p.ImportPath, to, false)
		}
		for _, to := range p.TestImports {
			check(p.ImportPath, to, true)
		}
	}
	return bad
}

// TestImportRules holds every package of the module to the import rule,
// with `go list`; the rule itself is checked on made-up edges first.
func TestImportRules(t *testing.T) {
	for _, tt := range []struct {
		from, to string
		test     bool
		ok       bool
	}{
		{"safedesk/web", "safedesk/backup", false, true},
		{"safedesk/web/api", "safedesk/web/httpx", false, true},
		{"safedesk/web/api", "safedesk/web", false, false},
		{"safedesk/store", "safedesk/web", false, false},
		{"safedesk/security", "safedesk/store", false, false},
		{"safedesk/templates", "safedesk/bot", false, false},
		{"safedesk/backup", "safedesk/web/mail", false, false},
		{"safedesk/bot", "safedesk", false, false},
		{"safedesk/web", "safedesk/store/storetest", true, true},
		{"safedesk/web", "safedesk/store/storetest", false, false},
		{"safedesk/store/storetest", "safedesk/store", false, true},
	} {
		pkgs := []listedPackage{{ImportPath: tt.from}}
		if tt.test {
			pkgs[0].TestImports = []string{tt.to}
		} else {
			pkgs[0].Imports = []string{tt.to}
		}
		if got := importViolations(pkgs); (len(got) == 0) != tt.ok {
			t.Errorf("%s -> %s (test %v): violations %q, want allowed %v", tt.from, tt.to, tt.test, got, tt.ok)
		}
	}

	out, err := exec.Command("go", "list", "-deps", "-json=ImportPath,Imports,TestImports,Module", "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	var pkgs []listedPackage
	dec := json.NewDecoder(bytes.NewReader(out))
	for dec.More() {
		var p struct {
			listedPackage
			Module *struct{ Path string }
		}
		if err := dec.Decode(&p); err != nil {
			t.Fatal(err)
		}
		if p.Module != nil && p.Module.Path == "safedesk" {
			pkgs = append(pkgs, p.listedPackage)
		}
	}
	if len(pkgs) < 10 {
		t.Fatalf("go list found only %d of our packages", len(pkgs))
	}
	for _, v := range importViolations(pkgs) {
		t.Errorf("import not allowed: %s", v)
	}
}

// TestRestoredAuditLogVerifies follows the README's recovery: master key,
// backup identity and audit public key kept off the server, the folder
// lost. The restored folder's audit log verifies, saying which key
// anchored which range, and the server signs checkpoints again.
func TestRestoredAuditLogVerifies(t *testing.T) {
	dir, _ := dataFolder(t)
	file, _ := createBackup(t, dir) // signs a checkpoint first, making the signing key
	offServer := t.TempDir()
	writePub := func(data, name string) string {
		t.Helper()
		pub, err := runCmd(t, "audit", "public-key", "--data", data)
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(offServer, name)
		if err := os.WriteFile(p, []byte(pub), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	oldPub := writePub(dir, "old.pem")
	id := filepath.Join(offServer, backup.IdentityName)
	for _, name := range []string{store.MasterKeyName, backup.IdentityName} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(offServer, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}

	target := t.TempDir()
	key, err := os.ReadFile(filepath.Join(offServer, store.MasterKeyName))
	if err != nil {
		t.Fatal(err)
	}
	if err := security.WriteFileAtomic(filepath.Join(target, store.MasterKeyName), key, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := runCmd(t, "backup", "restore", file, "--identity", id, "--data", target, "--audit-public-key", oldPub)
	if err != nil || !strings.Contains(out, "signed by a new "+store.AuditKeyName) ||
		!strings.Contains(out, "safedesk audit public-key --data "+target) {
		t.Fatalf("restore: %q, %v", out, err)
	}

	out, err = runCmd(t, "audit", "verify", "--data", target)
	if err != nil || !strings.HasPrefix(out, "audit log intact: ") {
		t.Fatalf("verify with the new server's key: %q, %v", out, err)
	}
	if !strings.Contains(out, "begun by a restore, verified with "+filepath.Join(target, store.AuditKeyName)) ||
		!strings.Contains(out, "NOT ANCHORED") {
		t.Errorf("verify does not say which key covered which range: %q", out)
	}
	out, err = runCmd(t, "audit", "verify", "--data", target, "--public-key", oldPub)
	if err != nil || !strings.Contains(out, "verified with --public-key "+oldPub) {
		t.Errorf("verify with the old public key: %q, %v", out, err)
	}
	newPub := writePub(target, "new.pem")
	out, err = runCmd(t, "audit", "verify", "--data", target, "--public-key", oldPub, "--public-key", newPub)
	if err != nil || strings.Contains(out, "NOT ANCHORED") || strings.Count(out, "verified with --public-key ") != 2 {
		t.Errorf("verify with both public keys: %q, %v", out, err)
	}

	db := storetest.Open(t, target)
	signer, err := store.AuditSigningKey(target, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := db.RecordAudit(t.Context(), store.SystemActor, "test.entry", "test:1", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Checkpoint(t.Context(), signer, store.CheckpointPeriodic); err != nil {
		t.Errorf("the restored server cannot sign checkpoints: %v", err)
	}
}
