package main

import (
	"context"
	"errors"
	"fmt"
	"go/version"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"safedesk/backup"
	"safedesk/security"
	"safedesk/store"
	"safedesk/web"
)

// Thresholds of the doctor.
const (
	certRenewWarn    = 14 * 24 * time.Hour // a certificate this close to expiry is a warning
	backupWarnAge    = 36 * time.Hour      // a daily schedule missed a run
	backupFailAge    = 7 * 24 * time.Hour  // a week without a backup
	verifyWarnAge    = 35 * 24 * time.Hour // a weekly drill missed most of a month
	binaryWarnAge    = 90 * 24 * time.Hour // time to look for a newer release
	doctorCacheAge   = 5 * time.Minute     // the settings page reuses a result this long
	doctorCheckLimit = 30 * time.Second    // the settings page never waits longer
	statusWidth      = len(web.CheckPass)  // PASS, WARN and FAIL are as wide
	nameWidth        = len("backup-identity") + 1
)

// doctorMinGo is the Go release this code is meant to be built with: the
// toolchain line of go.mod. Older ones carry standard-library
// vulnerabilities that it fixes.
var doctorMinGo = "go1.27.3"

// runDoctor checks the deployment and prints one line per check; any FAIL
// makes it return an error, so the process exits 1. It takes the server's
// flags and environment, so run it the way the server runs.
func runDoctor(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg := defaultConfig()
	fs := flagSet(&cfg)
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("doctor: unexpected argument %q", fs.Arg(0))}
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	checks := diagnose(ctx, cfg, nil, time.Now())
	var pass, warn, fail int
	for _, c := range checks {
		line := fmt.Sprintf("%-*s  %-*s %s", statusWidth, c.Status, nameWidth, c.Name, c.Detail)
		if c.Fix != "" {
			line += " — fix: " + c.Fix
		}
		fmt.Fprintln(stdout, line)
		switch c.Status {
		case web.CheckPass:
			pass++
		case web.CheckWarn:
			warn++
		default:
			fail++
		}
	}
	fmt.Fprintf(stdout, "%d passed, %d warnings, %d failed\n", pass, warn, fail)
	if fail > 0 {
		return fmt.Errorf("doctor: %d of %d checks failed", fail, len(checks))
	}
	return nil
}

// doctorFunc gives the settings page the doctor's checks against the
// running server's database, computed at most every few minutes (the audit
// chain check reads the whole log).
func doctorFunc(cfg Config, db *store.DB) func(context.Context) []web.DoctorCheck {
	var mu sync.Mutex
	var at time.Time
	var last []web.DoctorCheck
	return func(ctx context.Context) []web.DoctorCheck {
		mu.Lock()
		defer mu.Unlock()
		if last != nil && time.Since(at) < doctorCacheAge {
			return last
		}
		ctx, cancel := context.WithTimeout(ctx, doctorCheckLimit)
		defer cancel()
		last, at = diagnose(ctx, cfg, db, time.Now()), time.Now()
		return last
	}
}

// diagnose runs every check. db is the open database, or nil to open the
// data folder's (the command line).
func diagnose(ctx context.Context, cfg Config, db *store.DB, now time.Time) []web.DoctorCheck {
	d := &doctor{cfg: cfg, now: now}
	checks := []web.DoctorCheck{d.tls(), d.baseURL(), d.masterKey(), d.dataFolder()}
	if db == nil {
		opened, c := d.open(ctx)
		checks = append(checks, c)
		if opened != nil {
			defer opened.Close()
			db = opened
		}
	}
	checks = append(checks, d.audit(ctx), d.backupIdentity())
	if db != nil {
		checks = append(checks, d.backups(ctx, db), d.backupVerify(ctx, db))
	}
	return append(checks, d.smtp(), d.retention(), d.notifications(), d.binary())
}

type doctor struct {
	cfg Config
	now time.Time
}

func pass(name, detail string) web.DoctorCheck {
	return web.DoctorCheck{Name: name, Status: web.CheckPass, Detail: detail}
}

func warn(name, detail, fix string) web.DoctorCheck {
	return web.DoctorCheck{Name: name, Status: web.CheckWarn, Detail: detail, Fix: fix}
}

func fail(name, detail, fix string) web.DoctorCheck {
	return web.DoctorCheck{Name: name, Status: web.CheckFail, Detail: detail, Fix: fix}
}

