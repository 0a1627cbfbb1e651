package web

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"runtime/debug"
	"sync"
	"time"

	"safedesk/backup"
	"safedesk/bot/llm"
	"safedesk/store"
	"safedesk/templates"
	"safedesk/web/mail"
)

// DoctorCheck is one deployment check of `safedesk doctor`, also shown on
// the admin settings page.
type DoctorCheck = templates.DoctorCheck

// Verdicts of a DoctorCheck.
const (
	CheckPass = "PASS"
	CheckWarn = "WARN"
	CheckFail = "FAIL"
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
)

// doctorMinGo is the Go release this code is meant to be built with: the
// toolchain line of go.mod. Older ones carry standard-library
// vulnerabilities that it fixes.
const doctorMinGo = "go1.27.3"

// DoctorInput is what the deployment checks look at: the server's settings
// and, in a running server, its database.
type DoctorInput struct {
	Data           string // the data folder
	MasterKeyFile  string // "" is Data/master.key
	Addr           string // the listen address
	BaseURL        *url.URL
	TrustedProxies string     // the --trusted-proxies setting, validated
	TLS            TLSOptions // validated
	SMTP           string     // the --smtp URL; "" is development mode
	Privacy        PrivacyConfig
	// RetentionSchedule is when retention runs, a cron spec in UTC.
	RetentionSchedule string
	Backup            backup.Options // validated
	// DB is the running server's database; nil opens the data folder's.
	DB *store.DB
	// MinGo is the oldest Go release that passes; "" is go.mod's
	// toolchain line.
	MinGo string

	// Email is the email channel's settings, validated.
	Email mail.InboundOptions
	// LLM is the optional language model's settings, validated.
	LLM llm.Options
}

// Diagnose runs every deployment check as of now: the same checks, with the
// same wording, for `safedesk doctor` and the settings page.
func Diagnose(ctx context.Context, in DoctorInput, now time.Time) []DoctorCheck {
	if in.MinGo == "" {
		in.MinGo = doctorMinGo
	}
	d := &doctor{in: in, now: now}
	checks := []DoctorCheck{d.tls(), d.baseURL(), d.masterKey(), d.dataFolder()}
	db := in.DB
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
		checks = append(checks, d.backups(ctx, db), d.backupVerify(ctx, db), d.proxy(ctx, db))
	}
	checks = append(checks, d.smtp())
	checks = append(checks, d.emailChecks(ctx)...) // web/doctor_email.go
	checks = append(checks, d.model(ctx))          // web/doctor_llm.go
	return append(checks, d.retention(), d.notifications(), d.binary(), d.service())
}

// Doctor gives the settings page the checks against the running server's
// database, computed at most every few minutes (the audit chain check reads
// the whole log).
type Doctor struct {
	in   DoctorInput
	mu   sync.Mutex
	at   time.Time
	last []DoctorCheck
}

// NewDoctor returns the settings page's doctor over in, whose DB is the
// running server's.
func NewDoctor(in DoctorInput) *Doctor { return &Doctor{in: in} }

// Checks returns the checks, from the last few minutes or run now.
func (d *Doctor) Checks(ctx context.Context) []DoctorCheck {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.last != nil && time.Since(d.at) < doctorCacheAge {
		return d.last
	}
	ctx, cancel := context.WithTimeout(ctx, doctorCheckLimit)
	defer cancel()
	d.last, d.at = Diagnose(ctx, d.in, time.Now()), time.Now()
	return d.last
}

// WriteChecks prints one line per check, then a summary line, as
// `safedesk doctor` does, and returns how many failed.
func WriteChecks(w io.Writer, checks []DoctorCheck) (failed int, err error) {
	const statusWidth, nameWidth = len(CheckPass), len("backup-identity") + 1
	var pass, warn int
	for _, c := range checks {
		line := fmt.Sprintf("%-*s  %-*s %s", statusWidth, c.Status, nameWidth, c.Name, c.Detail)
		if c.Fix != "" {
			line += " — fix: " + c.Fix
		}
		if _, err := fmt.Fprintln(w, line); err != nil {
			return 0, err
		}
		switch c.Status {
		case CheckPass:
			pass++
		case CheckWarn:
			warn++
		default:
			failed++
		}
	}
	_, err = fmt.Fprintf(w, "%d passed, %d warnings, %d failed\n", pass, warn, failed)
	return failed, err
}

