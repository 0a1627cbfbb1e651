package main

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"filippo.io/age"
	"github.com/robfig/cron/v3"

	"safedesk/backup"
	"safedesk/security"
	"safedesk/store"
	"safedesk/web"
	"safedesk/web/mail"
)

// backupService makes backups for the server and the command line: create,
// copy, prune, record, alert; and the restore drill. The server's admin
// backups page reaches it as a web.BackupService.
type backupService struct {
	db       *store.DB
	dataDir  string
	keyFile  string
	dir      string // DATA/backups
	copyTo   string
	keep     backup.Policy
	identity string             // identity file that decrypts backups, for drills and verify; may be ""
	pass     string             // passphrase mode: the passphrase, else ""
	signKey  ed25519.PrivateKey // signs the audit checkpoint made before each snapshot
	mailer   *mail.Sender
	log      *slog.Logger
	ctx      context.Context // the server's lifetime, for backups started from the panel

	schedule, drillSchedule string
	sched                   *cron.Cron
	backupEntry, drillEntry cron.EntryID

	// mu lets one backup, verify or drill run at a time in this process;
	// scheduled runs wait for it, runs started from the panel do not.
	mu      sync.Mutex
	stateMu sync.Mutex
	running string
	since   time.Time
	bg      sync.WaitGroup // runs started from the panel
}

var _ web.BackupService = (*backupService)(nil)

// newBackupService prepares backups for the data folder of db.
func newBackupService(ctx context.Context, cfg Config, db *store.DB, keyFile string, mailer *mail.Sender, log *slog.Logger) (*backupService, error) {
	b := &backupService{
		db: db, dataDir: cfg.Data, keyFile: keyFile, dir: filepath.Join(cfg.Data, "backups"),
		copyTo: cfg.BackupCopyTo, keep: cfg.backupKeep, identity: cfg.BackupIdentity,
		mailer: mailer, log: log, ctx: ctx,
	}
	if b.keyFile == "" {
		b.keyFile = masterKeyPath(cfg.Data, cfg.MasterKeyFile)
	}
	key, err := auditSigningKey(cfg)
	if err != nil {
		return nil, err
	}
	b.signKey = key
	if cfg.BackupPassphraseFile != "" {
		p, err := readPassphrase(cfg.BackupPassphraseFile)
		if err != nil {
			return nil, err
		}
		b.pass = p
	}
	if b.copyTo != "" {
		abs, err := filepath.Abs(b.copyTo)
		if err != nil {
			return nil, fmt.Errorf("--backup-copy-to: %w", err)
		}
		b.copyTo = abs
	}
	abs, err := filepath.Abs(b.dir)
	if err != nil {
		return nil, fmt.Errorf("backups folder: %w", err)
	}
	b.dir = abs
	return b, nil
}

// masterKeyPath is where the master key of a data folder lives.
func masterKeyPath(data, keyFile string) string {
	if keyFile == "" {
		keyFile = os.Getenv("SAFEDESK_MASTER_KEY_FILE")
	}
	if keyFile == "" {
		keyFile = filepath.Join(data, "master.key")
	}
	return keyFile
}

// readPassphrase reads a passphrase file, refusing one that others can read.
func readPassphrase(path string) (string, error) {
	info, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("backup passphrase: %w", err)
	}
	if info.Mode().Perm()&0o077 != 0 {
		return "", fmt.Errorf("backup passphrase: %s has mode %04o; run: chmod 600 %s", path, info.Mode().Perm(), path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("backup passphrase: %w", err)
	}
	p := strings.TrimRight(string(b), "\r\n")
	if len(p) < backup.MinPassphraseLen {
		return "", fmt.Errorf("backup passphrase: %s holds fewer than %d characters", path, backup.MinPassphraseLen)
	}
	return p, nil
}

// prepareServer readies backups for the server: the first start makes the
// backup identity (and says loudly to move it off the server), and the
// backups folder exists so its free space can be shown.
func (b *backupService) prepareServer() error {
	if err := os.MkdirAll(b.dir, 0o700); err != nil {
		return fmt.Errorf("backups folder: %w", err)
	}
	if b.pass != "" {
		b.log.Warn("backups are encrypted to a passphrase that this server holds: whoever reads the passphrase file can read every backup")
		return nil
	}
	created, err := backup.EnsureIdentity(b.dataDir)
	if err != nil {
		return err
	}
	idPath := filepath.Join(b.dataDir, backup.IdentityName)
	if created {
		b.log.Warn("!!! BACKUP IDENTITY CREATED: MOVE " + idPath + " OFF THIS SERVER NOW (a password manager, a safe) and delete it here: it decrypts every backup, and the server needs only " + backup.RecipientsName + " to make them !!!")
	} else if _, err := os.Stat(idPath); err == nil {
		b.log.Warn("the backup identity is still on this server: move it off the server, since whoever holds it can read every backup", "file", idPath)
	}
	return nil
}

