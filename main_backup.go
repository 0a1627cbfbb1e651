package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"filippo.io/age"
	"github.com/robfig/cron/v3"

	"safedesk/backup"
	"safedesk/security"
	"safedesk/store"
	"safedesk/web/mail"
)

const backupUsage = `usage:
  safedesk backup create [--data DIR]                     make a backup now; prints its path on the last line
  safedesk backup list [--data DIR]                       list the backups, newest first
  safedesk backup verify FILE --identity ID [--data DIR]  decrypt and check a backup
  safedesk backup restore FILE --identity ID --data DIR [--force]
                                                          restore into DIR (which must hold master.key)`

// cmdActor is the command line in the audit log (backup and keys commands).
var cmdActor = store.Actor{Type: store.ActorSystem, ID: "cli"}

// backupFlags adds the server's backup flags.
func (c *Config) backupFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.BackupSchedule, "backup-schedule", c.BackupSchedule, "when to back up, a cron spec in UTC (\"0 3 * * *\", \"@every 6h\"), or off")
	fs.StringVar(&c.BackupKeep, "backup-keep", c.BackupKeep, "retention ladder: keep the newest backup of each of the last N days (d), ISO weeks (w) and months (m)")
	fs.StringVar(&c.BackupCopyTo, "backup-copy-to", c.BackupCopyTo, "second folder (a mounted volume, say) that receives a copy of each backup")
	fs.StringVar(&c.BackupIdentity, "backup-identity", c.BackupIdentity, "age identity file that decrypts the backups: enables the weekly restore drill and verify from the admin panel (the server can then read its backups)")
	fs.StringVar(&c.BackupPassphraseFile, "backup-passphrase-file", c.BackupPassphraseFile, "encrypt backups to the passphrase in this file (age scrypt) instead of backup-recipients.txt; the server can then read its backups")
	fs.StringVar(&c.BackupDrillSchedule, "backup-drill-schedule", c.BackupDrillSchedule, "when to run the restore drill, a cron spec in UTC; needs --backup-identity or --backup-passphrase-file")
}

// validateBackup checks the backup settings and parses the ladder.
func (c *Config) validateBackup() error {
	keep, err := backup.ParseKeep(c.BackupKeep)
	if err != nil {
		return usageError{"--backup-keep: " + strings.TrimPrefix(err.Error(), "backup: keep: ")}
	}
	c.backupKeep = keep
	if c.BackupSchedule == "off" {
		c.BackupSchedule = ""
	}
	for _, s := range []struct{ flag, spec string }{{"--backup-schedule", c.BackupSchedule}, {"--backup-drill-schedule", c.BackupDrillSchedule}} {
		if s.spec == "" {
			continue
		}
		if _, err := cron.ParseStandard(s.spec); err != nil {
			return usageError{fmt.Sprintf("%s %q: %v", s.flag, s.spec, err)}
		}
	}
	if c.BackupIdentity != "" && c.BackupPassphraseFile != "" {
		return usageError{"--backup-identity and --backup-passphrase-file exclude each other"}
	}
	if c.BackupIdentity != "" {
		if _, err := backup.LoadIdentities(c.BackupIdentity); err != nil {
			return usageError{"--backup-identity: " + err.Error()}
		}
	}
	return nil
}

// startBackups readies backups for the server and schedules them and the
// restore drill on sched.
func startBackups(ctx context.Context, cfg Config, db *store.DB, mailer *mail.Sender, sched *cron.Cron, log *slog.Logger) (*backupService, error) {
	b, err := newBackupService(ctx, cfg, db, masterKeyPath(cfg.Data, cfg.MasterKeyFile), mailer, log)
	if err != nil {
		return nil, err
	}
	if err := b.prepareServer(); err != nil {
		return nil, err
	}
	if err := b.addJobs(sched, cfg.BackupSchedule, cfg.BackupDrillSchedule); err != nil {
		return nil, err
	}
	return b, nil
}

// runBackup dispatches the backup subcommands.
func runBackup(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return usageError{backupUsage}
	}
	switch args[0] {
	case "create":
		return runBackupCreate(ctx, args[1:], stdout, stderr)
	case "list":
		return runBackupList(args[1:], stdout, stderr)
	case "verify":
		return runBackupVerify(ctx, args[1:], stdout, stderr)
	case "restore":
		return runBackupRestore(ctx, args[1:], stdout, stderr)
	}
	return usageError{fmt.Sprintf("unknown backup command %q\n%s", args[0], backupUsage)}
}

