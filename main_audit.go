package main

import (
	"context"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"safedesk/security"
	"safedesk/store"
	"safedesk/web"
	"safedesk/web/monitor"
)

// auditKeyName is the checkpoint signing key's file, beside the master key.
const auditKeyName = "audit-signing.key"

// securityConfig holds the serve flags of rate limits, abuse detection and
// audit checkpoints. Limits are written RATE/UNIT,BURST: "20/s,60" is 20
// requests a second sustained with 60 at once; UNIT is s, m or h.
type securityConfig struct {
	ClientLimit        string
	SessionLimit       string
	EmailCodeLimit     string
	CodeClientLimit    string
	VerifyClientLimit  string
	VerifyAddressLimit string
	AbuseExempt        string
	CheckpointEvery    time.Duration

	abuse web.AbuseConfig
}

func (c *securityConfig) flags(fs *flag.FlagSet) {
	def := func(p *string, l security.LimitConfig) {
		if *p == "" {
			*p = formatLimit(l)
		}
	}
	def(&c.ClientLimit, security.ClientLimit)
	def(&c.SessionLimit, security.SessionLimit)
	def(&c.EmailCodeLimit, security.EmailCodeLimit)
	def(&c.CodeClientLimit, security.CodeClientLimit)
	def(&c.VerifyClientLimit, web.VerifyClientLimit)
	def(&c.VerifyAddressLimit, web.VerifyAddressLimit)
	if c.AbuseExempt == "" {
		c.AbuseExempt = "127.0.0.0/8,::1/128"
	}
	if c.CheckpointEvery == 0 {
		c.CheckpointEvery = time.Hour
	}
	fs.StringVar(&c.ClientLimit, "client-limit", c.ClientLimit, "requests per client address (an IPv6 /64) except /static/: RATE/UNIT,BURST")
	fs.StringVar(&c.SessionLimit, "session-limit", c.SessionLimit, "requests per signed-in session except /static/: RATE/UNIT,BURST")
	fs.StringVar(&c.EmailCodeLimit, "email-code-limit", c.EmailCodeLimit, "one-time codes sent to one email address: RATE/UNIT,BURST")
	fs.StringVar(&c.CodeClientLimit, "code-client-limit", c.CodeClientLimit, "one-time codes sent at one client's request: RATE/UNIT,BURST")
	fs.StringVar(&c.VerifyClientLimit, "verify-client-limit", c.VerifyClientLimit, "one-time codes checked by one client: RATE/UNIT,BURST")
	fs.StringVar(&c.VerifyAddressLimit, "verify-address-limit", c.VerifyAddressLimit, "one-time codes checked for one email address: RATE/UNIT,BURST")
	fs.StringVar(&c.AbuseExempt, "abuse-exempt", c.AbuseExempt, `comma-separated CIDRs never rate limited or blocked (but counted); "none" for none`)
	fs.DurationVar(&c.CheckpointEvery, "audit-checkpoint-every", c.CheckpointEvery, "how often to sign a checkpoint of the audit log (also at every backup and at shutdown)")
}

// validate parses the flags into the web layer's AbuseConfig.
func (c *securityConfig) validate() error {
	for _, l := range []struct {
		flag string
		val  string
		dst  *security.LimitConfig
	}{
		{"client-limit", c.ClientLimit, &c.abuse.ClientLimit},
		{"session-limit", c.SessionLimit, &c.abuse.SessionLimit},
		{"email-code-limit", c.EmailCodeLimit, &c.abuse.EmailCodeLimit},
		{"code-client-limit", c.CodeClientLimit, &c.abuse.CodeClientLimit},
		{"verify-client-limit", c.VerifyClientLimit, &c.abuse.VerifyClientLimit},
		{"verify-address-limit", c.VerifyAddressLimit, &c.abuse.VerifyAddressLimit},
	} {
		if l.val == "" {
			continue // flags not registered: the defaults apply
		}
		lc, err := parseLimit(l.val)
		if err != nil {
			return usageError{fmt.Sprintf("--%s %q: %v", l.flag, l.val, err)}
		}
		*l.dst = lc
	}
	c.abuse.Exempt = []netip.Prefix{}
	if strings.TrimSpace(c.AbuseExempt) != "none" {
		for _, s := range strings.Split(c.AbuseExempt, ",") {
			if s = strings.TrimSpace(s); s == "" {
				continue
			}
			p, err := netip.ParsePrefix(s)
			if err != nil {
				a, aerr := netip.ParseAddr(s)
				if aerr != nil {
					return usageError{fmt.Sprintf("--abuse-exempt %q: not a CIDR or address", s)}
				}
				p = netip.PrefixFrom(a, a.BitLen())
			}
			c.abuse.Exempt = append(c.abuse.Exempt, p.Masked())
		}
	}
	if c.CheckpointEvery != 0 && c.CheckpointEvery < time.Minute {
		return usageError{"--audit-checkpoint-every must be at least 1m"}
	}
	return nil
}

