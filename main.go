// Command safedesk is a help desk that runs as one binary on one server:
// customer portal, chatbot and staff admin panel over one encrypted SQLite
// file. `safedesk` alone is `safedesk serve`.
//
// This file only parses the command line into one Config, validates it,
// wires the packages together and dispatches: every service lives in the
// package that owns its data (backup.Service, store's data folder, web's
// TLS and doctor). Packages own their settings where they have many
// (backup.Options, web.TLSOptions), the miniflux way.
package main

import (
	"cmp"
	"context"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/robfig/cron/v3"

	"safedesk/backup"
	"safedesk/bot"
	"safedesk/security"
	"safedesk/store"
	"safedesk/web"
	"safedesk/web/api"
	"safedesk/web/mail"
	"safedesk/web/monitor"
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

// Error is the message shown after "safedesk: ".
func (u usageError) Error() string { return u.msg }

// asUsage makes a settings error a usage error.
func asUsage(err error) error {
	if err == nil {
		return nil
	}
	return usageError{err.Error()}
}

var errHelp = errors.New("help shown")

// command is one subcommand; it parses its own flags from args.
type command func(ctx context.Context, args []string, stdout, stderr io.Writer) error

// commands is the table of subcommands.
func commands() map[string]command {
	return map[string]command{
		"serve": cmdServe,
		"version": func(_ context.Context, _ []string, stdout, _ io.Writer) error {
			return web.WriteVersion(stdout, time.Now())
		},
		"kb":         cmdKB,
		"token":      cmdToken,
		"client":     cmdClient,
		"setup-link": cmdSetupLink,
		"backup":     cmdBackup,
		"keys":       cmdKeys,
		"audit":      cmdAudit,
		"doctor":     cmdDoctor,
		"help": func(_ context.Context, _ []string, stdout, _ io.Writer) error {
			_, err := fmt.Fprint(stdout, usage)
			return err
		},
	}
}

// run dispatches a subcommand. It is main without the process around it, so
// tests call it directly.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	name := "serve"
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		name, args = args[0], args[1:]
	}
	cmd, ok := commands()[name]
	if !ok {
		return usageError{fmt.Sprintf("unknown command %q (try: safedesk help)", name)}
	}
	return cmd(ctx, args, stdout, stderr)
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

	WebhookAllowHosts string
	APIRate           float64
	APIBurst          int

	Backup   backup.Options // schedule, ladder, copy, identity or passphrase, drill
	TLS      web.TLSOptions // HTTPS served here: certificate files or ACME
	Security securityConfig // rate limits, abuse detection, audit checkpoints
	Privacy  privacyConfig  // retention and notifications
	Chat     chatConfig     // hand-off, business hours, assistant vocabulary

	// Email is the support mailbox read over IMAP, and whose verdict on
	// senders is trusted.
	Email mail.InboundOptions

	baseURL *url.URL
	proxies []netip.Prefix
}

// defaultConfig holds the embedded defaults: `go run .` needs nothing else.
// The master key file also follows SAFEDESK_MASTER_KEY_FILE in commands
// without the flag.
func defaultConfig() Config {
	return Config{
		Data: "data", Addr: "127.0.0.1:8080", Product: "safedesk", MasterKeyFile: os.Getenv("SAFEDESK_MASTER_KEY_FILE"),
		CustomerIdle: 30 * time.Minute, CustomerLifetime: 24 * time.Hour,
		APIRate: 10, APIBurst: 100,
		StaffIdle: 15 * time.Minute, StaffLifetime: 12 * time.Hour, StaffSessions: "replace",
		Backup:   backup.DefaultOptions(),
		Email:    mail.DefaultInboundOptions(),
		Security: defaultSecurity(),
		Privacy: privacyConfig{RetainTickets: store.Period(730 * 24 * time.Hour), RetainSecurity: store.Period(90 * 24 * time.Hour),
			Schedule: "30 3 * * *"},
		Chat: chatConfig{HandoffTimeout: 3 * time.Minute, Retention: store.Period(90 * 24 * time.Hour)},
	}
}

// flagSet returns the serve flags bound to c.
func (c *Config) flagSet(name string) *flag.FlagSet {
	fs := commandFlags(name, c)
	fs.StringVar(&c.Addr, "addr", c.Addr, "listen address")
	fs.StringVar(&c.BaseURL, "base-url", c.BaseURL, "public URL of the site (default http://ADDR)")
	fs.BoolVar(&c.Demo, "demo", c.Demo, "load the sample knowledge base")
	fs.StringVar(&c.SMTP, "smtp", c.SMTP, "mail relay: smtp://user:pass@host:587 (STARTTLS), smtps://…:465, smtp+insecure://127.0.0.1:2525 (loopback only); empty: mail goes to the log (development)")
	fs.StringVar(&c.MailFrom, "mail-from", c.MailFrom, "sender address of mail, e.g. support@example.com")
	fs.StringVar(&c.TrustedProxies, "trusted-proxies", c.TrustedProxies, "comma-separated CIDRs of reverse proxies whose X-Forwarded-For is believed")
	fs.StringVar(&c.Product, "product", c.Product, "the name shown to customers")
	masterKeyFlag(fs, &c.MasterKeyFile, "master key file (default DATA/master.key)")
	fs.DurationVar(&c.CustomerIdle, "customer-idle-timeout", c.CustomerIdle, "customer session idle timeout")
	fs.DurationVar(&c.CustomerLifetime, "customer-max-lifetime", c.CustomerLifetime, "customer session absolute lifetime")
	fs.StringVar(&c.WebhookAllowHosts, "webhook-allow-hosts", c.WebhookAllowHosts, "comma-separated webhook hosts (host or host:port) exempt from the private-address (SSRF) checks")
	fs.Float64Var(&c.APIRate, "api-rate", c.APIRate, "API requests per second per token (sustained)")
	fs.IntVar(&c.APIBurst, "api-burst", c.APIBurst, "API requests per token at once")
	fs.DurationVar(&c.StaffIdle, "staff-idle-timeout", c.StaffIdle, "staff session idle timeout (only the person's own actions count)")
	fs.DurationVar(&c.StaffLifetime, "staff-max-lifetime", c.StaffLifetime, "staff session absolute lifetime")
	fs.StringVar(&c.StaffSessions, "staff-sessions", c.StaffSessions, "concurrent staff sessions: replace (a new sign-in ends the others) or block (refused while another lives)")
	c.Backup.Flags(fs)
	c.Security.flags(fs)
	c.TLS.Flags(fs)
	c.Email.Flags(fs)
	c.Privacy.flags(fs)
	c.Chat.flags(fs)
	return fs
}

