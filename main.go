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
	"time"

	"github.com/robfig/cron/v3"

	"safedesk/backup"
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
// SAFEDESK_* environment variables. The packages own their groups of
// settings, each with Flags and Validate (web/options.go, api.Config,
// backup.Options, web.TLSOptions); main keeps the few that wire them.
type Config struct {
	Data          string
	Addr          string
	BaseURL       string
	Demo          bool
	SMTP          string
	MailFrom      string
	Product       string
	MasterKeyFile string

	Sessions web.SessionOptions  // customer and staff session timeouts, concurrent sessions
	Security web.SecurityOptions // trusted proxies, rate limits, abuse detection, audit checkpoints
	Privacy  web.PrivacyConfig   // retention and notifications
	Chat     web.ChatOptions     // hand-off, business hours, assistant vocabulary, transcripts
	API      api.Config          // API rate limit, webhook hosts exempt from the SSRF checks
	Backup   backup.Options      // schedule, ladder, copy, identity or passphrase, drill
	TLS      web.TLSOptions      // HTTPS served here: certificate files or ACME

	baseURL *url.URL
}

// defaultConfig holds the embedded defaults: `go run .` needs nothing else.
// The master key file also follows SAFEDESK_MASTER_KEY_FILE in commands
// without the flag.
func defaultConfig() Config {
	return Config{
		Data: "data", Addr: "127.0.0.1:8080", Product: "safedesk", MasterKeyFile: os.Getenv("SAFEDESK_MASTER_KEY_FILE"),
		Sessions: web.DefaultSessionOptions(), Security: web.DefaultSecurityOptions(), Privacy: web.DefaultPrivacyConfig(),
		Chat: web.DefaultChatOptions(), API: api.DefaultConfig(), Backup: backup.DefaultOptions(),
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
	fs.StringVar(&c.Product, "product", c.Product, "the name shown to customers")
	masterKeyFlag(fs, &c.MasterKeyFile, "master key file (default DATA/master.key)")
	c.Sessions.Flags(fs)
	c.Security.Flags(fs)
	c.Privacy.Flags(fs)
	c.Chat.Flags(fs)
	c.API.Flags(fs)
	c.Backup.Flags(fs)
	c.TLS.Flags(fs)
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
	if c.SMTP != "" && c.MailFrom == "" {
		return usageError{"--mail-from is required with --smtp"}
	}
	for _, validate := range []func() error{c.Security.Validate, c.API.Validate, c.Sessions.Validate, c.Backup.Validate, c.Privacy.Validate, c.Chat.Validate} {
		if err := validate(); err != nil {
			return asUsage(err)
		}
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
	sched := monitor.NewScheduler(log)
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
		Retention: cfg.Privacy.Retention,
	})
	if err != nil {
		return err
	}
	srv, err := web.New(wcfg, db, outbox, mon, log)
	if err != nil {
		return err
	}
	if err := printSetupLinkIfNew(ctx, db, cfg.baseURL, log); err != nil {
		return err
	}
	if err := scheduleServer(ctx, sched, cfg, mon, srv.Webhooks()); err != nil {
		return err
	}
	defer mon.Shutdown() // after the scheduler stops: last counts, shutdown checkpoint
	sched.Start()
	defer func() { <-sched.Stop().Done() }()
	return listen(ctx, cfg, srv, https, stdout, log)
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
		BaseURL: cfg.baseURL, TrustedProxies: cfg.Security.Proxies(), Product: cfg.Product, MailFrom: cfg.MailFrom, MailRelay: relay,
		SessionOptions: cfg.Sessions, Abuse: cfg.Security.Abuse(), Privacy: cfg.Privacy, ChatOptions: cfg.Chat, API: cfg.API,
		Backups: backups, TLS: https.Config(), Doctor: web.NewDoctor(cfg.doctorInput(db)),
	}
}

