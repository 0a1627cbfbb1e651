// Command safedesk is a help desk that runs as one binary on one server:
// customer portal, chatbot and staff admin panel over one encrypted SQLite
// file. `safedesk` alone is `safedesk serve`.
//
// This file only parses the command line into one Config, validates it,
// wires the packages together and dispatches: every service lives in the
// package that owns its data (backup.Service, store's data folder, web's
// TLS and doctor, web/monitor's background work). Each package owns its
// group of settings with Flags and Validate (web/options.go, api.Config,
// backup.Options, web.TLSOptions), the miniflux way; Config holds the
// groups and the few settings that wire them.
package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
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
	"safedesk/web/notify"
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
		"version": func(_ context.Context, args []string, stdout, _ io.Writer) error {
			if err := noArgs("version", args); err != nil {
				return err
			}
			return web.WriteVersion(stdout, time.Now())
		},
		"kb":           group("kb", kbUsage, false, map[string]sub{"import": kbImport}),
		"token":        group("token", tokenUsage, false, tokenCommands()),
		"client":       group("client", clientUsage, false, clientCommands()),
		"setup-link":   cmdSetupLink,
		"backup":       group("backup", backupUsage, true, backupCommands()),
		"keys":         group("keys", keysUsage, false, map[string]sub{"rotate": keysRotate, "init": keysInit}),
		"audit":        group("audit", auditUsage, false, auditCommands()),
		"doctor":       cmdDoctor,
		"systemd-unit": cmdSystemdUnit,
		"help": func(_ context.Context, args []string, stdout, _ io.Writer) error {
			if err := noArgs("help", args); err != nil {
				return err
			}
			_, err := fmt.Fprint(stdout, usage)
			return err
		},
	}
}

// noArgs refuses any argument to a command that takes none.
func noArgs(name string, args []string) error {
	if len(args) > 0 {
		return usageError{fmt.Sprintf("%s takes no arguments or flags; %q is not one (try: safedesk help)", name, args[0])}
	}
	return nil
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
  safedesk setup-link             print a fresh one-time owner setup link (valid 1 hour); takes the server's flags
  safedesk token create --scopes S1,S2 [--name N] [--ttl D]   make an API token (printed once); also token list|revoke
  safedesk client create --scopes S1,S2 [--name N]             make an OAuth2 client; also client list|revoke
  safedesk backup create|list|verify|restore   encrypted backups (safedesk backup for details)
  safedesk keys rotate            new master key; every data key re-wrapped (server stopped)
  safedesk keys init --master-key-file FILE   make the master key and the audit signing key beside it (for systemd credentials)
  safedesk audit verify           check the audit log's hash chain and signed checkpoints
  safedesk doctor                 check the deployment: one PASS/WARN/FAIL line per check (exit 1 on a FAIL); takes the server's flags
  safedesk systemd-unit [flags]   print a hardened systemd unit that runs this binary with these server flags
  safedesk version                build, the SHA-256 of this binary, Go and dependency versions, the build's age
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
	SMTPAuth      mail.Credentials // the SMTP password, kept off the command line
	MailFrom      string
	Product       string
	MasterKeyFile string

	Sessions web.SessionOptions    // customer and staff session timeouts, concurrent sessions
	Security web.SecurityOptions   // trusted proxies, rate limits, abuse detection, audit checkpoints
	Privacy  web.PrivacyConfig     // retention and notifications
	Chat     web.ChatOptions       // hand-off, business hours, assistant vocabulary, transcripts
	API      api.Config            // API rate limit, webhook hosts exempt from the SSRF checks
	Backup   backup.Options        // schedule, ladder, copy, identity or passphrase, drill
	TLS      web.TLSOptions        // HTTPS served here: certificate files or ACME
	Files    web.AttachmentOptions // files on tickets: size limit
	Brand    web.BrandOptions      // brand colour, website, support hours, logo (the admin settings win)
	Notify   notify.Options        // staff notifications: due-time warning, daily digest
	Log      web.LogOptions        // log format and level

	// Email is the support mailbox read over IMAP, and whose verdict on
	// senders is trusted.
	Email mail.InboundOptions

	baseURL    *url.URL
	migrations fs.FS // tests only: store.Options.Migrations
}