// commandFlags returns a command's flag set with --data bound to c.Data.
func commandFlags(name string, c *Config) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.StringVar(&c.Data, "data", c.Data, "data folder")
	return fs
}

func masterKeyFlag(fs *flag.FlagSet, p *string, help string) {
	fs.StringVar(p, "master-key-file", *p, help)
}

// Validate checks values and derives the parsed forms.
func (c *Config) Validate() error {
	if c.Data == "" {
		return usageError{"--data must not be empty"}
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return usageError{fmt.Sprintf("--addr %q: want host:port, like 127.0.0.1:8080", c.Addr)}
	}
	if err := c.TLS.Validate(); err != nil {
		return asUsage(err)
	}
	if c.BaseURL == "" {
		c.BaseURL = c.TLS.DefaultBaseURL(c.Addr)
	}
	if err := c.TLS.CheckBaseURL(c.BaseURL); err != nil {
		return asUsage(err)
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
	if c.proxies, err = parsePrefixes("--trusted-proxies", c.TrustedProxies); err != nil {
		return err
	}
	if c.SMTP != "" && c.MailFrom == "" {
		return usageError{"--mail-from is required with --smtp"}
	}
	if !(c.APIRate > 0) || c.APIRate > 1e6 {
		return usageError{"--api-rate must be a positive number of requests per second"}
	}
	if c.APIBurst < 1 || c.APIBurst > 1e6 {
		return usageError{"--api-burst must be at least 1"}
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
	if c.StaffSessions != store.SessionsReplace && c.StaffSessions != store.SessionsBlock {
		return usageError{fmt.Sprintf("--staff-sessions %q: want replace or block", c.StaffSessions)}
	}
	if err := errors.Join(c.Backup.Validate(), c.Email.Validate(c.MailFrom)); err != nil {
		return asUsage(err)
	}
	if err := c.Privacy.validate(); err != nil {
		return err
	}
	return c.Chat.validate()
}

// parsePrefixes reads a comma-separated list of CIDRs or addresses.
func parsePrefixes(flagName, s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range splitList(s) {
		p, err := netip.ParsePrefix(f)
		if err != nil {
			a, aerr := netip.ParseAddr(f)
			if aerr != nil {
				return nil, usageError{fmt.Sprintf("%s %q: not a CIDR or address", flagName, f)}
			}
			p = netip.PrefixFrom(a, a.BitLen())
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// splitList splits a comma-separated flag value, dropping empty entries.
func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// securityConfig holds the serve flags of rate limits, abuse detection and
// audit checkpoints. Limits are written RATE/UNIT,BURST (security.ParseLimit).
type securityConfig struct {
	ClientLimit        string
	SessionLimit       string
	EmailCodeLimit     string
	CodeClientLimit    string
	VerifyClientLimit  string
	VerifyAddressLimit string
	AbuseExempt        string
	CheckpointEvery    time.Duration // 0 is hourly

	abuse web.AbuseConfig
}

// limitFlag is one limit flag: its name, help, default, value and where
// the parsed value goes.
type limitFlag struct {
	name, help string
	def        security.LimitConfig
	val        *string
	dst        *security.LimitConfig
}

func (c *securityConfig) limitFlags() []limitFlag {
	a := &c.abuse
	return []limitFlag{
		{"client-limit", "requests per client address (an IPv6 /64) except /static/", security.ClientLimit, &c.ClientLimit, &a.ClientLimit},
		{"session-limit", "requests per signed-in session except /static/", security.SessionLimit, &c.SessionLimit, &a.SessionLimit},
		{"email-code-limit", "one-time codes sent to one email address", security.EmailCodeLimit, &c.EmailCodeLimit, &a.EmailCodeLimit},
		{"code-client-limit", "one-time codes sent at one client's request", security.CodeClientLimit, &c.CodeClientLimit, &a.CodeClientLimit},
		{"verify-client-limit", "one-time codes checked by one client", web.VerifyClientLimit, &c.VerifyClientLimit, &a.VerifyClientLimit},
		{"verify-address-limit", "one-time codes checked for one email address", web.VerifyAddressLimit, &c.VerifyAddressLimit, &a.VerifyAddressLimit},
	}
}

func defaultSecurity() securityConfig {
	c := securityConfig{AbuseExempt: "127.0.0.0/8,::1/128", CheckpointEvery: time.Hour}
	for _, l := range c.limitFlags() {
		*l.val = l.def.String()
	}
	return c
}

func (c *securityConfig) flags(fs *flag.FlagSet) {
	for _, l := range c.limitFlags() {
		fs.StringVar(l.val, l.name, *l.val, l.help+": RATE/UNIT,BURST")
	}
	fs.StringVar(&c.AbuseExempt, "abuse-exempt", c.AbuseExempt, `comma-separated CIDRs never rate limited or blocked (but counted); "none" for none`)
	fs.DurationVar(&c.CheckpointEvery, "audit-checkpoint-every", c.CheckpointEvery, "how often to sign a checkpoint of the audit log (also at every backup and at shutdown)")
}

// validate parses the flags into the web layer's AbuseConfig.
func (c *securityConfig) validate() error {
	for _, l := range c.limitFlags() {
		lc, err := security.ParseLimit(*l.val)
		if err != nil {
			return usageError{fmt.Sprintf("--%s %q: %s", l.name, *l.val, strings.TrimPrefix(err.Error(), "security: "))}
		}
		*l.dst = lc
	}
	c.abuse.Exempt = []netip.Prefix{}
	if strings.TrimSpace(c.AbuseExempt) != "none" {
		exempt, err := parsePrefixes("--abuse-exempt", c.AbuseExempt)
		if err != nil {
			return err
		}
		c.abuse.Exempt = append(c.abuse.Exempt, exempt...)
	}
	if c.CheckpointEvery != 0 && c.CheckpointEvery < time.Minute {
		return usageError{"--audit-checkpoint-every must be at least 1m"}
	}
	return nil
}

// privacyConfig is the retention schedule and periods, and what reply
// notifications may carry.
type privacyConfig struct {
	RetainTickets  store.Period
	RetainSecurity store.Period
	Schedule       string
	NotifyText     bool
}

func (c *privacyConfig) flags(fs *flag.FlagSet) {
	fs.Var(&c.RetainTickets, "retain-tickets", "delete solved and closed tickets this long after their last change, and customers with nothing left this long after they last confirmed their email (like 730d, 26w, 8760h; off keeps them)")
	fs.Var(&c.RetainSecurity, "retain-security-events", "delete security events and ended staff sessions (network addresses) after this long (like 90d; off keeps them)")
	fs.StringVar(&c.Schedule, "retention-schedule", c.Schedule, "when to apply retention, a cron spec in UTC; expired sessions and codes go then too")
	fs.BoolVar(&c.NotifyText, "notify-text", c.NotifyText, "put a staff reply's text into the email that announces it (off: emails only say there is a reply and link to the portal)")
}

func (c *privacyConfig) validate() error {
	if _, err := cron.ParseStandard(c.Schedule); err != nil {
		return usageError{fmt.Sprintf("--retention-schedule %q: %v", c.Schedule, err)}
	}
	if d := time.Duration(c.RetainTickets); d != 0 && d < 24*time.Hour {
		return usageError{"--retain-tickets: keep tickets at least a day (or off)"}
	}
	if d := time.Duration(c.RetainSecurity); d != 0 && d < 24*time.Hour {
		return usageError{"--retain-security-events: keep security events at least a day (or off)"}
	}
	return nil
}

// web is what the web layer needs.
func (c privacyConfig) web() web.PrivacyConfig {
	return web.PrivacyConfig{NotifyText: c.NotifyText,
		Retention: store.Retention{ResolvedTickets: time.Duration(c.RetainTickets), SecurityEvents: time.Duration(c.RetainSecurity)}}
}

// chatConfig is the chat's settings: hand-off timing, business hours, the
// assistant's extra vocabulary and how long transcripts are kept.
type chatConfig struct {
	HandoffTimeout time.Duration
	BusinessHours  string
	RulesFile      string
	Retention      store.Period

	hours *bot.Hours
	rules *bot.Rules
}

func (c *chatConfig) flags(fs *flag.FlagSet) {
	fs.DurationVar(&c.HandoffTimeout, "chat-handoff-timeout", c.HandoffTimeout, "how long a chat handed to a person waits for an agent before it becomes a ticket")
	fs.StringVar(&c.BusinessHours, "business-hours", c.BusinessHours, `when agents answer chats, like "Mon-Fri 09:00-17:00 Europe/Berlin" or "Mon-Thu 09:00-17:00, Fri 09:00-15:00 Europe/Amsterdam"; outside them a hand-off becomes a ticket at once (empty: always)`)
	fs.StringVar(&c.RulesFile, "chat-rules", c.RulesFile, "JSON file that extends the assistant's intent keywords, synonyms and stopwords (see bot/doc.go)")
	fs.Var(&c.Retention, "chat-retention", "delete chat transcripts this long after their last message (like 90d)")
}

func (c *chatConfig) validate() error {
	if c.HandoffTimeout < 10*time.Second || c.HandoffTimeout > 24*time.Hour {
		return usageError{"--chat-handoff-timeout must be between 10s and 24h"}
	}
	h, err := bot.ParseHours(c.BusinessHours)
	if err != nil {
		return usageError{fmt.Sprintf("--business-hours: %v", err)}
	}
	c.hours = h
	if c.rules, err = bot.LoadRules(c.RulesFile); err != nil {
		return usageError{fmt.Sprintf("--chat-rules: %v", err)}
	}
	if r := time.Duration(c.Retention); r < 24*time.Hour {
		return usageError{"--chat-retention must be at least a day"}
	}
	return nil
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

// parseInterspersed is parseFlags for commands whose positional argument
// may come before their flags, as in `backup verify FILE --identity ID`:
// the flag package alone stops at the first positional argument.
func parseInterspersed(fs *flag.FlagSet, args []string, stderr io.Writer) error {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pos = append(pos, args[i+1:]...)
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			pos = append(pos, a)
			continue
		}
		flags = append(flags, a)
		name := strings.TrimLeft(a, "-")
		f := fs.Lookup(name)
		if strings.Contains(name, "=") || f == nil {
			continue // parseFlags reports an unknown flag
		}
		if bf, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && bf.IsBoolFlag() {
			continue
		}
		if i+1 < len(args) {
			i++
			flags = append(flags, args[i])
		}
	}
	return parseFlags(fs, append(append(flags, "--"), pos...), stderr)
}

// parseServeConfig parses and validates the server's flags, which serve
// and doctor take.
func parseServeConfig(name string, args []string, stderr io.Writer) (Config, error) {
	cfg := defaultConfig()
	fs := cfg.flagSet(name)
	if err := parseFlags(fs, args, stderr); err != nil {
		return cfg, err
	}
	if fs.NArg() > 0 {
		return cfg, usageError{fmt.Sprintf("%s: unexpected argument %q", name, fs.Arg(0))}
	}
	return cfg, cfg.Validate()
}

func cmdServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseServeConfig("serve", args, stderr)
	if err != nil {
		return err
	}
	return serve(ctx, cfg, stdout, slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo})))
}

