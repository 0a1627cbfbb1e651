package web

import (
	"context"
	"errors"
	"fmt"
	"go/version"
	"io/fs"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"safedesk/security"
	"safedesk/store"
	"safedesk/templates"
)

// doctor runs the checks of one Diagnose.
type doctor struct {
	in  DoctorInput
	now time.Time
}

func pass(name, detail string) DoctorCheck {
	return DoctorCheck{Name: name, Status: CheckPass, Detail: detail}
}

func warn(name, detail, fix string) DoctorCheck {
	return DoctorCheck{Name: name, Status: CheckWarn, Detail: detail, Fix: fix}
}

func fail(name, detail, fix string) DoctorCheck {
	return DoctorCheck{Name: name, Status: CheckFail, Detail: detail, Fix: fix}
}

// tls: HTTPS served here, or by a trusted proxy in front.
func (d *doctor) tls() DoctorCheck {
	const name = "tls"
	t, base := d.in.TLS, d.in.BaseURL
	switch {
	case t.Cert != "":
		cert, err := LoadCertificate(t.Cert, t.Key, d.now)
		if err != nil {
			return fail(name, err.Error(), "install a valid certificate and key, then send the server SIGHUP (or restart it)")
		}
		if err := cert.Leaf.VerifyHostname(base.Hostname()); err != nil {
			return fail(name, fmt.Sprintf("the certificate in %s does not name %s", t.Cert, base.Hostname()), "get a certificate for the base URL's host")
		}
		left := cert.Leaf.NotAfter.Sub(d.now)
		if left < certRenewWarn {
			return warn(name, fmt.Sprintf("the certificate expires in %s (%s)", templates.Duration(left), cert.Leaf.NotAfter.UTC().Format(time.DateOnly)),
				"renew it, then send the server SIGHUP to load it, or use --acme-domain")
		}
		return pass(name, fmt.Sprintf("HTTPS served here with %s, valid until %s (TLS 1.2+, HTTP/2)", t.Cert, cert.Leaf.NotAfter.UTC().Format(time.DateOnly)))
	case t.ACMEDomain != "":
		if t.RedirectAddr == "" && !strings.HasSuffix(d.in.Addr, ":443") {
			return warn(name, "certificates from ACME, but the server listens on "+d.in.Addr+" and not on port 80: the CA cannot reach a challenge",
				"listen on :443, or add --http-redirect-addr :80")
		}
		return pass(name, "HTTPS served here with certificates from ACME for "+t.ACMEDomain+", cached in "+filepath.Join(d.in.Data, "acme"))
	case strings.Trim(d.in.TrustedProxies, ", \t") != "" && base.Scheme == "https":
		return pass(name, "TLS ends at the reverse proxy in front ("+d.in.TrustedProxies+"), which must redirect HTTP to HTTPS")
	case base.Scheme == "https":
		return warn(name, "the base URL is https but this server serves plain HTTP and trusts no proxy",
			"if a proxy ends TLS in front, list it in --trusted-proxies (client addresses are wrong otherwise); else serve TLS with --tls-cert/--tls-key or --acme-domain")
	}
	return fail(name, "no TLS: sign-in codes, session cookies and every personal detail cross the network in the clear",
		"serve HTTPS with --tls-cert/--tls-key or --acme-domain, or put a TLS proxy in front with --trusted-proxies and an https --base-url")
}

// baseURL: cookies, HSTS and passkeys follow its scheme.
func (d *doctor) baseURL() DoctorCheck {
	u := d.in.BaseURL
	if u.Scheme != "https" {
		return fail("base-url", u.String()+" is not https: cookies are not Secure and no HSTS is sent",
			"set --base-url https://your-domain")
	}
	return pass("base-url", u.String()+": cookies are Secure with the __Host- prefix, HSTS is sent")
}