// doctorInput is what the deployment checks look at; db is the running
// server's database, or nil.
func (c Config) doctorInput(db *store.DB) web.DoctorInput {
	return web.DoctorInput{
		Data: c.Data, MasterKeyFile: c.MasterKeyFile, Addr: c.Addr, BaseURL: c.baseURL, TrustedProxies: c.Security.TrustedProxies,
		TLS: c.TLS, SMTP: c.SMTP, Privacy: c.Privacy, RetentionSchedule: c.Privacy.Schedule, Backup: c.Backup, DB: db,
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

// scheduleServer adds the server's background jobs to sched: traffic counts
// and alerts every minute, the audit checkpoint, expired sessions, the chat
// sweep, webhook delivery, and retention on its schedule and once a minute
// after start (so that a server restarted daily still applies it). Only
// retention stops with ctx; the others finish their round, and the
// scheduler waits for them at shutdown.
func scheduleServer(ctx context.Context, sched *cron.Cron, cfg Config, mon *monitor.Service, hooks *api.Deliverer) error {
	bg := context.Background()
	retention := func() { mon.ApplyRetention(ctx) }
	sched.Schedule(monitor.Once(time.Now().Add(time.Minute)), cron.FuncJob(retention))
	for _, j := range []struct {
		spec string
		job  func()
	}{
		{"@every 1m", func() { mon.Minute(bg) }},
		{"@hourly", func() { mon.Hour(bg) }}, // full audit verification, pruning
		{"@every " + cmp.Or(cfg.Security.CheckpointEvery, time.Hour).String(), func() { mon.PeriodicCheckpoint(bg) }},
		{"@every 15m", func() { mon.ExpireSessions(bg) }},
		{"@every 30s", func() { mon.SweepChats(bg) }}, // hand-offs whose time is up become tickets; old transcripts go
		{"@every 5s", func() { hooks.Deliver(bg) }},   // retries; new events are sent at once
		{"@hourly", func() { hooks.Housekeep(bg) }},
		{cfg.Privacy.Schedule, retention},
	} {
		if _, err := sched.AddFunc(j.spec, j.job); err != nil {
			return fmt.Errorf("schedule %q: %w", j.spec, err)
		}
	}
	return nil
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

// parseGrant parses the flags of token or client create, which add binds
// to g, and reads g.
func parseGrant(name, usage string, args []string, stderr io.Writer, add func(*flag.FlagSet), g *api.Grant) (Config, []string, []netip.Prefix, error) {
	cfg, fs, err := parseCommand(name, args, stderr, func(fs *flag.FlagSet, _ *Config) { add(fs) })
	if err != nil {
		return cfg, nil, nil, err
	}
	if fs.NArg() > 0 {
		return cfg, nil, nil, usageError{usage}
	}
	sc, prefixes, err := g.Parse()
	return cfg, sc, prefixes, asUsage(err)
}

// tokenCreate prints the new token once, alone on its last line.
func tokenCreate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var g api.Grant
	cfg, sc, prefixes, err := parseGrant("token create", tokenUsage, args, stderr, func(fs *flag.FlagSet) {
		g.Flags(fs, "the token", "comma-separated scopes (required)", "may be used from")
		fs.DurationVar(&g.TTL, "ttl", 0, "lifetime, like 720h; 0: no expiry")
	}, &g)
	if err != nil {
		return err
	}
	return withStore(ctx, cfg, func(db *store.DB) error {
		t, secret, err := db.CreateToken(ctx, store.NewToken{Name: g.Name, Scopes: sc, TTL: g.TTL, AllowFrom: prefixes}, store.CLIActor)
		if err := cliValidation(err); err != nil {
			return err
		}
		return api.WriteTokenCreated(stdout, t, secret)
	})
}

func tokenList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, _, err := parseCommand("token list", args, stderr, nil)
	if err != nil {
		return err
	}
	return withStore(ctx, cfg, func(db *store.DB) error {
		ts, err := db.ListTokens(ctx)
		return errors.Join(api.WriteTokens(stdout, ts, db.Now()), err)
	})
}

// clientCreate prints client_id and client_secret lines; the secret is
// shown once.
func clientCreate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var g api.Grant
	cfg, sc, prefixes, err := parseGrant("client create", clientUsage, args, stderr, func(fs *flag.FlagSet) {
		g.Flags(fs, "the client", "comma-separated scopes the client may ask for (required)", "may connect from")
	}, &g)
	if err != nil {
		return err
	}
	return withStore(ctx, cfg, func(db *store.DB) error {
		c, secret, err := db.CreateClient(ctx, store.NewClient{Name: g.Name, Scopes: sc, AllowFrom: prefixes}, store.CLIActor)
		if err := cliValidation(err); err != nil {
			return err
		}
		return api.WriteClientCreated(stdout, c, secret)
	})
}

func clientList(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, _, err := parseCommand("client list", args, stderr, nil)
	if err != nil {
		return err
	}
	return withStore(ctx, cfg, func(db *store.DB) error {
		cs, err := db.ListClients(ctx)
		return errors.Join(api.WriteClients(stdout, cs), err)
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
		return backup.CreateNow(ctx, cfg.Backup, backup.Deps{DB: db, DataDir: cfg.Data, KeyFile: cfg.MasterKeyFile}, stdout)
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
	return backup.WriteList(stdout, filepath.Join(cfg.Data, "backups"))
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
	return rep.Write(stdout, file)
}

func backupRestore(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var force bool
	cfg, file, d, err := parseDecrypt("backup restore", args, "usage: safedesk backup restore FILE --identity ID --data DIR [--force]", stderr, func(fs *flag.FlagSet, _ *Config) {
		fs.BoolVar(&force, "force", false, "replace a database already in the folder (it is kept as a safety copy)")
	})
	if err != nil {
		return err
	}
	return backup.RestoreCLI(ctx, file, d, cfg.Data, cfg.MasterKeyFile, force, stdout)
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
	r, err := store.RotateDirKey(ctx, cfg.Data, cfg.MasterKeyFile, store.CLIActor)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "re-wrapped %d data keys under a new master key (fingerprint %x)\nnew key: %s\nprevious key: %s, kept until the next successful backup\n"+
		"Backups made before now restore only with the previous key: store a copy of it with them, off this server.\n", r.Keys, r.Fingerprint[:], r.File, r.File+".prev")
	return err
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
	_, err = fmt.Fprintln(stdout, rep.Summary())
	return err
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