func count(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

func days(d time.Duration) string {
	switch n := int(d / (24 * time.Hour)); {
	case n >= 2:
		return fmt.Sprintf("%d days", n)
	case d >= time.Hour:
		return fmt.Sprintf("%d hours", int(d/time.Hour))
	}
	return "less than an hour"
}

// tls: HTTPS served here, or by a trusted proxy in front.
func (d *doctor) tls() web.DoctorCheck {
	const name = "tls"
	t, base := d.cfg.TLS, d.cfg.baseURL
	switch {
	case t.Cert != "":
		cert, err := web.LoadCertificate(t.Cert, t.Key, d.now)
		if err != nil {
			return fail(name, err.Error(), "install a valid certificate and key, then send the server SIGHUP (or restart it)")
		}
		if err := cert.Leaf.VerifyHostname(base.Hostname()); err != nil {
			return fail(name, fmt.Sprintf("the certificate in %s does not name %s", t.Cert, base.Hostname()), "get a certificate for the base URL's host")
		}
		left := cert.Leaf.NotAfter.Sub(d.now)
		if left < certRenewWarn {
			return warn(name, fmt.Sprintf("the certificate expires in %s (%s)", days(left), cert.Leaf.NotAfter.UTC().Format(time.DateOnly)),
				"renew it, then send the server SIGHUP to load it, or use --acme-domain")
		}
		return pass(name, fmt.Sprintf("HTTPS served here with %s, valid until %s (TLS 1.2+, HTTP/2)", t.Cert, cert.Leaf.NotAfter.UTC().Format(time.DateOnly)))
	case t.ACMEDomain != "":
		if t.RedirectAddr == "" && !strings.HasSuffix(d.cfg.Addr, ":443") {
			return warn(name, "certificates from ACME, but the server listens on "+d.cfg.Addr+" and not on port 80: the CA cannot reach a challenge",
				"listen on :443, or add --http-redirect-addr :80")
		}
		return pass(name, "HTTPS served here with certificates from ACME for "+t.ACMEDomain+", cached in "+filepath.Join(d.cfg.Data, "acme"))
	case len(d.cfg.proxies) > 0 && base.Scheme == "https":
		return pass(name, "TLS ends at the reverse proxy in front ("+d.cfg.TrustedProxies+"), which must redirect HTTP to HTTPS")
	case base.Scheme == "https":
		return warn(name, "the base URL is https but this server serves plain HTTP and trusts no proxy",
			"if a proxy ends TLS in front, list it in --trusted-proxies (client addresses are wrong otherwise); else serve TLS with --tls-cert/--tls-key or --acme-domain")
	}
	return fail(name, "no TLS: sign-in codes, session cookies and every personal detail cross the network in the clear",
		"serve HTTPS with --tls-cert/--tls-key or --acme-domain, or put a TLS proxy in front with --trusted-proxies and an https --base-url")
}

// baseURL: cookies, HSTS and passkeys follow its scheme.
func (d *doctor) baseURL() web.DoctorCheck {
	u := d.cfg.baseURL
	if u.Scheme != "https" {
		return fail("base-url", u.String()+" is not https: cookies are not Secure and no HSTS is sent",
			"set --base-url https://your-domain")
	}
	return pass("base-url", u.String()+": cookies are Secure with the __Host- prefix, HSTS is sent")
}

// masterKey: only the server's user may read it.
func (d *doctor) masterKey() web.DoctorCheck {
	const name = "master-key"
	path := masterKeyPath(d.cfg.Data, d.cfg.MasterKeyFile)
	fi, err := os.Stat(path)
	if err != nil {
		return fail(name, fmt.Sprintf("no master key at %s", path), "start the server once to create it, or point --master-key-file at it")
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return fail(name, fmt.Sprintf("%s has mode %04o: others may read the key to every personal field", path, perm), "chmod 600 "+path)
	}
	if uid, ok := fileOwner(fi); ok && uid != os.Getuid() {
		return warn(name, fmt.Sprintf("%s is owned by uid %d, but this runs as uid %d", path, uid, os.Getuid()),
			"run the server (and the doctor) as the key's owner: chown it to the service user")
	}
	return pass(name, fmt.Sprintf("%s: mode %04o, owned by this user; keep a copy off the server", path, fi.Mode().Perm()))
}

// dataFolder: the database, keys and backups are for the server's user.
func (d *doctor) dataFolder() web.DoctorCheck {
	const name = "data-folder"
	dir := d.cfg.Data
	fi, err := os.Stat(dir)
	if err != nil {
		return fail(name, fmt.Sprintf("no data folder at %s", dir), "start the server once, or pass --data")
	}
	perm := fi.Mode().Perm()
	if perm&0o022 != 0 {
		return fail(name, fmt.Sprintf("%s has mode %04o: others may replace the database or keys", dir, perm), "chmod 700 "+dir)
	}
	if perm&0o077 == 0 {
		return pass(name, fmt.Sprintf("%s: mode %04o", dir, perm))
	}
	var readable []string
	filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil || path == dir {
			return nil
		}
		if info, err := e.Info(); err == nil && info.Mode().Perm()&0o004 != 0 && perm&0o005 == 0o005 {
			readable = append(readable, path)
		}
		return nil
	})
	if len(readable) > 0 {
		return fail(name, fmt.Sprintf("%s has mode %04o and others may read %s", dir, perm, strings.Join(readable, ", ")), "chmod 700 "+dir)
	}
	return warn(name, fmt.Sprintf("%s has mode %04o: others may list it", dir, perm), "chmod 700 "+dir)
}