// serve runs the server until ctx ends: the data folder locked and open,
// backups, the web server, and one scheduler for the background work. It
// stops in order: HTTP shutdown, scheduler, last checkpoint, database.
func serve(ctx context.Context, cfg Config, stdout io.Writer, log *slog.Logger) (err error) {
	release, err := store.LockDir(cfg.Data, true)
	if err != nil {
		return err
	}
	defer release()
	db, err := store.OpenDir(ctx, cfg.Data, cfg.MasterKeyFile, true, log)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, db.Close()) }()
	auditKey, err := store.AuditSigningKey(cfg.Data, cfg.MasterKeyFile)
	if err != nil {
		return err
	}
	if cfg.Demo {
		created, updated, err := db.ImportArticles(ctx, store.DemoArticles(), store.SystemActor)
		if err != nil {
			return err
		}
		log.Info("demo knowledge base loaded", "created", created, "updated", updated)
	}
	mailer, err := mail.New(cfg.SMTP, cfg.MailFrom, log)
	if err != nil {
		return usageError{err.Error()}
	}
	outbox := mail.NewOutbox(mailer, log)
	defer outbox.Wait() // after everything that sends
	if cfg.SMTP == "" {
		log.Warn("DEVELOPMENT MODE: no --smtp given, so mail (including sign-in codes) is written to this log, not sent")
	}
	sched := newScheduler(log)
	backups, err := startBackups(ctx, cfg, db, mailer, sched, log)
	if err != nil {
		return err
	}
	defer backups.Wait()
	https, err := web.NewHTTPS(cfg.TLS, cfg.Data, cfg.baseURL, log)
	if err != nil {
		return err
	}
	wcfg := webConfig(cfg, db, backups, https, mailer.Describe())
	mon, err := monitor.New(ctx, db, outbox, log, monitor.Options{
		Site: mail.Site{Product: wcfg.Product, BaseURL: cfg.baseURL}, AuditKey: auditKey, ChatRetention: wcfg.ChatRetention,
	})
	if err != nil {
		return err
	}
	stopEmail, err := startEmail(ctx, cfg, &wcfg, db, outbox, mon, sched, log)
	if err != nil {
		return err
	}
	defer stopEmail()
	srv, err := web.New(wcfg, db, outbox, mon, log)
	if err != nil {
		return err
	}
	if err := printSetupLinkIfNew(ctx, db, cfg.baseURL, log); err != nil {
		return err
	}
	if err := scheduleServer(ctx, sched, cfg, db, mon, srv.Webhooks(), log); err != nil {
		return err
	}
	defer finishServer(mon, log) // after the scheduler stops: last counts, shutdown checkpoint
	sched.Start()
	defer func() { <-sched.Stop().Done() }()
	return listen(ctx, cfg, srv, https, stdout, log)
}