// addJobs schedules backups and, when the server can decrypt them, the
// restore drill. Each job is skipped while its previous run lasts.
func (b *backupService) addJobs(sched *cron.Cron, schedule, drill string) error {
	b.sched = sched
	if schedule != "" {
		id, err := sched.AddFunc(schedule, func() { b.runBackup(b.ctx, store.BackupSourceSchedule, store.SystemActor) })
		if err != nil {
			return usageError{fmt.Sprintf("--backup-schedule %q: %v", schedule, err)}
		}
		b.schedule, b.backupEntry = schedule, id
	}
	if drill != "" && b.canVerify() {
		id, err := sched.AddFunc(drill, func() { b.runDrill(b.ctx) })
		if err != nil {
			return usageError{fmt.Sprintf("--backup-drill-schedule %q: %v", drill, err)}
		}
		b.drillSchedule, b.drillEntry = drill, id
	}
	return nil
}

// canVerify reports whether this server can decrypt its backups.
func (b *backupService) canVerify() bool { return b.identity != "" || b.pass != "" }

// Wait blocks until the runs started from the panel have ended.
func (b *backupService) Wait() { b.bg.Wait() }

// begin marks a run of kind as running, waiting for another to end unless
// wait is false (then it reports false).
func (b *backupService) begin(kind string, wait bool) bool {
	if wait {
		b.mu.Lock()
	} else if !b.mu.TryLock() {
		return false
	}
	b.stateMu.Lock()
	b.running, b.since = kind, b.db.Now()
	b.stateMu.Unlock()
	return true
}

func (b *backupService) end() {
	b.stateMu.Lock()
	b.running = ""
	b.stateMu.Unlock()
	b.mu.Unlock()
}

// recipients are who backups are encrypted to, read at every backup so
// that recipients added to the file take effect without a restart.
func (b *backupService) recipients() ([]age.Recipient, error) {
	if b.pass != "" {
		r, err := backup.PassphraseRecipient(b.pass)
		if err != nil {
			return nil, err
		}
		if testScryptWorkFactor > 0 {
			r.SetWorkFactor(testScryptWorkFactor)
		}
		return []age.Recipient{r}, nil
	}
	path := filepath.Join(b.dataDir, backup.RecipientsName)
	recs, err := backup.LoadRecipients(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("backup: no recipients file %s: safedesk serve creates it on first start; or write age1… recipients in it, one a line", path)
	}
	return recs, err
}

// testScryptWorkFactor, when set by a test, lowers the passphrase mode's
// scrypt work factor (2^18 by default, about a second) to keep tests fast.
var testScryptWorkFactor int

// identities decrypt backups, for verify and the drill.
func (b *backupService) identities() ([]age.Identity, error) {
	if b.pass != "" {
		id, err := backup.PassphraseIdentity(b.pass)
		if err != nil {
			return nil, err
		}
		return []age.Identity{id}, nil
	}
	if b.identity == "" {
		return nil, web.ErrNoBackupIdentity
	}
	return backup.LoadIdentities(b.identity)
}

// runBackup is one backup with everything around it: it waits for a run in
// progress, records the outcome and raises an alert on failure.
func (b *backupService) runBackup(ctx context.Context, source string, a store.Actor) (backup.Manifest, error) {
	b.begin("backup", true)
	defer b.end()
	return b.create(ctx, source, a)
}

// create makes a backup, copies it, applies the retention ladder to both
// folders, and drops master.key.prev once a backup no longer needs it.
func (b *backupService) create(ctx context.Context, source string, a store.Actor) (backup.Manifest, error) {
	started, wallStart := b.db.Now(), time.Now()
	m, err := b.createFile(ctx)
	primaryOK := err == nil || errors.Is(err, backup.ErrCopy)
	run := store.BackupRun{Kind: store.BackupKindBackup, Source: source, StartedAt: started, FinishedAt: b.db.Now(),
		OK: err == nil, File: m.File, Bytes: m.EncryptedSize}
	if err != nil {
		run.Error = err.Error()
	}
	if primaryOK {
		b.prune(b.dir)
		if err == nil && b.copyTo != "" {
			b.prune(b.copyTo)
		}
		b.dropPreviousKey(wallStart)
	}
	if _, rerr := b.db.RecordBackupRun(context.WithoutCancel(ctx), run, a); rerr != nil {
		b.log.Error("backup run not recorded", "err", rerr)
	}
	if err != nil {
		b.alert(ctx, "backup.failed", source, err)
		return m, err
	}
	b.log.Info("backup written", "file", filepath.Join(b.dir, m.File), "bytes", m.EncryptedSize, "source", source)
	return m, nil
}

// createFile snapshots the database through its own read-only connection
// (the writer keeps serving) and writes the encrypted file.
func (b *backupService) createFile(ctx context.Context) (backup.Manifest, error) {
	recs, err := b.recipients()
	if err != nil {
		return backup.Manifest{}, err
	}
	head, err := b.checkpoint(ctx)
	if err != nil {
		return backup.Manifest{}, err
	}
	// Names have one-second resolution: a backup right after another
	// (from the panel or the command line) waits for the next second.
	if _, err := os.Lstat(filepath.Join(b.dir, backup.FileName(b.db.Now()))); err == nil {
		time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second)))
	}
	src, err := b.db.OpenSnapshotSource()
	if err != nil {
		return backup.Manifest{}, err
	}
	defer src.Close()
	return backup.Create(ctx, src, backup.CreateOptions{
		Dir: b.dir, Recipients: recs, CopyTo: b.copyTo,
		SchemaVersion: store.SchemaVersion(), AuditHead: head, Now: b.db.Now,
	})
}