// masterKey: only the server's user may read it.
func (d *doctor) masterKey() DoctorCheck {
	const name = "master-key"
	path := store.MasterKeyPath(d.in.Data, d.in.MasterKeyFile)
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
func (d *doctor) dataFolder() DoctorCheck {
	const name = "data-folder"
	dir := d.in.Data
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
	err = filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
		if err != nil || path == dir {
			return nil // an entry that cannot be read is nobody's to read
		}
		if info, err := e.Info(); err == nil && info.Mode().Perm()&0o004 != 0 && perm&0o005 == 0o005 {
			readable = append(readable, path)
		}
		return nil
	})
	if err != nil {
		return fail(name, err.Error(), "chmod 700 "+dir)
	}
	if len(readable) > 0 {
		return fail(name, fmt.Sprintf("%s has mode %04o and others may read %s", dir, perm, strings.Join(readable, ", ")), "chmod 700 "+dir)
	}
	return warn(name, fmt.Sprintf("%s has mode %04o: others may list it", dir, perm), "chmod 700 "+dir)
}

// open opens the data folder's database with the master key.
func (d *doctor) open(ctx context.Context) (*store.DB, DoctorCheck) {
	const name = "database"
	path := filepath.Join(d.in.Data, store.DBName)
	if _, err := os.Stat(path); err != nil {
		return nil, fail(name, "no database at "+path, "start the server once, or pass --data")
	}
	ring, _, err := security.LoadMasterKey(store.MasterKeyPath(d.in.Data, d.in.MasterKeyFile), false)
	if err != nil {
		return nil, fail(name, err.Error(), "fix the master key first")
	}
	db, err := store.Open(ctx, path, ring, store.Options{BeforeMigrate: store.NoMigration})
	switch {
	case errors.Is(err, store.ErrNewerSchema):
		return nil, fail(name, err.Error(), "run the newer safedesk that wrote it")
	case errors.Is(err, store.ErrUpgradeNeeded):
		return nil, warn(name, err.Error(), "start the server: it backs the database up, then upgrades it")
	case err != nil:
		return nil, fail(name, err.Error(), "is this the master key the database was made with?")
	}
	n, err := db.CheckKeys(ctx)
	if err != nil {
		return db, fail(name, "a data key does not open with the master key: "+err.Error(), "restore the master key the keys were wrapped with")
	}
	return db, pass(name, fmt.Sprintf("schema %d; all %d data keys open with the master key", store.SchemaVersion(), n))
}

// audit: the hash chain and the signed checkpoints hold.
func (d *doctor) audit(ctx context.Context) DoctorCheck {
	const name = "audit"
	pub, err := store.AuditPublicKey(d.in.Data, d.in.MasterKeyFile, "")
	if err != nil {
		return fail(name, err.Error(), "fix the audit signing key beside the master key")
	}
	rep, err := store.VerifyAuditFile(ctx, filepath.Join(d.in.Data, store.DBName), pub)
	var chain *security.ChainError
	switch {
	case errors.As(err, &chain):
		return fail(name, fmt.Sprintf("the audit log is broken at seq %d: %s", chain.Seq, chain.Reason),
			"treat it as an incident: keep a copy of the database, compare with a backup (safedesk audit verify)")
	case err != nil:
		return fail(name, err.Error(), "run safedesk audit verify for details")
	case rep.Unchecked > 0 && rep.Checkpoints == 0: // after a restore, the earlier key's range is checked by `audit verify --public-key`
		return warn(name, fmt.Sprintf("%s chain correctly, but %s cannot be checked without the signing key",
			templates.Count(rep.Entries, "entry", "entries"), templates.Count(int64(rep.Unchecked), "signed checkpoint", "signed checkpoints")),
			"restore the audit signing key beside the master key")
	}
	return pass(name, fmt.Sprintf("%s chain correctly; %s verified", templates.Count(rep.Entries, "entry", "entries"),
		templates.Count(int64(rep.Checkpoints), "signed checkpoint", "signed checkpoints")))
}

// proxyWindow is how far back doctor looks for requests through a proxy
// that is not trusted.
const proxyWindow = 7 * 24 * time.Hour

