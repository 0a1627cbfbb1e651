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
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/robfig/cron/v3"

	"safedesk/security"
	"safedesk/store"
	"safedesk/web"
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
  safedesk version                build, Go and dependency versions
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

	baseURL *url.URL
	proxies []netip.Prefix
}

// defaultConfig holds the embedded defaults: `go run .` needs nothing else.
func defaultConfig() Config {
	return Config{
		Data: "data", Addr: "127.0.0.1:8080", Product: "safedesk",
		CustomerIdle: 30 * time.Minute, CustomerLifetime: 24 * time.Hour,
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
}

func dataFlag(fs *flag.FlagSet, p *string) {
	fs.StringVar(p, "data", *p, "data folder")
}

// Validate checks values and derives the parsed forms.
func (c *Config) Validate() error {
	if c.Data == "" {
		return usageError{"--data must not be empty"}
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return usageError{fmt.Sprintf("--addr %q: want host:port, like 127.0.0.1:8080", c.Addr)}
	}
	if c.BaseURL == "" {
		c.BaseURL = "http://" + c.Addr
	}
	u, err := url.Parse(c.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return usageError{fmt.Sprintf("--base-url %q: want an origin like https://help.example.com", c.BaseURL)}
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
	if c.CustomerIdle <= 0 || c.CustomerLifetime < c.CustomerIdle {
		return usageError{"--customer-idle-timeout must be positive and no longer than --customer-max-lifetime"}
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
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	cfg.flags(fs)
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

	db, err := openStore(ctx, cfg.Data, cfg.MasterKeyFile, true, log)
	if err != nil {
		return err
	}
	defer db.Close()
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
	srv, err := web.New(web.Config{
		BaseURL: cfg.baseURL, TrustedProxies: cfg.proxies, Product: cfg.Product, MailFrom: cfg.MailFrom,
		CustomerIdle: cfg.CustomerIdle, CustomerLifetime: cfg.CustomerLifetime,
	}, db, mailer, log)
	if err != nil {
		return err
	}

	sched := cron.New(cron.WithLocation(time.UTC), cron.WithChain(cron.Recover(cron.DiscardLogger), cron.SkipIfStillRunning(cron.DiscardLogger)))
	sched.AddFunc("@every 15m", func() {
		if n, err := db.DeleteExpiredSessions(context.Background()); err != nil {
			log.Error("expire sessions", "err", err)
		} else if n > 0 {
			log.Info("expired sessions removed", "count", n)
		}
	})
	sched.Start()
	defer func() { <-sched.Stop().Done() }()

	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return err
	}
	log.Info("safedesk listening", "addr", ln.Addr().String(), "base_url", cfg.baseURL.String(), "data", cfg.Data)
	fmt.Fprintf(stdout, "safedesk: serving %s (listening on %s)\n", cfg.baseURL, ln.Addr())
	err = srv.Run(ctx, ln)
	log.Info("safedesk stopped")
	return err
}

func runKB(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "import" {
		return usageError{"usage: safedesk kb import [--data DIR] FOLDER"}
	}
	cfg := defaultConfig()
	fs := flag.NewFlagSet("kb import", flag.ContinueOnError)
	dataFlag(fs, &cfg.Data)
	if err := parseFlags(fs, args[1:], stderr); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{"usage: safedesk kb import [--data DIR] FOLDER"}
	}
	db, err := openStore(ctx, cfg.Data, "", false, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	created, updated, err := db.ImportArticles(ctx, os.DirFS(fs.Arg(0)), store.SystemActor)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "imported %d new and %d updated articles\n", created, updated)
	return nil
}

func runVersion(stdout io.Writer) error {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return errors.New("no build information in this binary")
	}
	settings := map[string]string{}
	for _, s := range bi.Settings {
		settings[s.Key] = s.Value
	}
	fmt.Fprintf(stdout, "module    %s\n", bi.Main.Path)
	fmt.Fprintf(stdout, "version   %s\n", bi.Main.Version)
	rev := settings["vcs.revision"]
	if rev == "" {
		rev = "unknown"
	}
	if settings["vcs.modified"] == "true" {
		rev += " (modified)"
	}
	fmt.Fprintf(stdout, "revision  %s\n", rev)
	if t := settings["vcs.time"]; t != "" {
		fmt.Fprintf(stdout, "built     %s\n", t)
	}
	fmt.Fprintf(stdout, "go        %s\n", bi.GoVersion)
	fmt.Fprintln(stdout, "dependencies:")
	for _, d := range bi.Deps {
		v := d.Version
		if d.Replace != nil {
			v += " => " + d.Replace.Path + " " + d.Replace.Version
		}
		fmt.Fprintf(stdout, "  %s %s\n", d.Path, v)
	}
	return nil
}