// checkpoint signs the head of the audit log just before the snapshot, so
// that the backup carries a checkpoint of its whole log and a restored log
// cut short is detected, and returns the head's hash for the manifest. A
// log that no longer chains is an alert of its own, but never stops a
// backup: the data matters more, and verifying the backup shows the break.
func (b *backupService) checkpoint(ctx context.Context) (string, error) {
	cp, err := b.db.Checkpoint(ctx, b.signKey, store.CheckpointBackup)
	switch {
	case err == nil:
		return hex.EncodeToString(cp.Hash), nil
	case errors.Is(err, store.ErrAuditEmpty):
		return "", nil
	case ctx.Err() != nil:
		return "", err
	}
	b.alert(ctx, "audit.checkpoint_failed", "backup", err)
	_, head, err := b.db.AuditHead(ctx)
	return head, err
}

// prune applies the retention ladder to dir; a failure is logged, since the
// new backup itself is fine.
func (b *backupService) prune(dir string) {
	removed, err := backup.Prune(dir, b.keep, b.db.Now())
	for _, p := range removed {
		b.log.Info("old backup removed by the retention ladder", "file", p, "keep", b.keep.String())
	}
	if err != nil {
		b.log.Error("retention ladder not fully applied", "dir", dir, "err", err)
	}
}

// dropPreviousKey deletes master.key.prev once a backup taken after the
// rotation exists. A backup whose snapshot began before the file was
// written (one running in another process during the rotation) may still
// hold keys wrapped by the previous key, so it does not count.
func (b *backupService) dropPreviousKey(snapshotStart time.Time) {
	prev := b.keyFile + ".prev"
	info, err := os.Stat(prev)
	if err != nil || !info.ModTime().Before(snapshotStart) {
		return
	}
	if err := os.Remove(prev); err != nil {
		b.log.Error("previous master key not removed", "file", prev, "err", err)
		return
	}
	b.log.Info("previous master key removed: the newest backup uses the current key", "file", prev)
}

// alert reports a failed run: the log, a critical security event, and mail
// to the owners and admins. A run cut short by shutdown is no failure.
func (b *backupService) alert(ctx context.Context, kind, source string, err error) {
	if ctx.Err() != nil {
		b.log.Info("backup work interrupted by shutdown", "kind", kind)
		return
	}
	ctx = context.WithoutCancel(ctx)
	b.log.Error("BACKUP ALERT: "+kind, "source", source, "err", err)
	if rerr := b.db.RecordSecurityEvent(ctx, store.SecurityEvent{Kind: kind, Severity: store.SeverityCritical,
		Actor: "system", Details: map[string]any{"source": source, "error": err.Error()}}); rerr != nil {
		b.log.Error("security event not recorded", "kind", kind, "err", rerr)
	}
	if b.mailer == nil {
		return
	}
	title := strings.NewReplacer(".", " ", "_", " ").Replace(kind) // "backup failed"
	staff, serr := b.db.ListStaff(ctx)
	if serr != nil {
		b.log.Error("backup alert: staff not listed", "err", serr)
		return
	}
	for _, st := range staff {
		if !st.Active() || (st.Role != security.RoleOwner && st.Role != security.RoleAdmin) {
			continue
		}
		mctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		merr := b.mailer.Send(mctx, mail.Message{Kind: "backup_alert", To: st.Email, Subject: "safedesk: " + title,
			Text: "Alert: " + title + " at " + b.db.Now().UTC().Format(time.RFC1123) + ":\n\n" + err.Error() +
				"\n\nSee the admin backups page and the server log.\n"})
		cancel()
		if merr != nil {
			b.log.Error("backup alert mail not sent", "staff", st.ID, "err", merr)
		}
	}
}

// backupChecks are what verify, restore and the drill run on a decrypted
// copy: the schema is one this binary opens, the audit chain verifies and
// holds against its signed checkpoints (when the public key is known), and
// every data key opens with the master key (or the one before a rotation).
func backupChecks(rings []*security.Keyring, auditPub ed25519.PublicKey) []backup.Check {
	return []backup.Check{store.CheckSchema, store.CheckAuditLog(auditPub), store.CheckWrappedKeys(rings...)}
}

// loadRings loads the master key at keyFile and, when present, the one
// kept from before the last rotation.
func loadRings(keyFile string) ([]*security.Keyring, error) {
	ring, _, err := security.LoadMasterKey(keyFile, false)
	if err != nil {
		return nil, err
	}
	rings := []*security.Keyring{ring}
	if prev, _, err := security.LoadMasterKey(keyFile+".prev", false); err == nil {
		rings = append(rings, prev)
	}
	return rings, nil
}
