// Command safedesk is a help desk that runs as one binary on one server:
// customer portal, chatbot and staff admin panel over one encrypted SQLite
// file. `safedesk` alone is `safedesk serve`.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"safedesk/backup"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		var u usageError
		if errors.As(err, &u) {
			fmt.Fprintln(os.Stderr, "safedesk:", u.msg)
			os.Exit(2)
		}
		if errors.Is(err, errHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "safedesk:", err)
		os.Exit(1)
	}
}

// usageError is a bad command, flag or value: exit code 2.
type usageError struct{ msg string }

func (u usageError) Error() string { return u.msg }

var errHelp = errors.New("help shown")

// run dispatches a subcommand. It is main without the process around it, so
// tests call it directly.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cmd := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "serve":
		return runServe(ctx, args, stdout, stderr)
	case "version":
		return runVersion(stdout)
	case "kb":
		return runKB(ctx, args, stdout, stderr)
	case "token":
		return runToken(ctx, args, stdout, stderr)
	case "client":
		return runClient(ctx, args, stdout, stderr)
	case "setup-link":
		return runSetupLink(ctx, args, stdout, stderr)
	case "backup":
		return runBackup(ctx, args, stdout, stderr)
	case "keys":
		return runKeys(ctx, args, stdout, stderr)
	case "audit":
		return runAudit(ctx, args, stdout, stderr)
	case "doctor":
		return runDoctor(ctx, args, stdout, stderr)
	case "help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	return usageError{fmt.Sprintf("unknown command %q (try: safedesk help)", cmd)}
}

const usage = `safedesk: a help desk in one binary.

Usage:
  safedesk [serve] [flags]        run the server (the default)
  safedesk kb import DIR          import Markdown articles (file name = slug, "# " heading = title)
  safedesk setup-link             print a fresh one-time owner setup link (valid 1 hour)
  safedesk token create --scopes S1,S2 [--name N] [--ttl D]   make an API token (printed once); also token list|revoke
  safedesk client create --scopes S1,S2 [--name N]             make an OAuth2 client; also client list|revoke
  safedesk backup create|list|verify|restore   encrypted backups (safedesk backup for details)
  safedesk keys rotate            new master key; every data key re-wrapped (server stopped)
  safedesk audit verify           check the audit log's hash chain and signed checkpoints
  safedesk doctor                 check the deployment: one PASS/WARN/FAIL line per check (exit 1 on a FAIL); takes the server's flags
  safedesk version                build, Go and dependency versions, and the build's age
  safedesk help                   this text

Every flag has an environment variable: --base-url is SAFEDESK_BASE_URL.
Run "safedesk serve -h" for the server's flags.
`

// Config is every setting of the server, with defaults, from flags and
// SAFEDESK_* environment variables.
type Config struct {
	Data           string
	Addr           string
	BaseURL        string
	Demo           bool
	SMTP           string
	MailFrom       string
	TrustedProxies string
	Product        string
	MasterKeyFile  string

	CustomerIdle     time.Duration
	CustomerLifetime time.Duration
	StaffIdle        time.Duration
	StaffLifetime    time.Duration
	StaffSessions    string

	BackupSchedule       string
	BackupKeep           string
	BackupCopyTo         string
	BackupIdentity       string
	BackupPassphraseFile string
	BackupDrillSchedule  string
	backupKeep           backup.Policy

	WebhookAllowHosts string
	APIRate           float64
	APIBurst          int

	Security securityConfig // rate limits, abuse detection, audit checkpoints (main_audit.go)
	TLS      tlsConfig      // HTTPS served here: certificate files or ACME (main_tls.go)
	Privacy  privacyConfig  // retention and notifications (main_privacy.go)
	Chat     chatConfig     // hand-off, business hours, assistant vocabulary (main_chat.go)

	baseURL *url.URL
	proxies []netip.Prefix
}

// defaultConfig holds the embedded defaults: `go run .` needs nothing else.
func defaultConfig() Config {
	return Config{
		Data: "data", Addr: "127.0.0.1:8080", Product: "safedesk",
		CustomerIdle: 30 * time.Minute, CustomerLifetime: 24 * time.Hour,
		APIRate: 10, APIBurst: 100,
		StaffIdle: 15 * time.Minute, StaffLifetime: 12 * time.Hour, StaffSessions: "replace",
		BackupSchedule: "0 3 * * *", BackupKeep: "7d,4w,12m", BackupDrillSchedule: "0 4 * * 0",
		Privacy: defaultPrivacy(),
		Chat:    defaultChat(),
	}
}