// startEmail readies the email channel: mail about tickets threaded under
// the support address and, with --imap, the mailbox read by the scheduler
// every --imap-interval and woken at once by IDLE (Watch, stopped with
// ctx; stop waits for it).
func startEmail(ctx context.Context, cfg Config, wcfg *web.Config, db *store.DB, outbox *mail.Outbox, mon *monitor.Service, sched *cron.Cron, log *slog.Logger) (stop func(), err error) {
	threads := mail.NewThreads(db, outbox, mail.Site{Product: cfg.Product, BaseURL: cfg.baseURL}, cfg.Email.Support())
	wcfg.Email = web.EmailConfig{Options: cfg.Email, Threads: threads}
	if !cfg.Email.Enabled() {
		return func() {}, nil
	}
	inbox, err := mail.NewInbox(cfg.Email, mail.InboxDeps{DB: db, Threads: threads, Log: log, Alert: mon.AlertNow})
	if err != nil {
		return nil, err
	}
	wcfg.Email.Inbox = inbox
	if _, err := sched.AddFunc("@every "+cfg.Email.Interval.String(), func() { _ = inbox.Poll(ctx) }); err != nil { // Poll records and logs its failures
		return nil, err
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		inbox.Watch(ctx)
	}()
	inbox.Wake() // the first round now, not after a whole interval
	return func() { <-done }, nil
}

// listen serves HTTP (and the TLS side) until ctx ends.
func listen(ctx context.Context, cfg Config, srv *web.Server, https *web.HTTPS, stdout io.Writer, log *slog.Logger) error {
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	stopTLS, err := https.Start(ctx) // SIGHUP reload, HTTP redirect
	if err != nil {
		return errors.Join(err, ln.Close())
	}
	defer stopTLS()
	log.Info("safedesk listening", "addr", ln.Addr().String(), "base_url", cfg.baseURL.String(), "data", cfg.Data)
	fmt.Fprintf(stdout, "safedesk: serving %s (listening on %s)\n", cfg.baseURL, ln.Addr())
	err = srv.Run(ctx, ln)
	log.Info("safedesk stopped")
	return err
}

// webConfig is the web layer's configuration.
func webConfig(cfg Config, db *store.DB, backups *backup.Service, https *web.HTTPS, relay string) web.Config {
	return web.Config{
		BaseURL: cfg.baseURL, TrustedProxies: cfg.proxies, Product: cfg.Product, MailFrom: cfg.MailFrom,
		CustomerIdle: cfg.CustomerIdle, CustomerLifetime: cfg.CustomerLifetime,
		API:       api.Config{Rate: cfg.APIRate, Burst: cfg.APIBurst, AllowHosts: splitList(cfg.WebhookAllowHosts)},
		StaffIdle: cfg.StaffIdle, StaffLifetime: cfg.StaffLifetime, StaffSessions: cfg.StaffSessions,
		Backups: backups, Abuse: cfg.Security.abuse, MailRelay: relay,
		TLS: https.Config(), Privacy: cfg.Privacy.web(), Doctor: web.NewDoctor(cfg.doctorInput(db)),
		ChatHandoffTimeout: cfg.Chat.HandoffTimeout, ChatHours: cfg.Chat.hours, ChatRules: cfg.Chat.rules,
		ChatRetention: time.Duration(cfg.Chat.Retention),
	}
}

// doctorInput is what the deployment checks look at; db is the running
// server's database, or nil.
func (c Config) doctorInput(db *store.DB) web.DoctorInput {
	return web.DoctorInput{
		Data: c.Data, MasterKeyFile: c.MasterKeyFile, Addr: c.Addr, BaseURL: c.baseURL, TrustedProxies: c.TrustedProxies,
		TLS: c.TLS, SMTP: c.SMTP, Privacy: c.Privacy.web(), RetentionSchedule: c.Privacy.Schedule, Backup: c.Backup, DB: db, Email: c.Email,
	}
}

// startBackups readies the backup service for the server and adds its
// jobs to sched.
func startBackups(ctx context.Context, cfg Config, db *store.DB, mailer *mail.Sender, sched *cron.Cron, log *slog.Logger) (*backup.Service, error) {
	b, err := backup.New(ctx, cfg.Backup, backup.Deps{DB: db, DataDir: cfg.Data, KeyFile: cfg.MasterKeyFile, Mailer: backupMailer{mailer}, Log: log})
	if err != nil {
		return nil, err
	}
	if err := b.Prepare(); err != nil {
		return nil, err
	}
	return b, b.Schedule(sched)
}

// backupMailer sends backup alerts through the mail sender (backup may not
// import web/mail).
type backupMailer struct{ m *mail.Sender }

// Send sends one alert mail.
func (b backupMailer) Send(ctx context.Context, to, subject, text string) error {
	return b.m.Send(ctx, mail.Message{Kind: "backup_alert", To: to, Subject: subject, Text: text})
}

// newScheduler is the one scheduler of background work, in UTC. Its
// messages go to the application's log: a job that panics leaves an error
// with its stack, a job skipped because its last run still lasts a
// warning; the scheduler's own chatter is debug.
func newScheduler(log *slog.Logger) *cron.Cron {
	return cron.New(cron.WithLocation(time.UTC), cron.WithLogger(cronLog{log, slog.LevelDebug}),
		cron.WithChain(cron.Recover(cronLog{log, slog.LevelError}), cron.SkipIfStillRunning(cronLog{log, slog.LevelWarn})))
}