// open opens the data folder's database with the master key.
func (d *doctor) open(ctx context.Context) (*store.DB, web.DoctorCheck) {
	const name = "database"
	path := filepath.Join(d.cfg.Data, backup.DBName)
	if _, err := os.Stat(path); err != nil {
		return nil, fail(name, "no database at "+path, "start the server once, or pass --data")
	}
	ring, _, err := security.LoadMasterKey(masterKeyPath(d.cfg.Data, d.cfg.MasterKeyFile), false)
	if err != nil {
		return nil, fail(name, err.Error(), "fix the master key first")
	}
	db, err := store.Open(ctx, path, ring, store.Options{})
	if err != nil {
		return nil, fail(name, err.Error(), "is this the master key the database was made with?")
	}
	n, err := db.CheckKeys(ctx)
	if err != nil {
		return db, fail(name, "a data key does not open with the master key: "+err.Error(), "restore the master key the keys were wrapped with")
	}
	return db, pass(name, fmt.Sprintf("schema %d; all %d data keys open with the master key", store.SchemaVersion(), n))
}

// audit: the hash chain and the signed checkpoints hold.
func (d *doctor) audit(ctx context.Context) web.DoctorCheck {
	const name = "audit"
	pub, err := auditPublicKey(d.cfg, "")
	if err != nil {
		return fail(name, err.Error(), "fix the audit signing key beside the master key")
	}
	rep, err := store.VerifyAuditFile(ctx, filepath.Join(d.cfg.Data, backup.DBName), pub)
	var chain *security.ChainError
	switch {
	case errors.As(err, &chain):
		return fail(name, fmt.Sprintf("the audit log is broken at seq %d: %s", chain.Seq, chain.Reason),
			"treat it as an incident: keep a copy of the database, compare with a backup (safedesk audit verify)")
	case err != nil:
		return fail(name, err.Error(), "run safedesk audit verify for details")
	case rep.Unchecked > 0:
		return warn(name, fmt.Sprintf("%s chain correctly, but %s cannot be checked without the signing key",
			count(rep.Entries, "entry", "entries"), count(int64(rep.Unchecked), "signed checkpoint", "signed checkpoints")),
			"restore the audit signing key beside the master key")
	}
	return pass(name, fmt.Sprintf("%s chain correctly; %s verified", count(rep.Entries, "entry", "entries"),
		count(int64(rep.Checkpoints), "signed checkpoint", "signed checkpoints")))
}

// smtp: mail goes out over TLS, not to the log.
func (d *doctor) smtp() web.DoctorCheck {
	const name = "smtp"
	if d.cfg.SMTP == "" {
		return fail(name, "development mode: mail, sign-in codes included, is written to the server log and never sent",
			"set --smtp smtps://user:pass@mail.example.com:465 (or smtp://…:587 with STARTTLS) and --mail-from")
	}
	u, err := url.Parse(d.cfg.SMTP)
	if err != nil {
		return fail(name, "--smtp is not a URL", "set --smtp smtps://user:pass@host:465")
	}
	relay := u.Scheme + "://" + u.Host // never the credentials
	switch u.Scheme {
	case "smtps":
		return pass(name, relay+": implicit TLS, certificate verified")
	case "smtp":
		return pass(name, relay+": STARTTLS required, certificate verified")
	case "smtp+insecure":
		return warn(name, relay+": plain text to a relay on this machine", "make sure that relay sends on with TLS, or use smtps://")
	}
	return fail(name, relay+": unknown scheme", "use smtps:// or smtp://")
}

// retention: personal data is deleted on a schedule.
func (d *doctor) retention() web.DoctorCheck {
	p := d.cfg.Privacy
	detail := fmt.Sprintf("solved/closed tickets %s, security events %s, at %q UTC", p.RetainTickets.String(), p.RetainSecurity.String(), p.Schedule)
	if p.RetainTickets == 0 || p.RetainSecurity == 0 {
		return warn("retention", detail+": some data is kept for ever", "set --retain-tickets and --retain-security-events")
	}
	return pass("retention", detail)
}

// notifications: emails carry no ticket text.
func (d *doctor) notifications() web.DoctorCheck {
	if d.cfg.Privacy.NotifyText {
		return warn("notifications", "reply emails carry the reply's text (--notify-text), and email is seldom end-to-end encrypted",
			"drop --notify-text: customers read replies on the portal")
	}
	return pass("notifications", "emails carry no ticket text: they link to the portal")
}

// binary: how old the build is, and with which Go.
func (d *doctor) binary() web.DoctorCheck {
	const name = "binary"
	b := web.ReadBuild()
	if b.GoVersion != "" && version.IsValid(b.GoVersion) && version.Compare(b.GoVersion, doctorMinGo) < 0 {
		return warn(name, fmt.Sprintf("built with %s, older than %s, which fixes known vulnerabilities in the standard library", b.GoVersion, doctorMinGo),
			"rebuild with GOTOOLCHAIN=auto (go.mod's toolchain line), or install a release built that way")
	}
	if b.Built.IsZero() {
		return warn(name, "built with "+b.GoVersion+"; the build time is unknown", "check for a newer release")
	}
	age := b.Age(d.now)
	detail := fmt.Sprintf("built %s ago with %s; time from %s", days(age), b.GoVersion, b.BuiltFrom)
	if age > binaryWarnAge {
		return warn(name, detail, "update: newer releases carry security fixes (see safedesk version)")
	}
	return pass(name, detail)
}
