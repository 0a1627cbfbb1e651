package backup

import (
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/robfig/cron/v3"
)

// Options are the backup settings, from the flags of `safedesk serve` and
// `safedesk backup create`.
type Options struct {
	// Schedule is when to back up, a cron spec in UTC; "" (or "off"
	// before Validate) for no scheduled backups.
	Schedule string
	// Keep is the retention ladder (ParseKeep).
	Keep string
	// CopyTo is a second folder that receives a copy of each backup.
	CopyTo string
	// Identity is an age identity file that decrypts the backups, for the
	// restore drill and verify from the admin panel.
	Identity string
	// PassphraseFile, when set, encrypts backups to the passphrase in it
	// (age scrypt) instead of backup-recipients.txt.
	PassphraseFile string
	// DrillSchedule is when to run the restore drill, a cron spec in UTC;
	// it runs only when the server can decrypt its backups.
	DrillSchedule string
}

// DefaultKeep is the default retention ladder: the newest 3 backups, and
// the newest of each of the last 7 days, 4 weeks and 12 months.
const DefaultKeep = "3,7d,4w,12m"

// DefaultOptions are the defaults: a daily backup at 03:00 UTC, a weekly
// drill, and the ladder DefaultKeep.
func DefaultOptions() Options {
	return Options{Schedule: "0 3 * * *", Keep: DefaultKeep, DrillSchedule: "0 4 * * 0"}
}

// Flags adds the server's backup flags.
func (o *Options) Flags(fs *flag.FlagSet) {
	fs.StringVar(&o.Schedule, "backup-schedule", o.Schedule, "when to back up, a cron spec in UTC (\"0 3 * * *\", \"@every 6h\"), or off")
	o.KeepFlag(fs)
	fs.StringVar(&o.CopyTo, "backup-copy-to", o.CopyTo, "second folder (a mounted volume, say) that receives a copy of each backup")
	fs.StringVar(&o.Identity, "backup-identity", o.Identity, "age identity file that decrypts the backups: enables the weekly restore drill and verify from the admin panel (the server can then read its backups)")
	fs.StringVar(&o.PassphraseFile, "backup-passphrase-file", o.PassphraseFile, "encrypt backups to the passphrase in this file (age scrypt) instead of backup-recipients.txt; the server can then read its backups")
	fs.StringVar(&o.DrillSchedule, "backup-drill-schedule", o.DrillSchedule, "when to run the restore drill, a cron spec in UTC; needs --backup-identity or --backup-passphrase-file")
}

// CreateFlags adds the flags of `safedesk backup create`.
func (o *Options) CreateFlags(fs *flag.FlagSet) {
	fs.StringVar(&o.CopyTo, "backup-copy-to", o.CopyTo, "second folder that receives a copy")
	o.KeepFlag(fs)
	fs.StringVar(&o.PassphraseFile, "backup-passphrase-file", o.PassphraseFile, "encrypt to the passphrase in this file instead of backup-recipients.txt")
}

// KeepFlag adds --backup-keep alone, for `safedesk backup list`, which
// shows why the ladder keeps each backup.
func (o *Options) KeepFlag(fs *flag.FlagSet) {
	fs.StringVar(&o.Keep, "backup-keep", o.Keep, "retention ladder: always keep the newest N backups (a bare number), and the newest backup of each of the last N days (d), ISO weeks (w) and months (m)")
}

// Validate checks the settings and turns a Schedule of "off" into "". Its
// errors name the flag, on one line.
func (o *Options) Validate() error {
	if _, err := ParseKeep(o.Keep); err != nil {
		return fmt.Errorf("--backup-keep: %s", strings.TrimPrefix(err.Error(), "backup: keep: "))
	}
	if o.Schedule == "off" {
		o.Schedule = ""
	}
	for _, s := range []struct{ flag, spec string }{{"--backup-schedule", o.Schedule}, {"--backup-drill-schedule", o.DrillSchedule}} {
		if s.spec == "" {
			continue
		}
		if _, err := cron.ParseStandard(s.spec); err != nil {
			return fmt.Errorf("%s %q: %v", s.flag, s.spec, err)
		}
	}
	if o.Identity != "" && o.PassphraseFile != "" {
		return errors.New("--backup-identity and --backup-passphrase-file exclude each other")
	}
	if o.Identity != "" {
		if _, err := LoadIdentities(o.Identity); err != nil {
			return fmt.Errorf("--backup-identity: %w", err)
		}
	}
	return nil
}

// canVerify reports whether the settings let the server decrypt its own
// backups.
func (o Options) canVerify() bool { return o.Identity != "" || o.PassphraseFile != "" }