// defaultConfig holds the embedded defaults: `go run .` needs nothing else.
// The master key file also follows SAFEDESK_MASTER_KEY_FILE in commands
// without the flag.
func defaultConfig() Config {
	return Config{
		Data: "data", Addr: "127.0.0.1:8080", Product: "safedesk", MasterKeyFile: os.Getenv("SAFEDESK_MASTER_KEY_FILE"),
		SMTPAuth: mail.Credentials{Password: os.Getenv("SAFEDESK_SMTP_PASSWORD")},
		Sessions: web.DefaultSessionOptions(), Security: web.DefaultSecurityOptions(), Privacy: web.DefaultPrivacyConfig(),
		Chat: web.DefaultChatOptions(), API: api.DefaultConfig(), Backup: backup.DefaultOptions(), Notify: notify.DefaultOptions(),
		Log: web.DefaultLogOptions(), Email: mail.DefaultInboundOptions(),
	}
}

// flagSet returns the serve flags bound to c.
func (c *Config) flagSet(name string) *flag.FlagSet {
	fs := commandFlags(name, c)
	fs.StringVar(&c.Addr, "addr", c.Addr, "listen address")
	fs.StringVar(&c.BaseURL, "base-url", c.BaseURL, "public URL of the site (default http://ADDR)")
	fs.BoolVar(&c.Demo, "demo", c.Demo, "load the sample knowledge base")
	fs.StringVar(&c.SMTP, "smtp", c.SMTP, "mail relay: smtp://user@host:587 (STARTTLS), smtps://…:465, smtp+insecure://127.0.0.1:2525 (loopback only); empty: mail goes to the log (development)")
	c.SMTPAuth.Flags(fs)
	fs.StringVar(&c.MailFrom, "mail-from", c.MailFrom, "sender address of mail, e.g. support@example.com")
	fs.StringVar(&c.Product, "product", c.Product, "the name shown to customers")
	masterKey(defaultKeyHelp)(fs, c)
	c.Sessions.Flags(fs)
	c.Security.Flags(fs)
	c.Privacy.Flags(fs)
	c.Chat.Flags(fs)
	c.API.Flags(fs)
	c.Backup.Flags(fs)
	c.TLS.Flags(fs)
	c.Files.Flags(fs)
	c.Brand.Flags(fs)
	c.Notify.Flags(fs)
	c.Log.Flags(fs)
	c.Email.Flags(fs)
	return fs
}

// commandFlags returns a command's flag set with --data bound to c.Data.
func commandFlags(name string, c *Config) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.StringVar(&c.Data, "data", c.Data, "data folder")
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
	if err := c.TLS.Validate(); err != nil {
		return asUsage(err)
	}
	if c.BaseURL == "" {
		c.BaseURL = c.TLS.DefaultBaseURL(c.Addr)
	}
	if err := c.TLS.CheckBaseURL(c.BaseURL); err != nil {
		return asUsage(err)
	}
	u, err := web.ParseBaseURL(c.BaseURL)
	if err != nil {
		return asUsage(err)
	}
	c.baseURL = u
	if c.SMTP != "" && c.MailFrom == "" {
		return usageError{"--mail-from is required with --smtp"}
	}
	emailValidate := func() error { return c.Email.Validate(c.MailFrom) }
	for _, validate := range []func() error{c.Security.Validate, c.API.Validate, c.Sessions.Validate, c.Backup.Validate, c.Privacy.Validate, c.Chat.Validate, c.Files.Validate, c.Brand.Validate,
		c.Notify.Validate, c.Log.Validate, emailValidate} {
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
	cfg, _, err := parseServeFlags(name, args, stderr)
	return cfg, err
}