func runBackupCreate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg := defaultConfig()
	fs := flag.NewFlagSet("backup create", flag.ContinueOnError)
	dataFlag(fs, &cfg.Data)
	fs.StringVar(&cfg.MasterKeyFile, "master-key-file", cfg.MasterKeyFile, "master key file (default DATA/master.key)")
	fs.StringVar(&cfg.BackupCopyTo, "backup-copy-to", cfg.BackupCopyTo, "second folder that receives a copy")
	fs.StringVar(&cfg.BackupKeep, "backup-keep", cfg.BackupKeep, "retention ladder applied after the backup")
	fs.StringVar(&cfg.BackupPassphraseFile, "backup-passphrase-file", cfg.BackupPassphraseFile, "encrypt to the passphrase in this file instead of backup-recipients.txt")
	if err := parseFlags(fs, args, stderr); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("backup create: unexpected argument %q", fs.Arg(0))}
	}
	keep, err := backup.ParseKeep(cfg.BackupKeep)
	if err != nil {
		return usageError{"--backup-keep: " + strings.TrimPrefix(err.Error(), "backup: keep: ")}
	}
	cfg.backupKeep = keep
	db, err := openStore(ctx, cfg.Data, cfg.MasterKeyFile, false, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	b, err := newBackupService(ctx, cfg, db, "", nil, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	m, err := b.runBackup(ctx, store.BackupSourceCLI, cmdActor)
	if m.File == "" {
		return err
	}
	fmt.Fprintf(stdout, "backup written: %d bytes encrypted, snapshot SHA-256 %s\n", m.EncryptedSize, m.SHA256)
	if b.copyTo != "" && err == nil {
		fmt.Fprintf(stdout, "copied to %s\n", filepath.Join(b.copyTo, m.File))
	}
	fmt.Fprintln(stdout, filepath.Join(b.dir, m.File))
	return err
}

func runBackupList(args []string, stdout, stderr io.Writer) error {
	cfg := defaultConfig()
	fs := flag.NewFlagSet("backup list", flag.ContinueOnError)
	dataFlag(fs, &cfg.Data)
	if err := parseFlags(fs, args, stderr); err != nil {
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
		fmt.Fprintf(stdout, "no backups in %s\n", dir)
		return nil
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

// identityFlags are how verify and restore get what decrypts a backup, and
// the key that checks the audit checkpoints in it.
type identityFlags struct {
	identity, passphraseFile, auditPublicKey string
}

func (f *identityFlags) add(fs *flag.FlagSet) {
	fs.StringVar(&f.identity, "identity", "", "age identity file that decrypts the backup (backup-identity.txt)")
	fs.StringVar(&f.passphraseFile, "passphrase-file", "", "file holding the passphrase, for backups made in passphrase mode")
	fs.StringVar(&f.auditPublicKey, "audit-public-key", "", "public key (from safedesk audit public-key) that checks the backup's signed audit checkpoints (default: derived from the signing key beside the master key)")
}

func (f *identityFlags) load() ([]age.Identity, error) {
	switch {
	case f.identity != "" && f.passphraseFile != "":
		return nil, usageError{"give --identity or --passphrase-file, not both"}
	case f.identity != "":
		return backup.LoadIdentities(f.identity)
	case f.passphraseFile != "":
		p, err := readPassphrase(f.passphraseFile)
		if err != nil {
			return nil, err
		}
		id, err := backup.PassphraseIdentity(p)
		if err != nil {
			return nil, err
		}
		return []age.Identity{id}, nil
	}
	return nil, usageError{"--identity FILE is required: the age identity that decrypts backups (backup-identity.txt)"}
}

func runBackupVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg := defaultConfig()
	fs := flag.NewFlagSet("backup verify", flag.ContinueOnError)
	dataFlag(fs, &cfg.Data)
	fs.StringVar(&cfg.MasterKeyFile, "master-key-file", cfg.MasterKeyFile, "master key that must open the backup's data keys (default DATA/master.key)")
	var idf identityFlags
	idf.add(fs)
	if err := parseInterspersed(fs, args, stderr); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{"usage: safedesk backup verify FILE --identity ID [--data DIR]"}
	}
	file := fs.Arg(0)
	ids, err := idf.load()
	if err != nil {
		return err
	}
	keyFile := masterKeyPath(cfg.Data, cfg.MasterKeyFile)
	rings, err := loadRings(keyFile)
	if err != nil {
		return fmt.Errorf("%w (verify opens the backup's data keys with it; pass --data or --master-key-file)", err)
	}
	pub, err := auditPublicKey(cfg, idf.auditPublicKey)
	if err != nil {
		return err
	}
	started := time.Now()
	m, err := backup.Verify(ctx, file, ids, backupChecks(rings, pub)...)
	recordCLIVerify(ctx, cfg, keyFile, file, started, m, err)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "ok: %s\n", file)
	fmt.Fprintf(stdout, "snapshot: %d bytes, SHA-256 %s\n", m.Size, m.SHA256)
	if m.SchemaVersion > 0 {
		fmt.Fprintf(stdout, "schema %d, audit head %s\n", m.SchemaVersion, m.AuditHead)
	}
	if pub != nil {
		fmt.Fprintln(stdout, "integrity check ok, audit chain and its signed checkpoints verify, every data key opens with the master key")
	} else {
		fmt.Fprintln(stdout, "integrity check ok, audit chain verifies (checkpoints unchecked: no audit public key), every data key opens with the master key")
	}
	return nil
}