// doctorChecks runs the deployment checks for the settings page, or none
// when the server was started without them.
func (s *Server) doctorChecks(ctx context.Context) []DoctorCheck {
	if s.cfg.Doctor == nil {
		return nil
	}
	return s.cfg.Doctor.Checks(ctx)
}

// doctorReport is the settings page's checks with the build.
func (s *Server) doctorReport(ctx context.Context) templates.DoctorReport {
	return templates.DoctorReport{Checks: s.doctorChecks(ctx), Build: ReadBuild(), Now: time.Now()}
}

// BuildInfo is what the binary knows of its own build (`safedesk version`,
// the settings page, the doctor's binary-age check).
type BuildInfo = templates.BuildInfo

// Where BuildInfo.Built comes from.
const (
	BuiltFromVCS    = "vcs.time, the time of the commit it was built from"
	BuiltFromBinary = "the binary's modification time: the build recorded no vcs.time"
)

// ReadBuild reads the build information embedded in the running binary.
// The build time is the commit's time when the build recorded it, and
// otherwise the modification time of the executable file.
func ReadBuild() BuildInfo {
	var b BuildInfo
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return b
	}
	b.Module, b.Version, b.GoVersion = bi.Main.Path, bi.Main.Version, bi.GoVersion
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			b.Revision = s.Value
		case "vcs.modified":
			b.Modified = s.Value == "true"
		case "vcs.time":
			if t, err := time.Parse(time.RFC3339, s.Value); err == nil {
				b.Built, b.BuiltFrom = t, BuiltFromVCS
			}
		}
	}
	if b.Built.IsZero() {
		if exe, err := os.Executable(); err == nil {
			if fi, err := os.Stat(exe); err == nil {
				b.Built, b.BuiltFrom = fi.ModTime(), BuiltFromBinary
			}
		}
	}
	for _, d := range bi.Deps {
		m := templates.Module{Path: d.Path, Version: d.Version}
		if d.Replace != nil {
			m.Version += " => " + d.Replace.Path + " " + d.Replace.Version
		}
		b.Deps = append(b.Deps, m)
	}
	return b
}

// WriteVersion prints the build of the running binary as `safedesk
// version` does: module, version, revision, the SHA-256 of the executable
// file (to hold against a release's SHA256SUMS), build time and age, Go
// and every dependency.
func WriteVersion(w io.Writer, now time.Time) error {
	b := ReadBuild()
	if b.GoVersion == "" {
		return errors.New("no build information in this binary")
	}
	exe, sum, err := executableSHA256()
	if err != nil {
		return err
	}
	rev := b.Revision
	if rev == "" {
		rev = "unknown"
	}
	if b.Modified {
		rev += " (modified)"
	}
	built := "unknown"
	if !b.Built.IsZero() {
		built = fmt.Sprintf("%s, %s ago; from %s", b.Built.UTC().Format(time.RFC3339), templates.Duration(b.Age(now)), b.BuiltFrom)
	}
	_, err = fmt.Fprintf(w, "module    %s\nversion   %s\nrevision  %s\nsha256    %s  %s\nbuilt     %s\ngo        %s\ndependencies:\n",
		b.Module, b.Version, rev, sum, exe, built, b.GoVersion)
	for _, d := range b.Deps {
		if err != nil {
			break
		}
		_, err = fmt.Fprintf(w, "  %s %s\n", d.Path, d.Version)
	}
	return err
}

// executableSHA256 is the path of the running executable and the hex
// SHA-256 of its file, as sha256sum prints it.
func executableSHA256() (path, sum string, err error) {
	path, err = os.Executable()
	if err != nil {
		return "", "", fmt.Errorf("version: %w", err)
	}
	f, err := os.Open(path)
	if err != nil {
		return "", "", fmt.Errorf("version: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", "", fmt.Errorf("version: read %s: %w", path, err)
	}
	return path, hex.EncodeToString(h.Sum(nil)), nil
}