// parseServeFlags is parseServeConfig that also returns the parsed flags.
func parseServeFlags(name string, args []string, stderr io.Writer) (Config, *flag.FlagSet, error) {
	cfg := defaultConfig()
	fs := cfg.flagSet(name)
	if err := parseFlags(fs, args, stderr); err != nil {
		return cfg, fs, err
	}
	if fs.NArg() > 0 {
		return cfg, fs, usageError{fmt.Sprintf("%s: unexpected argument %q", name, fs.Arg(0))}
	}
	return cfg, fs, cfg.Validate()
}

// cmdSystemdUnit prints the systemd unit that runs this binary with the
// server's flags and environment as given (web.WriteSystemdUnit).
func cmdSystemdUnit(_ context.Context, args []string, stdout, stderr io.Writer) error {
	_, fs, err := parseServeFlags("systemd-unit", args, stderr)
	if err != nil {
		return err
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	return web.WriteSystemdUnit(stdout, exe, fs)
}

func cmdServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseServeConfig("serve", args, stderr)
	if err != nil {
		return err
	}
	return serve(ctx, cfg, stdout, cfg.Log.Logger(stderr))
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
	db, err := cfg.openStore(ctx, true, log)
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
	smtpURL, err := cfg.SMTPAuth.WithPassword(cfg.SMTP)
	if err != nil {
		return usageError{err.Error()}
	}
	mailer, err := mail.New(smtpURL, cfg.MailFrom, log)
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
		Site: wcfg.Site, AuditKey: auditKey, ChatRetention: wcfg.ChatRetention,
		Retention: cfg.Privacy.Retention,
	})
	if err != nil {
		return err
	}
	srv, err := web.New(wcfg, db, outbox, mon, log)
	if err != nil {
		return err
	}
	cfg.Notify.Site = wcfg.Site
	staffMail := notify.New(db, outbox, log, cfg.Notify)
	if err := scheduleServer(ctx, sched, cfg, mon, srv.Webhooks(), staffMail, srv.Inbox()); err != nil {
		return err
	}
	defer mon.Shutdown() // after the scheduler stops: last counts, shutdown checkpoint
	sched.Start()
	defer func() { <-sched.Stop().Done() }()
	return listen(ctx, cfg, db, srv, https, stdout, log)
}

// listen serves HTTP (and the TLS side) until ctx ends. The owner setup
// link, if one is due, is printed once the port is bound: it works then.
func listen(ctx context.Context, cfg Config, db *store.DB, srv *web.Server, https *web.HTTPS, stdout io.Writer, log *slog.Logger) error {
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	if err := logSetupLink(ctx, db, cfg.baseURL, log); err != nil {
		return errors.Join(err, ln.Close())
	}
	stopTLS, err := https.Start(ctx, log) // SIGHUP reload, HTTP redirect
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
		Attachments: cfg.Files, Email: web.EmailConfig{Options: cfg.Email}, Brand: cfg.Brand,
		// One Site for every service that mails customers, so that the name
		// and website set in the admin settings reach all of them.
		Site: mail.Site{Product: cfg.Product, BaseURL: cfg.baseURL, Brand: new(mail.Brand)},
	}
}