// parseLimit reads RATE/UNIT,BURST.
func parseLimit(s string) (security.LimitConfig, error) {
	rate, burst, ok := strings.Cut(s, ",")
	n, unit, ok2 := strings.Cut(rate, "/")
	if !ok || !ok2 {
		return security.LimitConfig{}, errors.New("want RATE/UNIT,BURST, like 20/s,60")
	}
	r, err := strconv.ParseFloat(strings.TrimSpace(n), 64)
	if err != nil || r <= 0 || r > 1e6 {
		return security.LimitConfig{}, errors.New("the rate must be a positive number")
	}
	per := map[string]float64{"s": 1, "m": 60, "h": 3600}[strings.TrimSpace(unit)]
	if per == 0 {
		return security.LimitConfig{}, errors.New("the unit must be s, m or h")
	}
	b, err := strconv.Atoi(strings.TrimSpace(burst))
	if err != nil || b < 1 || b > 1e6 {
		return security.LimitConfig{}, errors.New("the burst must be a whole number of at least 1")
	}
	return security.LimitConfig{Rate: r / per, Burst: b}, nil
}

// formatLimit writes l as RATE/UNIT,BURST with the largest unit that keeps
// the rate whole, or 2 decimals at most.
func formatLimit(l security.LimitConfig) string {
	for _, u := range []struct {
		name string
		per  float64
	}{{"s", 1}, {"m", 60}, {"h", 3600}} {
		v := l.Rate * u.per
		if v >= 1 && (v == float64(int64(v)) || u.name == "h") {
			return strconv.FormatFloat(float64(int64(v*100+0.5))/100, 'f', -1, 64) + "/" + u.name + "," + strconv.Itoa(l.Burst)
		}
	}
	return strconv.FormatFloat(l.Rate*3600, 'f', 2, 64) + "/h," + strconv.Itoa(l.Burst)
}

// auditKeyPath is where the checkpoint signing key lives: beside the
// master key (DATA/audit-signing.key by default).
func auditKeyPath(cfg Config) string {
	master := cfg.MasterKeyFile
	if master == "" {
		master = os.Getenv("SAFEDESK_MASTER_KEY_FILE")
	}
	if master == "" {
		return filepath.Join(cfg.Data, auditKeyName)
	}
	return filepath.Join(filepath.Dir(master), auditKeyName)
}

// auditSigningKey loads the checkpoint signing key, creating it (mode
// 0600) on first use; a key file that group or others may read is
// refused. The backup engine calls it too, to sign a checkpoint before
// each snapshot.
func auditSigningKey(cfg Config) (ed25519.PrivateKey, error) {
	key, err := security.LoadOrCreateSigningKey(auditKeyPath(cfg))
	if err != nil {
		return nil, fmt.Errorf("audit signing key: %w", err)
	}
	return key, nil
}

// scheduleSecurity adds the monitor's minute job (traffic counts, alerts),
// its hourly job (audit verification, pruning) and the periodic audit
// checkpoint to the scheduler.
func scheduleSecurity(sched *cron.Cron, mon *monitor.Service, cfg Config, log *slog.Logger) error {
	if _, err := sched.AddFunc("@every 1m", func() { mon.Minute(context.Background()) }); err != nil {
		return err
	}
	if _, err := sched.AddFunc("@hourly", func() { mon.Hour(context.Background()) }); err != nil {
		return err
	}
	every := cfg.Security.CheckpointEvery
	if every <= 0 {
		every = time.Hour
	}
	_, err := sched.AddFunc("@every "+every.String(), func() {
		if _, err := mon.Checkpoint(context.Background(), store.CheckpointPeriodic); err != nil {
			log.Error("audit checkpoint", "err", err)
		}
	})
	return err
}

// finishSecurity runs at shutdown, after the scheduler has stopped: the
// last traffic counts and alerts, and a checkpoint of the audit log.
func finishSecurity(mon *monitor.Service, log *slog.Logger) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	mon.Minute(ctx)
	if _, err := mon.Checkpoint(ctx, store.CheckpointShutdown); err != nil {
		log.Error("audit checkpoint at shutdown", "err", err)
	}
	mon.Wait()
}