// cronLog is a cron.Logger over slog: Info at level, Error as an error.
type cronLog struct {
	log   *slog.Logger
	level slog.Level
}

// Info logs the scheduler's message at the logger's level.
func (c cronLog) Info(msg string, kv ...any) {
	c.log.Log(context.Background(), c.level, "scheduler: "+msg, kv...)
}

// Error logs an error of the scheduler, such as a recovered panic.
func (c cronLog) Error(err error, msg string, kv ...any) {
	c.log.Error("scheduler: "+msg, append(kv, "err", err)...)
}

// after is a cron schedule that fires once, at a fixed time.
type after time.Time

// Next is the fixed time until it has passed, then never.
func (a after) Next(t time.Time) time.Time {
	if t.Before(time.Time(a)) {
		return time.Time(a)
	}
	return time.Time{} // never again
}

// scheduleServer adds the server's background jobs to sched: traffic counts
// and alerts every minute, the audit checkpoint, expired sessions, the chat
// sweep, and retention on its schedule and once a minute after start (so
// that a server restarted daily still applies it). Only retention stops
// with ctx; the others finish their round, and the scheduler waits for
// them at shutdown.
func scheduleServer(ctx context.Context, sched *cron.Cron, cfg Config, db *store.DB, mon *monitor.Service, hooks *api.Deliverer, log *slog.Logger) error {
	bg := context.Background()
	checkpoint := func() {
		if _, err := mon.Checkpoint(bg, store.CheckpointPeriodic); err != nil {
			log.Error("audit checkpoint", "err", err)
		}
	}
	expire := func() {
		if n, err := db.DeleteExpiredSessions(bg); err != nil {
			log.Error("expire sessions", "err", err)
		} else if n > 0 {
			log.Info("expired sessions removed", "count", n)
		}
	}
	retention := func() { applyRetention(ctx, db, cfg.Privacy.web().Retention, log) }
	sched.Schedule(after(time.Now().Add(time.Minute)), cron.FuncJob(retention))
	for _, j := range []struct {
		spec string
		job  func()
	}{
		{"@every 1m", func() { mon.Minute(bg) }},
		{"@hourly", func() { mon.Hour(bg) }}, // full audit verification, pruning
		{"@every " + cmp.Or(cfg.Security.CheckpointEvery, time.Hour).String(), checkpoint},
		{"@every 15m", expire},
		{"@every 30s", func() { mon.SweepChats(bg) }},
		{"@every 5s", func() { hooks.Deliver(bg) }}, // retries; new events are sent at once
		{"@hourly", func() { hooks.Housekeep(bg) }}, // hand-offs whose time is up become tickets; old transcripts go
		{cfg.Privacy.Schedule, retention},
	} {
		if _, err := sched.AddFunc(j.spec, j.job); err != nil {
			return fmt.Errorf("schedule %q: %w", j.spec, err)
		}
	}
	return nil
}

// applyRetention runs the retention job and logs what it deleted.
func applyRetention(ctx context.Context, db *store.DB, r store.Retention, log *slog.Logger) {
	total, err := db.ApplyAllRetention(ctx, r)
	if err != nil {
		if ctx.Err() == nil {
			log.Error("retention", "err", err)
		}
		return
	}
	log.Info("retention applied", "tickets", total.Tickets, "customers", total.Customers, "security_events", total.SecurityEvents,
		"staff_sessions", total.StaffSessions, "sessions", total.Sessions, "codes", total.Codes)
}

// finishServer runs at shutdown, after the scheduler has stopped: the last
// traffic counts and alerts, and a checkpoint of the audit log.
func finishServer(mon *monitor.Service, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	mon.Minute(ctx)
	if _, err := mon.Checkpoint(ctx, store.CheckpointShutdown); err != nil {
		log.Error("audit checkpoint at shutdown", "err", err)
	}
	mon.Wait()
}

// printSetupLinkIfNew prints an owner setup link on a first start (no staff
// yet): shell access to the server is the root of trust.
func printSetupLinkIfNew(ctx context.Context, db *store.DB, base *url.URL, log *slog.Logger) error {
	n, err := db.CountStaff(ctx)
	if err != nil || n > 0 {
		return err
	}
	token, err := db.CreateSetupLink(ctx, store.SystemActor)
	if err != nil {
		return err
	}
	log.Warn("no staff account yet: open this one-time link within 1 hour to create the owner account (run `safedesk setup-link` for a new one)",
		"setup_link", setupURL(base, token))
	return nil
}

func setupURL(base *url.URL, token string) string {
	u := *base
	u.Path = "/admin/setup"
	u.RawQuery = url.Values{"token": {token}}.Encode()
	return u.String()
}

// parseCommand parses the flags of a command: --data, and what add
// registers on the Config.
func parseCommand(name string, args []string, stderr io.Writer, add func(*flag.FlagSet, *Config)) (Config, *flag.FlagSet, error) {
	cfg := defaultConfig()
	fs := commandFlags(name, &cfg)
	if add != nil {
		add(fs, &cfg)
	}
	err := parseFlags(fs, args, stderr)
	return cfg, fs, err
}

// dispatch runs the subcommand args[0] of a command from subs, or answers
// with usage.
func dispatch(ctx context.Context, subs map[string]command, usage string, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || subs[args[0]] == nil {
		return usageError{usage}
	}
	return subs[args[0]](ctx, args[1:], stdout, stderr)
}

// withStore runs fn on the data folder's database.
func withStore(ctx context.Context, cfg Config, fn func(*store.DB) error) error {
	db, err := store.OpenDir(ctx, cfg.Data, cfg.MasterKeyFile, false, nil)
	if err != nil {
		return err
	}
	return errors.Join(fn(db), db.Close())
}

// cmdSetupLink issues a fresh owner setup link from the command line.
func cmdSetupLink(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, _, err := parseCommand("setup-link", args, stderr, func(fs *flag.FlagSet, c *Config) {
		fs.StringVar(&c.BaseURL, "base-url", c.BaseURL, "public URL of the site")
		fs.StringVar(&c.Addr, "addr", c.Addr, "listen address (to derive the default base URL)")
	})
	if err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	return withStore(ctx, cfg, func(db *store.DB) error {
		token, err := db.CreateSetupLink(ctx, store.SystemActor)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(stdout, "One-time owner setup link, valid for 1 hour (earlier unused links stop working):\n%s\n", setupURL(cfg.baseURL, token))
		return err
	})
}