// proxy: a reverse proxy on this host is named in --trusted-proxies. The
// server records requests that arrive from loopback with X-Forwarded-For
// while loopback is no trusted proxy (forwardedKind): every visitor is then
// one exempt client, never limited.
func (d *doctor) proxy(ctx context.Context, db *store.DB) DoctorCheck {
	const name = "proxy"
	evs, err := db.ListSecurityEvents(ctx, store.EventFilter{Kind: forwardedKind, Since: d.now.Add(-proxyWindow), Limit: 1})
	if err != nil {
		return fail(name, err.Error(), "check the database")
	}
	trusted := strings.Trim(d.in.TrustedProxies, ", \t")
	if len(evs) == 0 {
		if trusted != "" {
			return pass(name, "X-Forwarded-For is believed only from "+trusted)
		}
		return pass(name, "no request has arrived through a reverse proxy that --trusted-proxies does not name")
	}
	seen := fmt.Sprintf("requests arrived from loopback with X-Forwarded-For (the last at %s UTC; %v counted by then since the server started)",
		evs[0].At.UTC().Format(time.DateTime), evs[0].Details["requests"])
	if trustsLoopback(trusted) {
		return pass(name, seen+"; loopback is now in --trusted-proxies ("+trusted+")")
	}
	return fail(name, seen+", but loopback is not in --trusted-proxies: every visitor shares the proxy's address, "+
		"so one visitor throttles everyone and attackers are never limited or blocked",
		"add --trusted-proxies 127.0.0.1/32,::1/128 (the proxy's address) and restart")
}

// trustsLoopback reports whether a --trusted-proxies setting covers
// 127.0.0.1 or ::1.
func trustsLoopback(proxies string) bool {
	for _, p := range strings.Split(proxies, ",") {
		pre, err := netip.ParsePrefix(strings.TrimSpace(p))
		if err == nil && (pre.Contains(netip.MustParseAddr("127.0.0.1")) || pre.Contains(netip.IPv6Loopback())) {
			return true
		}
	}
	return false
}

// smtp: mail goes out over TLS, not to the log.
func (d *doctor) smtp() DoctorCheck {
	const name = "smtp"
	if d.in.SMTP == "" {
		return fail(name, "development mode: mail, sign-in codes included, is written to the server log and never sent",
			"set --smtp smtps://user@mail.example.com:465 (or smtp://…:587 with STARTTLS), --smtp-password-file and --mail-from")
	}
	u, err := url.Parse(d.in.SMTP)
	if err != nil {
		return fail(name, "--smtp is not a URL", "set --smtp smtps://user@host:465 and --smtp-password-file")
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
func (d *doctor) retention() DoctorCheck {
	r := d.in.Privacy.Retention
	tickets, events := store.Period(r.ResolvedTickets), store.Period(r.SecurityEvents)
	detail := fmt.Sprintf("solved/closed tickets %s, security events %s, at %q UTC", tickets.String(), events.String(), d.in.RetentionSchedule)
	if tickets == 0 || events == 0 {
		return warn("retention", detail+": some data is kept for ever", "set --retain-tickets and --retain-security-events")
	}
	return pass("retention", detail)
}

// notifications: emails carry no ticket text.
func (d *doctor) notifications() DoctorCheck {
	if d.in.Privacy.NotifyText {
		return warn("notifications", "reply emails carry the reply's text (--notify-text), and email is seldom end-to-end encrypted",
			"drop --notify-text: customers read replies on the portal")
	}
	if d.in.Email.Enabled() {
		return pass("notifications", "emails about portal tickets carry no ticket text: they link to the portal; replies to requests sent by email carry their text, as the customer wrote by email")
	}
	return pass("notifications", "emails carry no ticket text: they link to the portal")
}

// binary: how old the build is, and with which Go.
func (d *doctor) binary() DoctorCheck {
	const name = "binary"
	b := ReadBuild()
	if b.GoVersion != "" && version.IsValid(b.GoVersion) && version.Compare(b.GoVersion, d.in.MinGo) < 0 {
		return warn(name, fmt.Sprintf("built with %s, older than %s, which fixes known vulnerabilities in the standard library", b.GoVersion, d.in.MinGo),
			"rebuild with GOTOOLCHAIN=auto (go.mod's toolchain line), or install a release built that way")
	}
	if b.Built.IsZero() {
		return warn(name, "built with "+b.GoVersion+"; the build time is unknown", "check for a newer release")
	}
	age := b.Age(d.now)
	detail := fmt.Sprintf("built %s ago with %s; time from %s", templates.Duration(age), b.GoVersion, b.BuiltFrom)
	if age > binaryWarnAge {
		return warn(name, detail, "update: newer releases carry security fixes (see safedesk version)")
	}
	return pass(name, detail)
}