// recordCLIVerify records a verify in the data folder's database, when
// there is one, so that the admin page shows it. It is best effort: a
// verify often runs away from the server.
func recordCLIVerify(ctx context.Context, cfg Config, keyFile, file string, started time.Time, m backup.Manifest, verr error) {
	if _, err := os.Stat(filepath.Join(cfg.Data, backup.DBName)); err != nil || ctx.Err() != nil {
		return
	}
	db, err := openStore(ctx, cfg.Data, keyFile, false, nil)
	if err != nil {
		return
	}
	defer db.Close()
	run := store.BackupRun{Kind: store.BackupKindVerify, Source: store.BackupSourceCLI, StartedAt: started,
		FinishedAt: time.Now(), OK: verr == nil, File: filepath.Base(file), Bytes: m.EncryptedSize}
	if verr != nil {
		run.Error = verr.Error()
	}
	db.RecordBackupRun(ctx, run, cmdActor)
}

func runBackupRestore(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg := defaultConfig()
	fs := flag.NewFlagSet("backup restore", flag.ContinueOnError)
	dataFlag(fs, &cfg.Data)
	force := fs.Bool("force", false, "replace a database already in the folder (it is kept as a safety copy)")
	var idf identityFlags
	idf.add(fs)
	if err := parseInterspersed(fs, args, stderr); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return usageError{"usage: safedesk backup restore FILE --identity ID --data DIR [--force]"}
	}
	file, dir := fs.Arg(0), cfg.Data
	ids, err := idf.load()
	if err != nil {
		return err
	}
	if info, err := os.Stat(dir); err != nil || !info.IsDir() {
		return fmt.Errorf("target folder %s does not exist: create it (mkdir -m 700) and put the master key in it", dir)
	}
	release, err := lockDataDir(dir, false)
	if err != nil {
		return err
	}
	defer release()
	keyFile := filepath.Join(dir, backup.MasterKeyName)
	if _, err := os.Stat(keyFile); errors.Is(err, os.ErrNotExist) {
		return backup.ErrNoMasterKey
	}
	rings, err := loadRings(keyFile)
	if err != nil {
		return err
	}
	pub, err := auditPublicKey(cfg, idf.auditPublicKey)
	if err != nil {
		return err
	}
	res, err := backup.Restore(ctx, file, ids, dir, *force, backupChecks(rings, pub)...)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "restored %s into %s\n", filepath.Base(file), filepath.Join(dir, backup.DBName))
	if res.SafetyCopy != "" {
		fmt.Fprintf(stdout, "the database it replaced is kept as %s\n", res.SafetyCopy)
	}
	if err := recordRestore(ctx, dir, rings, file, res); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "start the server with: safedesk serve --data %s\n", dir)
	return nil
}

// recordRestore opens the restored database as the server will (running
// any newer migrations) and records the restore in its audit log.
func recordRestore(ctx context.Context, dir string, rings []*security.Keyring, file string, res backup.RestoreResult) error {
	path := filepath.Join(dir, backup.DBName)
	i, err := store.MasterKeyInUse(ctx, path, rings...)
	if err != nil {
		return err
	}
	if i > 0 {
		return fmt.Errorf("restored, but its data keys open with master.key.prev, not master.key: in %s, first keep master.key elsewhere, then rename master.key.prev to master.key", dir)
	}
	db, err := store.Open(ctx, path, rings[i], store.Options{})
	if err != nil {
		return fmt.Errorf("restored, but the database does not open: %w", err)
	}
	defer db.Close()
	return db.RecordAudit(ctx, cmdActor, "backup.restored", "backup:"+filepath.Base(file),
		map[string]any{"schema": res.Manifest.SchemaVersion, "safety_copy": filepath.Base(res.SafetyCopy)})
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
		if strings.Contains(name, "=") {
			continue
		}
		f := fs.Lookup(name)
		if f == nil {
			continue // parseFlags reports it
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