const kbUsage = "usage: safedesk kb import [--data DIR] FOLDER"

func cmdKB(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return dispatch(ctx, map[string]command{"import": kbImport}, kbUsage, args, stdout, stderr)
}

func kbImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, fs, err := parseCommand("kb import", args, stderr, nil)
	if err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{kbUsage}
	}
	return withStore(ctx, cfg, func(db *store.DB) error {
		created, updated, err := db.ImportArticles(ctx, os.DirFS(fs.Arg(0)), store.SystemActor)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(stdout, "imported %d new and %d updated articles\n", created, updated)
		return err
	})
}

const tokenUsage = `usage: safedesk token create --scopes S1,S2 [--name N] [--ttl D] [--allow-from CIDRS] [--data DIR]
       safedesk token list [--data DIR]
       safedesk token revoke [--data DIR] ID
scopes: ` + "tickets:read tickets:write customers:read customers:erase kb:read kb:write audit:read security:read webhooks:write"

const clientUsage = `usage: safedesk client create --scopes S1,S2 [--name N] [--allow-from CIDRS] [--data DIR]
       safedesk client list [--data DIR]
       safedesk client revoke [--data DIR] ID`

// cmdToken manages personal API tokens.
func cmdToken(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	subs := map[string]command{"create": tokenCreate, "list": tokenList, "revoke": revoker("token", tokenUsage, (*store.DB).RevokeToken,
		"no active personal token %d", "token %d revoked\n")}
	return dispatch(ctx, subs, tokenUsage, args, stdout, stderr)
}

// cmdClient manages OAuth2 clients.
func cmdClient(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	subs := map[string]command{"create": clientCreate, "list": clientList, "revoke": revoker("client", clientUsage, (*store.DB).RevokeClient,
		"no active client %d", "client %d and its access tokens revoked\n")}
	return dispatch(ctx, subs, clientUsage, args, stdout, stderr)
}

// grant is what `token create` and `client create` take.
type grant struct {
	scopes, name, allow string
	ttl                 time.Duration
}

// flags adds the flags of create; what is "the token" or "the client".
func (g *grant) flags(fs *flag.FlagSet, what, scopesHelp, allowHelp string) {
	fs.StringVar(&g.scopes, "scopes", "", scopesHelp)
	fs.StringVar(&g.name, "name", "command line", "a name to recognise "+what+" by")
	fs.StringVar(&g.allow, "allow-from", "", "comma-separated addresses or CIDRs "+what+" "+allowHelp+"; empty: anywhere")
}

// parse reads the create flags, as usage errors naming the flags.
func (g grant) parse(fs *flag.FlagSet, usage string) ([]string, []netip.Prefix, error) {
	if fs.NArg() > 0 {
		return nil, nil, usageError{usage}
	}
	if strings.TrimSpace(g.scopes) == "" {
		return nil, nil, usageError{"--scopes is required, e.g. --scopes tickets:read,kb:read"}
	}
	sc, err := store.ParseScopes(g.scopes)
	if err != nil {
		return nil, nil, usageError{"--scopes: " + strings.TrimPrefix(err.Error(), "store: ")}
	}
	prefixes, err := store.ParseAllowFrom(g.allow)
	if err != nil {
		return nil, nil, usageError{"--allow-from: " + strings.TrimPrefix(err.Error(), "store: ")}
	}
	return sc, prefixes, nil
}

// cliValidation turns a store validation error into a usage error that
// names the flag.
func cliValidation(err error) error {
	var verr *store.ValidationError
	if errors.As(err, &verr) {
		var parts []string
		for f, msg := range verr.Fields {
			parts = append(parts, "--"+strings.ReplaceAll(f, "_", "-")+": "+msg)
		}
		return usageError{strings.Join(parts, "; ")}
	}
	return err
}

// tokenCreate prints the new token once, alone on its last line.
func tokenCreate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var g grant
	cfg, fs, err := parseCommand("token create", args, stderr, func(fs *flag.FlagSet, _ *Config) {
		g.flags(fs, "the token", "comma-separated scopes (required)", "may be used from")
		fs.DurationVar(&g.ttl, "ttl", 0, "lifetime, like 720h; 0: no expiry")
	})
	if err != nil {
		return err
	}
	sc, prefixes, err := g.parse(fs, tokenUsage)
	if err != nil {
		return err
	}
	return withStore(ctx, cfg, func(db *store.DB) error {
		t, secret, err := db.CreateToken(ctx, store.NewToken{Name: g.name, Scopes: sc, TTL: g.ttl, AllowFrom: prefixes}, store.CLIActor)
		if err := cliValidation(err); err != nil {
			return err
		}
		expires := "never"
		if !t.ExpiresAt.IsZero() {
			expires = t.ExpiresAt.Format(time.RFC3339)
		}
		_, err = fmt.Fprintf(stdout, "token %d %q created: scopes %s; expires %s\nIt is shown only now and cannot be recovered; store it in a secret manager:\n%s\n",
			t.ID, t.Name, strings.Join(t.Scopes, ","), expires, secret)
		return err
	})
}

func tokenList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, _, err := parseCommand("token list", args, stderr, nil)
	if err != nil {
		return err
	}
	return withStore(ctx, cfg, func(db *store.DB) error {
		ts, err := db.ListTokens(ctx)
		for _, t := range ts {
			state := "active"
			switch {
			case !t.RevokedAt.IsZero():
				state = "revoked"
			case !t.Active(db.Now()):
				state = "expired"
			}
			fmt.Fprintf(stdout, "%d\t%s\t…%s\t%s\t%s\n", t.ID, state, t.Hint, strings.Join(t.Scopes, ","), t.Name)
		}
		return err
	})
}

// clientCreate prints client_id and client_secret lines; the secret is
// shown once.
func clientCreate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var g grant
	cfg, fs, err := parseCommand("client create", args, stderr, func(fs *flag.FlagSet, _ *Config) {
		g.flags(fs, "the client", "comma-separated scopes the client may ask for (required)", "may connect from")
	})
	if err != nil {
		return err
	}
	sc, prefixes, err := g.parse(fs, clientUsage)
	if err != nil {
		return err
	}
	return withStore(ctx, cfg, func(db *store.DB) error {
		c, secret, err := db.CreateClient(ctx, store.NewClient{Name: g.name, Scopes: sc, AllowFrom: prefixes}, store.CLIActor)
		if err := cliValidation(err); err != nil {
			return err
		}
		_, err = fmt.Fprintf(stdout, "client %d %q created: scopes %s; the secret is shown only now\nclient_id %s\nclient_secret %s\n",
			c.ID, c.Name, strings.Join(c.Scopes, ","), c.ClientID, secret)
		return err
	})
}