// doctorInput is what the deployment checks look at; db is the running
// server's database, or nil.
func (c Config) doctorInput(db *store.DB) web.DoctorInput {
	return web.DoctorInput{
		Data: c.Data, MasterKeyFile: c.MasterKeyFile, Addr: c.Addr, BaseURL: c.baseURL, TrustedProxies: c.Security.TrustedProxies,
		TLS: c.TLS, SMTP: c.SMTP, Privacy: c.Privacy, RetentionSchedule: c.Privacy.Schedule, Backup: c.Backup, DB: db, Email: c.Email, LLM: c.Chat.ChatModel,
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
// sweep, webhook delivery, staff notifications and their digest, the
// support mailbox (inbox, nil without --imap: its watcher from the start,
// which runs the rounds, and a round every --imap-interval), and retention
// on its schedule and once a minute after start (so that a server
// restarted daily still applies it). Only retention and the mailbox stop
// with ctx; the others finish their round, and the scheduler waits for
// them all at shutdown.
func scheduleServer(ctx context.Context, sched *cron.Cron, cfg Config, mon *monitor.Service, hooks *api.Deliverer, staffMail *notify.Service,
	inbox *mail.Inbox) error {
	bg := context.Background()
	retention := func() { mon.ApplyRetention(ctx) }
	sched.Schedule(monitor.Once(time.Now().Add(time.Minute)), cron.FuncJob(retention))
	type job struct {
		spec string
		job  func()
	}
	jobs := []job{
		{"@every 1m", func() { mon.Minute(bg) }},
		{"@hourly", func() { mon.Hour(bg) }}, // full audit verification, pruning
		{"@every " + cmp.Or(cfg.Security.CheckpointEvery, time.Hour).String(), func() { mon.PeriodicCheckpoint(bg) }},
		{"@every 15m", func() { mon.ExpireSessions(bg) }},
		{"@every 30s", func() { mon.SweepChats(bg) }}, // hand-offs whose time is up become tickets; old transcripts go
		{"@every 5s", func() { hooks.Deliver(bg) }},   // retries; new events are sent at once
		{"@hourly", func() { hooks.Housekeep(bg) }},
		{"@hourly", func() { mon.PurgeUploads(bg) }}, // files staged by uploads a crash cut off
		{"@every 1m", func() { staffMail.Run(bg) }},  // staff notifications, grouped per minute
		{cfg.Notify.DigestSchedule, func() { staffMail.Digest(bg) }},
		{cfg.Privacy.Schedule, retention},
		{"@every 1s", func() { mon.CheckpointWAL(bg) }}, // the WAL into the database, off the request path
	}
	if inbox != nil {
		// The watcher runs until ctx ends: it reads the mailbox at once,
		// runs each round asked for, one at a time, and asks for one when
		// IDLE says mail arrived.
		sched.Schedule(monitor.Once(time.Now().Add(time.Second)), cron.FuncJob(func() { inbox.Watch(ctx) }))
		jobs = append(jobs, job{"@every " + cfg.Email.Interval.String(), inbox.Wake})
	}
	for _, j := range jobs {
		if _, err := sched.AddFunc(j.spec, j.job); err != nil {
			return fmt.Errorf("schedule %q: %w", j.spec, err)
		}
	}
	return nil
}

// sub is a command, or a subcommand such as `backup create`, that parses
// --data and the flags that flags adds, takes args positional arguments
// (-1: any number), and runs with the parsed Config. Wrong arguments are
// answered with usage, or, when usage is "", by naming the first one.
type sub struct {
	flags        func(fs *flag.FlagSet, c *Config)
	args         int
	interspersed bool // the positional arguments may come before the flags
	usage        string
	run          func(ctx context.Context, cfg Config, args []string, stdout io.Writer) error
}

// command is s as the command name.
func (s sub) command(name string) command {
	return func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
		cfg := defaultConfig()
		fs := commandFlags(name, &cfg)
		if s.flags != nil {
			s.flags(fs, &cfg)
		}
		parse := parseFlags
		if s.interspersed {
			parse = parseInterspersed
		}
		if err := parse(fs, args, stderr); err != nil {
			return err
		}
		if s.args >= 0 && fs.NArg() != s.args {
			if s.usage == "" {
				return usageError{fmt.Sprintf("%s: unexpected argument %q", name, fs.Arg(0))}
			}
			return usageError{s.usage}
		}
		return s.run(ctx, cfg, fs.Args(), stdout)
	}
}

// group is a command made of subcommands, like `backup create`; unknown,
// when set, names an unknown subcommand before the usage.
func group(name, usage string, unknown bool, subs map[string]sub) command {
	return func(ctx context.Context, args []string, stdout, stderr io.Writer) error {
		if len(args) == 0 {
			return usageError{usage}
		}
		s, ok := subs[args[0]]
		switch {
		case !ok && unknown:
			return usageError{fmt.Sprintf("unknown %s command %q\n%s", name, args[0], usage)}
		case !ok:
			return usageError{usage}
		}
		return s.command(name+" "+args[0])(ctx, args[1:], stdout, stderr)
	}
}

// openStore opens the data folder's database; a schema upgrade waits for
// a backup of the database as it was (backup.BeforeMigrate).
func (c Config) openStore(ctx context.Context, create bool, log *slog.Logger) (*store.DB, error) {
	return store.OpenDirWith(ctx, c.Data, c.MasterKeyFile, create, log, store.Options{
		BeforeMigrate: backup.BeforeMigrate(c.Backup, c.Data, c.MasterKeyFile, log), Migrations: c.migrations})
}

// withStore runs fn on the data folder's database.
func withStore(ctx context.Context, cfg Config, fn func(*store.DB) error) error {
	db, err := cfg.openStore(ctx, false, nil)
	if err != nil {
		return err
	}
	return errors.Join(fn(db), db.Close())
}

// masterKey adds --master-key-file with help.
func masterKey(help string) func(*flag.FlagSet, *Config) {
	return func(fs *flag.FlagSet, c *Config) {
		fs.StringVar(&c.MasterKeyFile, "master-key-file", c.MasterKeyFile, help)
	}
}

const defaultKeyHelp = "master key file (default DATA/master.key)"

// logSetupLink logs the owner setup link while there is no staff yet
// (web.FirstSetupLink): a new link, or when the one printed before still
// works, until when.
func logSetupLink(ctx context.Context, db *store.DB, base *url.URL, log *slog.Logger) error {
	first, err := web.FirstSetupLink(ctx, db, base)
	switch {
	case err != nil:
		return err
	case first.Link != "":
		log.Warn("no staff account yet: open this one-time link within 1 hour to create the owner account (run `safedesk setup-link` for a new one)", "setup_link", first.Link)
	case !first.LiveUntil.IsZero():
		log.Warn("no staff account yet: the one-time owner setup link printed at "+first.LiveSince.UTC().Format(time.DateTime)+
			" UTC still works until "+first.LiveUntil.UTC().Format(time.DateTime)+" UTC; lost it? run `safedesk setup-link` for a new one (it replaces that one)",
			"setup_link_expires", first.LiveUntil.UTC())
	}
	return nil
}

// cmdSetupLink issues a fresh owner setup link from the command line. It
// takes the server's flags and environment, so that the link carries the
// server's base URL (--base-url, or what --addr and the TLS settings make
// of it).
func cmdSetupLink(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parseServeConfig("setup-link", args, stderr)
	if err != nil {
		return err
	}
	return withStore(ctx, cfg, func(db *store.DB) error {
		token, err := db.CreateSetupLink(ctx, store.SystemActor)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(stdout, "One-time owner setup link, valid for 1 hour (an earlier unused link now says it was replaced):\n%s\n", web.SetupURL(cfg.baseURL, token))
		return err
	})
}

const kbUsage = "usage: safedesk kb import [--data DIR] FOLDER"

// kbImport imports a folder of Markdown articles.
var kbImport = sub{args: 1, usage: kbUsage, run: func(ctx context.Context, cfg Config, args []string, stdout io.Writer) error {
	if err := store.CheckArticleFolder(args[0]); err != nil {
		return fmt.Errorf("kb import: %w", err)
	}
	return withStore(ctx, cfg, func(db *store.DB) error {
		created, updated, err := db.ImportArticles(ctx, os.DirFS(args[0]), store.SystemActor)
		if err != nil {
			return fmt.Errorf("kb import: %s", strings.TrimPrefix(err.Error(), "store: "))
		}
		_, err = fmt.Fprintf(stdout, "imported %d new and %d updated articles\n", created, updated)
		return err
	})
}}

const tokenUsage = `usage: safedesk token create --scopes S1,S2 [--name N] [--ttl D] [--allow-from CIDRS] [--data DIR]
       safedesk token list [--data DIR]
       safedesk token revoke [--data DIR] ID
scopes: ` + "tickets:read tickets:write customers:read customers:erase kb:read kb:write audit:read security:read webhooks:write"

const clientUsage = `usage: safedesk client create --scopes S1,S2 [--name N] [--allow-from CIDRS] [--data DIR]
       safedesk client list [--data DIR]
       safedesk client revoke [--data DIR] ID`

// tokenCommands manage personal API tokens; create prints the token once,
// alone on its last line.
func tokenCommands() map[string]sub {
	var g api.Grant
	return map[string]sub{
		"create": {usage: tokenUsage, flags: func(fs *flag.FlagSet, _ *Config) {
			g.Flags(fs, "the token", "comma-separated scopes (required)", "may be used from")
			fs.DurationVar(&g.TTL, "ttl", 0, "lifetime, like 720h; 0: no expiry")
		}, run: func(ctx context.Context, cfg Config, _ []string, stdout io.Writer) error {
			return withGrant(ctx, cfg, g, func(db *store.DB, sc []string, from []netip.Prefix) error {
				t, secret, err := db.CreateToken(ctx, store.NewToken{Name: g.Name, Scopes: sc, TTL: g.TTL, AllowFrom: from}, store.CLIActor)
				return cliResult(err, func() error { return api.WriteTokenCreated(stdout, t, secret) })
			})
		}},
		"list": {run: func(ctx context.Context, cfg Config, _ []string, stdout io.Writer) error {
			return withStore(ctx, cfg, func(db *store.DB) error {
				ts, err := db.ListTokens(ctx)
				return errors.Join(api.WriteTokens(stdout, ts, db.Now()), err)
			})
		}},
		"revoke": revoker(tokenUsage, (*store.DB).RevokeToken, "no active personal token %d", "token %d revoked\n"),
	}
}

// clientCommands manage OAuth2 clients; create prints client_id and
// client_secret lines, the secret once.
func clientCommands() map[string]sub {
	var g api.Grant
	return map[string]sub{
		"create": {usage: clientUsage, flags: func(fs *flag.FlagSet, _ *Config) {
			g.Flags(fs, "the client", "comma-separated scopes the client may ask for (required)", "may connect from")
		}, run: func(ctx context.Context, cfg Config, _ []string, stdout io.Writer) error {
			return withGrant(ctx, cfg, g, func(db *store.DB, sc []string, from []netip.Prefix) error {
				c, secret, err := db.CreateClient(ctx, store.NewClient{Name: g.Name, Scopes: sc, AllowFrom: from}, store.CLIActor)
				return cliResult(err, func() error { return api.WriteClientCreated(stdout, c, secret) })
			})
		}},
		"list": {run: func(ctx context.Context, cfg Config, _ []string, stdout io.Writer) error {
			return withStore(ctx, cfg, func(db *store.DB) error {
				cs, err := db.ListClients(ctx)
				return errors.Join(api.WriteClients(stdout, cs), err)
			})
		}},
		"revoke": revoker(clientUsage, (*store.DB).RevokeClient, "no active client %d", "client %d and its access tokens revoked\n"),
	}
}

// withGrant reads g's scopes and networks, as usage errors, then runs fn
// on the data folder's database.
func withGrant(ctx context.Context, cfg Config, g api.Grant, fn func(*store.DB, []string, []netip.Prefix) error) error {
	sc, from, err := g.Parse()
	if err != nil {
		return asUsage(err)
	}
	return withStore(ctx, cfg, func(db *store.DB) error { return fn(db, sc, from) })
}

// cliResult is err, with a store validation error made a usage error that
// names the flags, or, when err is nil, what print returns.
func cliResult(err error, print func() error) error {
	var verr *store.ValidationError
	if errors.As(err, &verr) {
		var parts []string
		for f, msg := range verr.Fields {
			parts = append(parts, "--"+strings.ReplaceAll(f, "_", "-")+": "+msg)
		}
		return usageError{strings.Join(parts, "; ")}
	}
	if err != nil {
		return err
	}
	return print()
}

// revoker is the revoke subcommand of token or client: revoke by the id
// in the one argument, then say so (done) or that there is none (missing).
func revoker(usage string, revoke func(*store.DB, context.Context, int64, store.Actor) error, missing, done string) sub {
	return sub{args: 1, usage: usage, run: func(ctx context.Context, cfg Config, args []string, stdout io.Writer) error {
		id, err := strconv.ParseInt(args[0], 10, 64)
		if err != nil || id <= 0 {
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
	}}
}

const backupUsage = `usage:
  safedesk backup create [--data DIR]                     make a backup now; prints its path on the last line
  safedesk backup list [--data DIR]                       list the backups, newest first
  safedesk backup verify FILE --identity ID [--data DIR]  decrypt and check a backup
  safedesk backup restore FILE --identity ID --data DIR [--master-key-file FILE] [--force]
                                                          restore into DIR (which must hold master.key, or name it)`

// backupCommands make, list, verify and restore backups; verify and
// restore decrypt with d, away from the server.
func backupCommands() map[string]sub {
	var d backup.Decrypt
	var force bool
	decrypt := func(key func(*flag.FlagSet, *Config)) func(*flag.FlagSet, *Config) {
		return func(fs *flag.FlagSet, c *Config) { key(fs, c); d.Flags(fs) }
	}
	return map[string]sub{
		"create": {flags: func(fs *flag.FlagSet, c *Config) {
			masterKey(defaultKeyHelp)(fs, c)
			c.Backup.CreateFlags(fs)
		}, run: func(ctx context.Context, cfg Config, _ []string, stdout io.Writer) error {
			if err := cfg.Backup.Validate(); err != nil {
				return asUsage(err)
			}
			return withStore(ctx, cfg, func(db *store.DB) error {
				return backup.CreateNow(ctx, cfg.Backup, backup.Deps{DB: db, DataDir: cfg.Data, KeyFile: cfg.MasterKeyFile}, stdout)
			})
		}},
		"list": {flags: func(fs *flag.FlagSet, c *Config) { c.Backup.KeepFlag(fs) }, run: func(_ context.Context, cfg Config, _ []string, stdout io.Writer) error {
			if err := cfg.Backup.Validate(); err != nil {
				return asUsage(err)
			}
			return backup.WriteDir(stdout, filepath.Join(cfg.Data, "backups"), cfg.Backup.Keep, time.Now())
		}},
		"verify": {args: 1, interspersed: true, usage: "usage: safedesk backup verify FILE --identity ID [--data DIR]",
			flags: decrypt(masterKey("master key that must open the backup's data keys (default DATA/master.key)")),
			run: func(ctx context.Context, cfg Config, args []string, stdout io.Writer) error {
				if err := d.Validate(); err != nil {
					return asUsage(err)
				}
				rep, err := backup.VerifyFile(ctx, args[0], d, cfg.Data, cfg.MasterKeyFile)
				if err != nil {
					return err
				}
				return rep.Write(stdout, args[0])
			}},
		"restore": {args: 1, interspersed: true, usage: "usage: safedesk backup restore FILE --identity ID --data DIR [--master-key-file FILE] [--force]",
			flags: decrypt(func(fs *flag.FlagSet, c *Config) {
				masterKey("master key that opens the backup's data keys (default DATA/master.key)")(fs, c)
				fs.BoolVar(&force, "force", false, "replace a database already in the folder (it is kept as a safety copy)")
			}),
			run: func(ctx context.Context, cfg Config, args []string, stdout io.Writer) error {
				if err := d.Validate(); err != nil {
					return asUsage(err)
				}
				return backup.RestoreCLI(ctx, args[0], d, cfg.Data, cfg.MasterKeyFile, force, stdout)
			}},
	}
}

const keysUsage = `usage: safedesk keys rotate [--data DIR] [--master-key-file FILE]
       safedesk keys init --master-key-file FILE`

// keysInit makes the master key at --master-key-file and the audit signing
// key beside it, for a server that reads them as systemd credentials
// (safedesk systemd-unit), where it cannot make them on its first start.
// Keys already there are kept.
var keysInit = sub{usage: keysUsage, flags: masterKey("where to make the master key; the audit signing key goes beside it"),
	run: func(_ context.Context, cfg Config, _ []string, stdout io.Writer) error {
		if cfg.MasterKeyFile == "" {
			return usageError{keysUsage}
		}
		ring, created, err := security.LoadMasterKey(cfg.MasterKeyFile, true)
		if err != nil {
			return err
		}
		if _, err := store.AuditSigningKey(cfg.Data, cfg.MasterKeyFile); err != nil {
			return err
		}
		state := "kept the master key already in"
		if created {
			state = "made a new master key in"
		}
		fp := ring.Fingerprint()
		_, err = fmt.Fprintf(stdout, "%s %s (fingerprint %x) and the audit signing key beside it, %s\n"+
			"Keep a copy of the master key off this server: without it nothing personal can be read, and backups never hold it.\n",
			state, cfg.MasterKeyFile, fp[:], store.AuditKeyPath(cfg.Data, cfg.MasterKeyFile))
		return err
	}}

// keysRotate makes a new master key and re-wraps every data key under it.
var keysRotate = sub{usage: keysUsage, flags: masterKey(defaultKeyHelp),
	run: func(ctx context.Context, cfg Config, _ []string, stdout io.Writer) error {
		r, err := store.RotateDirKey(ctx, cfg.Data, cfg.MasterKeyFile, store.CLIActor)
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(stdout, "re-wrapped %d data keys under a new master key (fingerprint %x)\nnew key: %s\nprevious key: %s, kept until the next successful backup\n"+
			"Backups made before now restore only with the previous key: store a copy of it with them, off this server.\n", r.Keys, r.Fingerprint[:], r.File, r.File+".prev")
		return err
	}}

const auditUsage = `usage:
  safedesk audit verify [--data DIR] [--public-key FILE]...
      recompute the audit log's hash chain and check its signed checkpoints,
      saying which key verified which range (one --public-key per key kept
      off the server); exit 0 when intact, 1 naming the first bad entry
  safedesk audit public-key [--data DIR]
      print the checkpoint signing key's public half (PEM), to keep off the
      server and give to verify --public-key`

// auditCommands verify the audit log of the database file, opened
// read-only (no master key needed), and print the signing key's public
// half.
func auditCommands() map[string]sub {
	var pubFiles []string
	key := masterKey("master key file, beside which the signing key lives (default DATA/master.key)")
	return map[string]sub{
		"public-key": {usage: auditUsage, flags: key, run: func(_ context.Context, cfg Config, _ []string, stdout io.Writer) error {
			return store.WriteAuditPublicKey(cfg.Data, cfg.MasterKeyFile, stdout)
		}},
		"verify": {usage: auditUsage, flags: func(fs *flag.FlagSet, c *Config) {
			key(fs, c)
			fs.Func("public-key", "PEM public key kept off the server (from safedesk audit public-key) that anchors the checkpoints it signed; give one for each key the log was signed with (default: the signing key DATA/"+store.AuditKeyName+", which is on the server)",
				func(f string) error { pubFiles = append(pubFiles, f); return nil })
		}, run: func(ctx context.Context, cfg Config, _ []string, stdout io.Writer) error {
			anchors, err := store.AuditAnchors(cfg.Data, cfg.MasterKeyFile, pubFiles)
			if err != nil {
				return err
			}
			rep, err := store.VerifyAuditFileAnchored(ctx, filepath.Join(cfg.Data, store.DBName), anchors)
			var chain *security.ChainError
			switch {
			case errors.As(err, &chain):
				fmt.Fprintf(stdout, "audit log BROKEN at seq %d: %s\n", chain.Seq, chain.Reason)
				return fmt.Errorf("audit log does not verify: the first bad entry is seq %d (%s)", chain.Seq, chain.Reason)
			case err != nil:
				return err
			case rep.Unchecked > 0 && rep.Checkpoints == 0:
				return fmt.Errorf("%d signed checkpoints cannot be checked without the signing key: pass --public-key FILE (from `safedesk audit public-key`)", rep.Unchecked)
			}
			lines := []string{rep.Summary()}
			for _, r := range rep.Ranges {
				lines = append(lines, "  "+r.String())
			}
			_, err = fmt.Fprintln(stdout, strings.Join(lines, "\n"))
			return err
		}},
	}
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
