package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/robfig/cron/v3"

	"safedesk/security"
	"safedesk/store"
	"safedesk/web"
	"safedesk/web/api"
)

// openStore opens the data folder's database with its master key.
func openStore(ctx context.Context, data, keyFile string, create bool, log *slog.Logger) (*store.DB, error) {
	if create {
		if err := os.MkdirAll(data, 0o700); err != nil {
			return nil, fmt.Errorf("data folder: %w", err)
		}
	}
	dbPath := filepath.Join(data, "safedesk.db")
	if !create {
		if _, err := os.Stat(dbPath); err != nil {
			return nil, fmt.Errorf("no database in %s (run safedesk serve once, or pass --data)", data)
		}
	}
	if keyFile == "" {
		keyFile = os.Getenv("SAFEDESK_MASTER_KEY_FILE")
	}
	if keyFile == "" {
		keyFile = filepath.Join(data, "master.key")
	}
	if err := finishKeyRotation(ctx, dbPath, keyFile, log); err != nil {
		return nil, err
	}
	ring, created, err := security.LoadMasterKey(keyFile, create)
	if err != nil {
		return nil, err
	}
	if created && log != nil {
		log.Warn("created a new master key: keep a copy somewhere safe, off this server; without it the data cannot be read", "file", keyFile)
	}
	db, err := store.Open(ctx, dbPath, ring, store.Options{})
	if err != nil {
		return nil, err
	}
	return db, nil
}

func runServe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg := defaultConfig()
	fs := flagSet(&cfg)
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("serve: unexpected argument %q", fs.Arg(0))}
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))

	release, err := lockDataDir(cfg.Data, true)
	if err != nil {
		return err
	}
	defer release()
	db, err := openStore(ctx, cfg.Data, cfg.MasterKeyFile, true, log)
	if err != nil {
		return err
	}
	defer db.Close()
	auditKey, err := auditSigningKey(cfg)
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
	mailer, err := web.NewMailer(cfg.SMTP, cfg.MailFrom, log)
	if err != nil {
		return usageError{err.Error()}
	}
	if cfg.SMTP == "" {
		log.Warn("DEVELOPMENT MODE: no --smtp given, so mail (including sign-in codes) is written to this log, not sent")
	}
	sched := cron.New(cron.WithLocation(time.UTC), cron.WithChain(cron.Recover(cron.DiscardLogger), cron.SkipIfStillRunning(cron.DiscardLogger)))
	backups, err := startBackups(ctx, cfg, db, mailer, sched, log)
	if err != nil {
		return err
	}
	defer backups.Wait()
	https, err := newTLS(cfg, log)
	if err != nil {
		return err
	}
	webCfg := web.Config{
		BaseURL: cfg.baseURL, TrustedProxies: cfg.proxies, Product: cfg.Product, MailFrom: cfg.MailFrom,
		CustomerIdle: cfg.CustomerIdle, CustomerLifetime: cfg.CustomerLifetime,
		API:       api.Config{Rate: cfg.APIRate, Burst: cfg.APIBurst, AllowHosts: splitList(cfg.WebhookAllowHosts)},
		StaffIdle: cfg.StaffIdle, StaffLifetime: cfg.StaffLifetime, StaffSessions: cfg.StaffSessions,
		Backups: backups,
		Abuse:   cfg.Security.abuse, AuditKey: auditKey,
		TLS: https.tlsConfig(), Privacy: cfg.Privacy.webConfig(), Doctor: doctorFunc(cfg, db),
	}
	cfg.Chat.webConfig(&webCfg)
	srv, err := web.New(webCfg, db, mailer, log)
	if err != nil {
		return err
	}
	if err := printSetupLinkIfNew(ctx, db, cfg.baseURL, log); err != nil {
		return err
	}
	if err := scheduleSecurity(sched, srv, cfg, log); err != nil {
		return err
	}
	defer finishSecurity(srv, log) // after the scheduler stops: last counts, shutdown checkpoint

	sched.AddFunc("@every 15m", func() {
		if n, err := db.DeleteExpiredSessions(context.Background()); err != nil {
			log.Error("expire sessions", "err", err)
		} else if n > 0 {
			log.Info("expired sessions removed", "count", n)
		}
	})
	if err := scheduleRetention(ctx, sched, db, cfg.Privacy, log); err != nil {
		return err
	}
	// Chat hand-offs whose time is up become tickets; old transcripts go.
	sched.AddFunc("@every 30s", func() { srv.SweepChats(context.Background()) })
	if err := scheduleWebhooks(ctx, sched, srv.Webhooks()); err != nil {
		return err
	}
	sched.Start()
	defer func() { <-sched.Stop().Done() }()

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	stopTLS, err := https.start(ctx, cfg, log) // SIGHUP reload, HTTP redirect
	if err != nil {
		ln.Close()
		return err
	}
	defer stopTLS()
	log.Info("safedesk listening", "addr", ln.Addr().String(), "base_url", cfg.baseURL.String(), "data", cfg.Data)
	fmt.Fprintf(stdout, "safedesk: serving %s (listening on %s)\n", cfg.baseURL, ln.Addr())
	err = srv.Run(ctx, ln)
	log.Info("safedesk stopped")
	return err
}

// scheduleWebhooks runs webhook delivery every 5 seconds, which picks up
// retries (events recorded by requests are also sent at once), and its
// housekeeping hourly. The server stops the deliverer when it shuts down.
func scheduleWebhooks(ctx context.Context, sched *cron.Cron, hooks *api.Deliverer) error {
	if _, err := sched.AddFunc("@every 5s", func() { hooks.Deliver(ctx) }); err != nil {
		return err
	}
	_, err := sched.AddFunc("@hourly", func() { hooks.Housekeep(ctx) })
	return err
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

// runSetupLink issues a fresh owner setup link from the command line.
func runSetupLink(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg := defaultConfig()
	fs := flag.NewFlagSet("setup-link", flag.ContinueOnError)
	dataFlag(fs, &cfg.Data)
	fs.StringVar(&cfg.BaseURL, "base-url", cfg.BaseURL, "public URL of the site")
	fs.StringVar(&cfg.Addr, "addr", cfg.Addr, "listen address (to derive the default base URL)")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	db, err := openStore(ctx, cfg.Data, "", false, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	token, err := db.CreateSetupLink(ctx, store.SystemActor)
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, "One-time owner setup link, valid for 1 hour (earlier unused links stop working):")
	fmt.Fprintln(stdout, setupURL(cfg.baseURL, token))
	return nil
}