func clientList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, _, err := parseCommand("client list", args, stderr, nil)
	if err != nil {
		return err
	}
	return withStore(ctx, cfg, func(db *store.DB) error {
		cs, err := db.ListClients(ctx)
		for _, c := range cs {
			state := "active"
			if !c.RevokedAt.IsZero() {
				state = "revoked"
			}
			fmt.Fprintf(stdout, "%d\t%s\t%s\t%s\t%s\n", c.ID, state, c.ClientID, strings.Join(c.Scopes, ","), c.Name)
		}
		return err
	})
}

// revoker is the revoke subcommand of token or client: revoke by the id
// in the one argument, then say so (done) or that there is none (missing).
func revoker(name, usage string, revoke func(*store.DB, context.Context, int64, store.Actor) error, missing, done string) command {
	return func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
		cfg, fs, err := parseCommand(name+" revoke", args, stderr, nil)
		if err != nil {
			return err
		}
		id, err := strconv.ParseInt(fs.Arg(0), 10, 64)
		if fs.NArg() != 1 || err != nil || id <= 0 {
			return usageError{usage}
		}
		return withStore(ctx, cfg, func(db *store.DB) error {
			if err := revoke(db, ctx, id, store.CLIActor); errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf(missing, id)
			} else if err != nil {
				return err
			}
			_, err := fmt.Fprintf(stdout, done, id)
			return err
		})
	}
}

const backupUsage = `usage:
  safedesk backup create [--data DIR]                     make a backup now; prints its path on the last line
  safedesk backup list [--data DIR]                       list the backups, newest first
  safedesk backup verify FILE --identity ID [--data DIR]  decrypt and check a backup
  safedesk backup restore FILE --identity ID --data DIR [--force]
                                                          restore into DIR (which must hold master.key)`

// cmdBackup dispatches the backup subcommands.
func cmdBackup(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	subs := map[string]command{"create": backupCreate, "list": backupList, "verify": backupVerify, "restore": backupRestore}
	if len(args) > 0 && subs[args[0]] == nil {
		return usageError{fmt.Sprintf("unknown backup command %q\n%s", args[0], backupUsage)}
	}
	return dispatch(ctx, subs, backupUsage, args, stdout, stderr)
}

func backupCreate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, fs, err := parseCommand("backup create", args, stderr, func(fs *flag.FlagSet, c *Config) {
		masterKeyFlag(fs, &c.MasterKeyFile, "master key file (default DATA/master.key)")
		c.Backup.CreateFlags(fs)
	})
	if err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("backup create: unexpected argument %q", fs.Arg(0))}
	}
	if err := cfg.Backup.Validate(); err != nil {
		return asUsage(err)
	}
	return withStore(ctx, cfg, func(db *store.DB) error {
		b, err := backup.New(ctx, cfg.Backup, backup.Deps{DB: db, DataDir: cfg.Data, KeyFile: cfg.MasterKeyFile})
		if err != nil {
			return err
		}
		m, err := b.Run(ctx, store.BackupSourceCLI, store.CLIActor)
		if m.File == "" {
			return err
		}
		st := b.Status()
		fmt.Fprintf(stdout, "backup written: %d bytes encrypted, snapshot SHA-256 %s\n", m.EncryptedSize, m.SHA256)
		if st.CopyTo != "" && err == nil {
			fmt.Fprintf(stdout, "copied to %s\n", filepath.Join(st.CopyTo, m.File))
		}
		fmt.Fprintln(stdout, filepath.Join(st.Dir, m.File))
		return err
	})
}

func backupList(_ context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, fs, err := parseCommand("backup list", args, stderr, nil)
	if err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("backup list: unexpected argument %q", fs.Arg(0))}
	}
	dir := filepath.Join(cfg.Data, "backups")
	entries, err := backup.List(dir)
	if err != nil {
		return err
	}
	if len(entries) == 0 {
		_, err := fmt.Fprintf(stdout, "no backups in %s\n", dir)
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TAKEN (UTC)\tBYTES\tSNAPSHOT SHA-256\tFILE")
	for _, e := range entries {
		sum := "(no manifest)"
		if e.Manifest != nil {
			sum = e.Manifest.SHA256[:16] + "…"
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", e.Created.Format(time.DateTime), e.Size, sum, e.Path)
	}
	return tw.Flush()
}

// parseDecrypt parses the flags of verify and restore, whose one
// positional argument, the backup file, may come before them.
func parseDecrypt(name string, args []string, usage string, stderr io.Writer, add func(*flag.FlagSet, *Config)) (Config, string, backup.Decrypt, error) {
	var d backup.Decrypt
	cfg := defaultConfig()
	fs := commandFlags(name, &cfg)
	add(fs, &cfg)
	d.Flags(fs)
	if err := parseInterspersed(fs, args, stderr); err != nil {
		return cfg, "", d, err
	}
	if fs.NArg() != 1 {
		return cfg, "", d, usageError{usage}
	}
	return cfg, fs.Arg(0), d, asUsage(d.Validate())
}

func backupVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, file, d, err := parseDecrypt("backup verify", args, "usage: safedesk backup verify FILE --identity ID [--data DIR]", stderr, func(fs *flag.FlagSet, c *Config) {
		masterKeyFlag(fs, &c.MasterKeyFile, "master key that must open the backup's data keys (default DATA/master.key)")
	})
	if err != nil {
		return err
	}
	rep, err := backup.VerifyFile(ctx, file, d, cfg.Data, cfg.MasterKeyFile)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "ok: %s\nsnapshot: %d bytes, SHA-256 %s\n", file, rep.Size, rep.SHA256)
	if rep.SchemaVersion > 0 {
		fmt.Fprintf(stdout, "schema %d, audit head %s\n", rep.SchemaVersion, rep.AuditHead)
	}
	checked := "audit chain and its signed checkpoints verify"
	if !rep.Checkpoints {
		checked = "audit chain verifies (checkpoints unchecked: no audit public key)"
	}
	_, err = fmt.Fprintf(stdout, "integrity check ok, %s, every data key opens with the master key\n", checked)
	return err
}