func (c *Config) flags(fs *flag.FlagSet) {
	dataFlag(fs, &c.Data)
	fs.StringVar(&c.Addr, "addr", c.Addr, "listen address")
	fs.StringVar(&c.BaseURL, "base-url", c.BaseURL, "public URL of the site (default http://ADDR)")
	fs.BoolVar(&c.Demo, "demo", c.Demo, "load the sample knowledge base")
	fs.StringVar(&c.SMTP, "smtp", c.SMTP, "mail relay: smtp://user:pass@host:587 (STARTTLS), smtps://…:465, smtp+insecure://127.0.0.1:2525 (loopback only); empty: mail goes to the log (development)")
	fs.StringVar(&c.MailFrom, "mail-from", c.MailFrom, "sender address of mail, e.g. support@example.com")
	fs.StringVar(&c.TrustedProxies, "trusted-proxies", c.TrustedProxies, "comma-separated CIDRs of reverse proxies whose X-Forwarded-For is believed")
	fs.StringVar(&c.Product, "product", c.Product, "the name shown to customers")
	fs.StringVar(&c.MasterKeyFile, "master-key-file", c.MasterKeyFile, "master key file (default DATA/master.key)")
	fs.DurationVar(&c.CustomerIdle, "customer-idle-timeout", c.CustomerIdle, "customer session idle timeout")
	fs.DurationVar(&c.CustomerLifetime, "customer-max-lifetime", c.CustomerLifetime, "customer session absolute lifetime")
	fs.StringVar(&c.WebhookAllowHosts, "webhook-allow-hosts", c.WebhookAllowHosts, "comma-separated webhook hosts (host or host:port) exempt from the private-address (SSRF) checks")
	fs.Float64Var(&c.APIRate, "api-rate", c.APIRate, "API requests per second per token (sustained)")
	fs.IntVar(&c.APIBurst, "api-burst", c.APIBurst, "API requests per token at once")
	fs.DurationVar(&c.StaffIdle, "staff-idle-timeout", c.StaffIdle, "staff session idle timeout (only the person's own actions count)")
	fs.DurationVar(&c.StaffLifetime, "staff-max-lifetime", c.StaffLifetime, "staff session absolute lifetime")
	fs.StringVar(&c.StaffSessions, "staff-sessions", c.StaffSessions, "concurrent staff sessions: replace (a new sign-in ends the others) or block (refused while another lives)")
	c.backupFlags(fs)
	c.Security.flags(fs)
	c.TLS.flags(fs)
	c.Privacy.flags(fs)
	c.Chat.flags(fs)
}

func dataFlag(fs *flag.FlagSet, p *string) {
	fs.StringVar(p, "data", *p, "data folder")
}

// flagSet returns the serve flags bound to cfg.
func flagSet(cfg *Config) *flag.FlagSet {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	cfg.flags(fs)
	return fs
}

// Validate checks values and derives the parsed forms.
func (c *Config) Validate() error {
	if c.Data == "" {
		return usageError{"--data must not be empty"}
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return usageError{fmt.Sprintf("--addr %q: want host:port, like 127.0.0.1:8080", c.Addr)}
	}
	if err := c.validateTLS(); err != nil { // may default the base URL to https
		return err
	}
	if c.BaseURL == "" {
		c.BaseURL = defaultBaseURL(c.Addr)
	}
	u, err := url.Parse(c.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return usageError{fmt.Sprintf("--base-url %q: want an origin like https://help.example.com", c.BaseURL)}
	}
	if net.ParseIP(u.Hostname()) != nil {
		return usageError{fmt.Sprintf("--base-url %q: use a domain name, not an IP address: passkeys (WebAuthn) do not work on IP addresses; on one machine use http://localhost:PORT", c.BaseURL)}
	}
	u.Path = ""
	c.baseURL = u
	c.proxies = nil
	for _, s := range strings.Split(c.TrustedProxies, ",") {
		s = strings.TrimSpace(s)
		if s == "" {
			continue
		}
		p, err := netip.ParsePrefix(s)
		if err != nil {
			a, aerr := netip.ParseAddr(s)
			if aerr != nil {
				return usageError{fmt.Sprintf("--trusted-proxies %q: not a CIDR or address", s)}
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		c.proxies = append(c.proxies, p.Masked())
	}
	if c.SMTP != "" && c.MailFrom == "" {
		return usageError{"--mail-from is required with --smtp"}
	}
	if err := c.validateAPIFlags(); err != nil {
		return err
	}
	if err := c.Security.validate(); err != nil {
		return err
	}
	if c.CustomerIdle <= 0 || c.CustomerLifetime < c.CustomerIdle {
		return usageError{"--customer-idle-timeout must be positive and no longer than --customer-max-lifetime"}
	}
	if c.StaffIdle <= 0 || c.StaffLifetime < c.StaffIdle {
		return usageError{"--staff-idle-timeout must be positive and no longer than --staff-max-lifetime"}
	}
	if c.StaffSessions != "replace" && c.StaffSessions != "block" {
		return usageError{fmt.Sprintf("--staff-sessions %q: want replace or block", c.StaffSessions)}
	}
	if err := c.validateBackup(); err != nil {
		return err
	}
	if err := c.Privacy.validate(); err != nil {
		return err
	}
	if err := c.Chat.validate(); err != nil {
		return err
	}
	return nil
}

// defaultBaseURL derives the public URL from the listen address. Loopback
// and wildcard addresses become localhost, since passkeys need a name.
func defaultBaseURL(addr string) string {
	host, port, _ := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); host == "" || (ip != nil && (ip.IsLoopback() || ip.IsUnspecified())) {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// parseFlags parses args after applying SAFEDESK_* environment fallbacks;
// flags given on the command line win over the environment.
func parseFlags(fs *flag.FlagSet, args []string, stderr io.Writer) error {
	fs.SetOutput(io.Discard)
	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
		name := "SAFEDESK_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v, ok := os.LookupEnv(name); ok && envErr == nil {
			if err := f.Value.Set(v); err != nil {
				envErr = usageError{fmt.Sprintf("%s=%q: %v", name, v, err)}
			}
		}
	})
	if envErr != nil {
		return envErr
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stderr)
			fs.PrintDefaults()
			return errHelp
		}
		return usageError{err.Error()}
	}
	return nil
}