const auditUsage = `usage:
  safedesk audit verify [--data DIR] [--public-key FILE]
      recompute the audit log's hash chain and check its signed checkpoints;
      exit 0 with a count when intact, 1 naming the first bad entry otherwise
  safedesk audit public-key [--data DIR]
      print the checkpoint signing key's public half (PEM), to keep off the
      server and give to verify --public-key`

// runAudit is `safedesk audit`.
func runAudit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || (args[0] != "verify" && args[0] != "public-key") {
		return usageError{auditUsage}
	}
	cfg := defaultConfig()
	fs := flag.NewFlagSet("audit "+args[0], flag.ContinueOnError)
	dataFlag(fs, &cfg.Data)
	fs.StringVar(&cfg.MasterKeyFile, "master-key-file", cfg.MasterKeyFile, "master key file, beside which the signing key lives (default DATA/master.key)")
	var pubFile string
	if args[0] == "verify" {
		fs.StringVar(&pubFile, "public-key", "", "PEM public key to check checkpoints with (default: from DATA/"+auditKeyName+")")
	}
	if err := parseFlags(fs, args[1:], stderr); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{auditUsage}
	}
	if args[0] == "public-key" {
		return printAuditPublicKey(cfg, stdout)
	}
	return verifyAudit(ctx, cfg, pubFile, stdout)
}

// verifyAudit opens the database read-only (no master key needed) and
// verifies its audit log.
func verifyAudit(ctx context.Context, cfg Config, pubFile string, stdout io.Writer) error {
	pub, err := auditPublicKey(cfg, pubFile)
	if err != nil {
		return err
	}
	rep, err := store.VerifyAuditFile(ctx, filepath.Join(cfg.Data, "safedesk.db"), pub)
	var chain *security.ChainError
	if errors.As(err, &chain) {
		fmt.Fprintf(stdout, "audit log BROKEN at seq %d: %s\n", chain.Seq, chain.Reason)
		return fmt.Errorf("audit log does not verify: the first bad entry is seq %d (%s)", chain.Seq, chain.Reason)
	}
	if err != nil {
		return err
	}
	if rep.Unchecked > 0 {
		return fmt.Errorf("%d signed checkpoints cannot be checked without the signing key: pass --public-key FILE (from `safedesk audit public-key`)", rep.Unchecked)
	}
	fmt.Fprintf(stdout, "audit log intact: %d entries", rep.Entries)
	if rep.Entries > 0 {
		fmt.Fprintf(stdout, ", head seq %d hash %s", rep.HeadSeq, hex.EncodeToString(rep.HeadHash))
	}
	if rep.Checkpoints > 0 {
		fmt.Fprintf(stdout, "; %d signed checkpoints verified, the newest at seq %d (%s)", rep.Checkpoints, rep.Latest.Seq, rep.Latest.At.UTC().Format(time.RFC3339))
	} else {
		fmt.Fprint(stdout, "; no signed checkpoint yet")
	}
	fmt.Fprintln(stdout)
	return nil
}

// auditPublicKey reads the public key from pubFile (PEM "PUBLIC KEY"), or
// derives it from the signing key beside the master key; nil if neither
// exists.
func auditPublicKey(cfg Config, pubFile string) (ed25519.PublicKey, error) {
	if pubFile != "" {
		b, err := os.ReadFile(pubFile)
		if err != nil {
			return nil, err
		}
		block, _ := pem.Decode(b)
		if block == nil || block.Type != "PUBLIC KEY" {
			return nil, fmt.Errorf("%s: no PEM PUBLIC KEY block", pubFile)
		}
		k, err := x509.ParsePKIXPublicKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", pubFile, err)
		}
		pub, ok := k.(ed25519.PublicKey)
		if !ok {
			return nil, fmt.Errorf("%s: not an Ed25519 key", pubFile)
		}
		return pub, nil
	}
	path := auditKeyPath(cfg)
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	key, err := security.LoadOrCreateSigningKey(path)
	if err != nil {
		return nil, fmt.Errorf("audit signing key: %w", err)
	}
	return key.Public().(ed25519.PublicKey), nil
}

func printAuditPublicKey(cfg Config, stdout io.Writer) error {
	path := auditKeyPath(cfg)
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("no audit signing key at %s (safedesk serve creates it)", path)
	}
	key, err := security.LoadOrCreateSigningKey(path)
	if err != nil {
		return fmt.Errorf("audit signing key: %w", err)
	}
	der, err := x509.MarshalPKIXPublicKey(key.Public())
	if err != nil {
		return err
	}
	return pem.Encode(stdout, &pem.Block{Type: "PUBLIC KEY", Bytes: der})
}