func backupRestore(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var force bool
	cfg, file, d, err := parseDecrypt("backup restore", args, "usage: safedesk backup restore FILE --identity ID --data DIR [--force]", stderr, func(fs *flag.FlagSet, _ *Config) {
		fs.BoolVar(&force, "force", false, "replace a database already in the folder (it is kept as a safety copy)")
	})
	if err != nil {
		return err
	}
	res, err := backup.RestoreInto(ctx, file, d, cfg.Data, cfg.MasterKeyFile, force)
	if res.DB == "" {
		return err
	}
	fmt.Fprintf(stdout, "restored %s into %s\n", filepath.Base(file), res.DB)
	if res.SafetyCopy != "" {
		fmt.Fprintf(stdout, "the database it replaced is kept as %s\n", res.SafetyCopy)
	}
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "start the server with: safedesk serve --data %s\n", cfg.Data)
	return err
}

const keysUsage = "usage: safedesk keys rotate [--data DIR] [--master-key-file FILE]"

// cmdKeys runs `safedesk keys rotate`.
func cmdKeys(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return dispatch(ctx, map[string]command{"rotate": keysRotate}, keysUsage, args, stdout, stderr)
}

func keysRotate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, fs, err := parseCommand("keys rotate", args, stderr, func(fs *flag.FlagSet, c *Config) {
		masterKeyFlag(fs, &c.MasterKeyFile, "master key file (default DATA/master.key)")
	})
	if err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{keysUsage}
	}
	if _, err := os.Stat(filepath.Join(cfg.Data, store.DBName)); err != nil {
		return fmt.Errorf("no database in %s (pass --data)", cfg.Data)
	}
	// A running server keeps the old key in memory and would wrap new
	// customer keys with it after the rotation: refuse to run beside one.
	release, err := store.LockDir(cfg.Data, false)
	if err != nil {
		return err
	}
	defer release()
	keyFile := store.MasterKeyPath(cfg.Data, cfg.MasterKeyFile)
	return withStore(ctx, cfg, func(db *store.DB) error {
		n, ring, err := db.RotateMasterKeyFile(ctx, keyFile, store.CLIActor)
		if err != nil {
			return err
		}
		fp := ring.Fingerprint()
		_, err = fmt.Fprintf(stdout, "re-wrapped %d data keys under a new master key (fingerprint %x)\nnew key: %s\nprevious key: %s, kept until the next successful backup\n"+
			"Backups made before now restore only with the previous key: store a copy of it with them, off this server.\n", n, fp[:], keyFile, keyFile+".prev")
		return err
	})
}

const auditUsage = `usage:
  safedesk audit verify [--data DIR] [--public-key FILE]
      recompute the audit log's hash chain and check its signed checkpoints;
      exit 0 with a count when intact, 1 naming the first bad entry otherwise
  safedesk audit public-key [--data DIR]
      print the checkpoint signing key's public half (PEM), to keep off the
      server and give to verify --public-key`

// cmdAudit is `safedesk audit verify` and `safedesk audit public-key`.
func cmdAudit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return dispatch(ctx, map[string]command{"verify": auditVerify, "public-key": auditPublicKey}, auditUsage, args, stdout, stderr)
}

// auditFlags parses the flags of the audit subcommands.
func auditFlags(name string, args []string, stderr io.Writer, add func(*flag.FlagSet)) (Config, error) {
	cfg, fs, err := parseCommand("audit "+name, args, stderr, func(fs *flag.FlagSet, c *Config) {
		masterKeyFlag(fs, &c.MasterKeyFile, "master key file, beside which the signing key lives (default DATA/master.key)")
		add(fs)
	})
	if err == nil && fs.NArg() > 0 {
		err = usageError{auditUsage}
	}
	return cfg, err
}

func auditPublicKey(_ context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := auditFlags("public-key", args, stderr, func(*flag.FlagSet) {})
	if err != nil {
		return err
	}
	return store.WriteAuditPublicKey(cfg.Data, cfg.MasterKeyFile, stdout)
}

// auditVerify verifies the audit log of the database file, opened
// read-only (no master key needed).
func auditVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var pubFile string
	cfg, err := auditFlags("verify", args, stderr, func(fs *flag.FlagSet) {
		fs.StringVar(&pubFile, "public-key", "", "PEM public key to check checkpoints with (default: from DATA/"+store.AuditKeyName+")")
	})
	if err != nil {
		return err
	}
	pub, err := store.AuditPublicKey(cfg.Data, cfg.MasterKeyFile, pubFile)
	if err != nil {
		return err
	}
	rep, err := store.VerifyAuditFile(ctx, filepath.Join(cfg.Data, store.DBName), pub)
	var chain *security.ChainError
	switch {
	case errors.As(err, &chain):
		fmt.Fprintf(stdout, "audit log BROKEN at seq %d: %s\n", chain.Seq, chain.Reason)
		return fmt.Errorf("audit log does not verify: the first bad entry is seq %d (%s)", chain.Seq, chain.Reason)
	case err != nil:
		return err
	case rep.Unchecked > 0:
		return fmt.Errorf("%d signed checkpoints cannot be checked without the signing key: pass --public-key FILE (from `safedesk audit public-key`)", rep.Unchecked)
	}
	_, err = fmt.Fprintln(stdout, auditSummary(rep))
	return err
}

// auditSummary is the line of an intact audit log.
func auditSummary(rep store.AuditReport) string {
	line := fmt.Sprintf("audit log intact: %d entries", rep.Entries)
	if rep.Entries > 0 {
		line += fmt.Sprintf(", head seq %d hash %s", rep.HeadSeq, hex.EncodeToString(rep.HeadHash))
	}
	if rep.Checkpoints == 0 {
		return line + "; no signed checkpoint yet"
	}
	return line + fmt.Sprintf("; %d signed checkpoints verified, the newest at seq %d (%s)", rep.Checkpoints, rep.Latest.Seq, rep.Latest.At.UTC().Format(time.RFC3339))
}

// cmdDoctor checks the deployment and prints one line per check; any FAIL
// makes it return an error, so the process exits 1. It takes the server's
// flags and environment, so run it the way the server runs.
func cmdDoctor(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseServeConfig("doctor", args, stderr)
	if err != nil {
		return err
	}
	checks := web.Diagnose(ctx, cfg.doctorInput(nil), time.Now())
	failed, err := web.WriteChecks(stdout, checks)
	if err != nil {
		return err
	}
	if failed > 0 {
		return fmt.Errorf("doctor: %d of %d checks failed", failed, len(checks))
	}
	return nil
}
