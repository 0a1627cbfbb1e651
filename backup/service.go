package backup

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"safedesk/security"
	"safedesk/store"
)

// Service makes the backups of one data folder, for the server and the
// command line: create, copy, prune, record, alert; verify; and the restore
// drill. One run (backup, verify or drill) goes at a time: scheduled runs
// wait for the one in progress, runs asked for from the admin panel are
// refused with ErrBusy. A run that fails, or panics, is recorded in
// backup_runs and raises an alert.
type Service struct {
	db       *store.DB
	dataDir  string
	keyFile  string
	dir      string // dataDir/backups, absolute
	copyTo   string // absolute, or ""
	keep     Policy
	opts     Options
	pass     string             // passphrase mode: the passphrase, else ""
	signKey  ed25519.PrivateKey // signs the audit checkpoint made before each snapshot
	mailer   Mailer
	log      *slog.Logger
	source   func() (*sql.DB, error)
	ctx      context.Context // the server's lifetime, for runs started from the panel
	scryptWF int             // scrypt work factor in passphrase mode; 0 is age's default

	sched                   *cron.Cron
	backupEntry, drillEntry cron.EntryID

	mu      sync.Mutex // held by the run in progress
	stateMu sync.Mutex
	running string
	since   time.Time
	bg      sync.WaitGroup // runs started from the panel
}

// Deps are what a Service works with besides its Options.
type Deps struct {
	// DB is the open database of the data folder.
	DB *store.DB
	// DataDir is the data folder: backup-recipients.txt, the identity on
	// first start, and backups/.
	DataDir string
	// KeyFile is the master key; "" is DataDir/master.key.
	KeyFile string
	// Mailer sends the alerts to owners and admins; nil sends none.
	Mailer Mailer
	// Log receives what happens; nil discards it.
	Log *slog.Logger
	// Source opens the read-only database that a snapshot reads; nil is
	// DB.OpenSnapshotSource. Tests inject failures here.
	Source func() (*sql.DB, error)
}

// New readies backups of the data folder with the settings o, which it
// validates. ctx is the server's lifetime: runs started from the admin
// panel and scheduled runs end with it.
func New(ctx context.Context, o Options, d Deps) (*Service, error) {
	if err := o.Validate(); err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	keep, err := ParseKeep(o.Keep)
	if err != nil {
		return nil, err
	}
	s := &Service{db: d.DB, dataDir: d.DataDir, keyFile: store.MasterKeyPath(d.DataDir, d.KeyFile), keep: keep, opts: o,
		mailer: d.Mailer, log: d.Log, source: d.Source, ctx: ctx}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.source == nil {
		s.source = d.DB.OpenSnapshotSource
	}
	if s.signKey, err = store.AuditSigningKey(d.DataDir, d.KeyFile); err != nil {
		return nil, err
	}
	if o.PassphraseFile != "" {
		if s.pass, err = readPassphrase(o.PassphraseFile); err != nil {
			return nil, err
		}
	}
	if o.CopyTo != "" {
		if s.copyTo, err = filepath.Abs(o.CopyTo); err != nil {
			return nil, fmt.Errorf("--backup-copy-to: %w", err)
		}
	}
	if s.dir, err = filepath.Abs(filepath.Join(d.DataDir, "backups")); err != nil {
		return nil, fmt.Errorf("backups folder: %w", err)
	}
	return s, nil
}

// Prepare readies the data folder for a server: a database older than the
// erasure journal (put back by hand from a backup) has the erasures since
// applied again, the backups folder exists (so its free space can be
// shown), and the first start makes the backup identity and says loudly to
// move it off the server.
func (s *Service) Prepare() error {
	redone, err := s.db.ReplayErasures(s.ctx, store.SystemActor)
	for _, e := range redone {
		s.log.Warn("customer erased again: the erasure journal records an erasure this database did not hold (was an older copy put back?)",
			"customer", e.CustomerID, "erased_at", e.Erased.Format(time.RFC3339))
	}
	if err != nil {
		return fmt.Errorf("erasure journal %s: %w", s.db.ErasureJournal(), err)
	}
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return fmt.Errorf("backups folder: %w", err)
	}
	if s.pass != "" {
		s.log.Warn("backups are encrypted to a passphrase that this server holds: whoever reads the passphrase file can read every backup")
		return nil
	}
	created, err := EnsureIdentity(s.dataDir)
	if err != nil {
		return err
	}
	idPath := filepath.Join(s.dataDir, IdentityName)
	if created {
		s.log.Warn("!!! BACKUP IDENTITY CREATED: MOVE " + idPath + " OFF THIS SERVER NOW (a password manager, a safe) and delete it here: it decrypts every backup, and the server needs only " + RecipientsName + " to make them !!!")
	} else if _, err := os.Stat(idPath); err == nil {
		s.log.Warn("the backup identity is still on this server: move it off the server, since whoever holds it can read every backup", "file", idPath)
	}
	return nil
}

// Schedule adds the backup job and, when the server can decrypt its
// backups, the restore drill to c. A job that finds the previous run still
// going waits for it.
func (s *Service) Schedule(c *cron.Cron) error {
	s.sched = c
	if s.opts.Schedule != "" {
		id, err := c.AddFunc(s.opts.Schedule, func() { s.Run(s.ctx, store.BackupSourceSchedule, store.SystemActor) })
		if err != nil {
			return fmt.Errorf("backup: schedule %q: %w", s.opts.Schedule, err)
		}
		s.backupEntry = id
	}
	if s.opts.DrillSchedule != "" && s.canVerify() {
		id, err := c.AddFunc(s.opts.DrillSchedule, func() { s.Drill(s.ctx) })
		if err != nil {
			return fmt.Errorf("backup: drill schedule %q: %w", s.opts.DrillSchedule, err)
		}
		s.drillEntry = id
	}
	return nil
}

// canVerify reports whether this server can decrypt its backups.
func (s *Service) canVerify() bool { return s.opts.canVerify() }

// Wait blocks until the runs started from the panel have ended.
func (s *Service) Wait() { s.bg.Wait() }

// begin marks a run of kind as running, waiting for another to end unless
// wait is false (then it reports false).
func (s *Service) begin(kind string, wait bool) bool {
	if wait {
		s.mu.Lock()
	} else if !s.mu.TryLock() {
		return false
	}
	s.stateMu.Lock()
	s.running, s.since = kind, s.db.Now()
	s.stateMu.Unlock()
	return true
}

func (s *Service) end() {
	s.stateMu.Lock()
	s.running = ""
	s.stateMu.Unlock()
	s.mu.Unlock()
}

// guard runs step and turns a panic in it into an error, with the stack in
// the log, so that the run is recorded and alerted like any failure.
func (s *Service) guard(kind string, step func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			s.log.Error("backup work panicked", "kind", kind, "panic", p, "stack", string(debug.Stack()))
			err = fmt.Errorf("backup: %s panicked: %v", kind, p)
		}
	}()
	return step()
}

// Run makes one backup with everything around it: it waits for a run in
// progress, copies, applies the retention ladder to both folders, records
// the outcome and raises an alert on failure. source and a say who asked
// (store.BackupSourceSchedule, …). The manifest is set when the backup was
// written, even when its copy then failed (an error wrapping ErrCopy).
func (s *Service) Run(ctx context.Context, source string, a store.Actor) (Manifest, error) {
	s.begin("backup", true)
	defer s.end()
	return s.create(ctx, source, a)
}

// create makes a backup, copies it, applies the retention ladder to both
// folders, and drops master.key.prev and the safety copies of restores
// once a backup no longer needs them.
func (s *Service) create(ctx context.Context, source string, a store.Actor) (Manifest, error) {
	started, wallStart := s.db.Now(), time.Now()
	var m Manifest
	err := s.guard("backup", func() (err error) {
		m, err = s.createFile(ctx)
		return err
	})
	primaryOK := err == nil || errors.Is(err, ErrCopy)
	run := store.BackupRun{Kind: store.BackupKindBackup, Source: source, StartedAt: started, FinishedAt: s.db.Now(),
		OK: err == nil, File: m.File, Bytes: m.EncryptedSize}
	if primaryOK {
		s.prune(s.dir)
		if err == nil && s.copyTo != "" {
			s.prune(s.copyTo)
		}
		s.dropPreviousKey(wallStart)
		s.dropSafetyCopies()
		s.copyJournal()
	}
	s.record(ctx, run, err, a)
	if err != nil {
		s.alert(ctx, "backup.failed", source, err)
		return m, err
	}
	s.log.Info("backup written", "file", filepath.Join(s.dir, m.File), "bytes", m.EncryptedSize, "source", source)
	return m, nil
}

// record stores the outcome of a run; a failure to store it is logged,
// since the run itself is over.
func (s *Service) record(ctx context.Context, run store.BackupRun, err error, a store.Actor) {
	if err != nil {
		run.Error = err.Error()
	}
	if _, rerr := s.db.RecordBackupRun(context.WithoutCancel(ctx), run, a); rerr != nil {
		s.log.Error("backup run not recorded", "err", rerr)
	}
}

// createFile snapshots the database through its own read-only connection
// (the writer keeps serving) and writes the encrypted file.
func (s *Service) createFile(ctx context.Context) (Manifest, error) {
	recs, err := s.recipients()
	if err != nil {
		return Manifest{}, err
	}
	head, err := s.checkpoint(ctx)
	if err != nil {
		return Manifest{}, err
	}
	// Names have one-second resolution: a backup right after another
	// (from the panel or the command line) waits for the next second.
	if _, err := os.Lstat(filepath.Join(s.dir, FileName(s.db.Now()))); err == nil {
		time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second)))
	}
	src, err := s.source()
	if err != nil {
		return Manifest{}, err
	}
	defer src.Close()
	return Create(ctx, src, CreateOptions{
		Dir: s.dir, Recipients: recs, CopyTo: s.copyTo,
		SchemaVersion: store.SchemaVersion(), AuditHead: head, Now: s.db.Now,
	})
}

// checkpoint signs the head of the audit log just before the snapshot, so
// that the backup carries a checkpoint of its whole log and a restored log
// cut short is detected, and returns the head's hash for the manifest. A
// log that no longer chains is an alert of its own, but never stops a
// backup: the data matters more, and verifying the backup shows the break.
func (s *Service) checkpoint(ctx context.Context) (string, error) {
	cp, err := s.db.Checkpoint(ctx, s.signKey, store.CheckpointBackup)
	switch {
	case err == nil:
		return hex.EncodeToString(cp.Hash), nil
	case errors.Is(err, store.ErrAuditEmpty):
		return "", nil
	case ctx.Err() != nil:
		return "", err
	}
	s.alert(ctx, "audit.checkpoint_failed", "backup", err)
	_, head, err := s.db.AuditHead(ctx)
	return head, err
}

// prune applies the retention ladder to dir; a failure is logged, since the
// new backup itself is fine.
func (s *Service) prune(dir string) {
	removed, err := Prune(dir, s.keep, s.db.Now())
	for _, p := range removed {
		s.log.Info("old backup removed by the retention ladder", "file", p, "keep", s.keep.String())
	}
	if err != nil {
		s.log.Error("retention ladder not fully applied", "dir", dir, "err", err)
	}
}

// copyJournal puts a copy of the erasure journal beside the backups, and
// in the second folder, so that a restore onto a new server replays it
// (RestoreInto takes it from beside the backup): it holds customer ids and
// times only. A failure is logged.
func (s *Service) copyJournal() {
	b, err := os.ReadFile(s.db.ErasureJournal())
	if errors.Is(err, os.ErrNotExist) {
		return // nobody erased yet
	}
	if err != nil {
		s.log.Error("erasure journal not copied beside the backups", "err", err)
		return
	}
	for _, dir := range []string{s.dir, s.copyTo} {
		if dir == "" {
			continue
		}
		if err := security.WriteFileAtomic(filepath.Join(dir, store.ErasureJournalName), b, 0o600); err != nil {
			s.log.Error("erasure journal not copied beside the backups", "dir", dir, "err", err)
		}
	}
}

// dropSafetyCopies deletes the databases a restore kept aside, now that a
// backup of the restored one exists; a failure is logged.
func (s *Service) dropSafetyCopies() {
	removed, err := removeSafetyCopies(s.dataDir)
	for _, p := range removed {
		s.log.Info("safety copy of the database a restore replaced removed: a backup of the restored database exists", "file", p)
	}
	if err != nil {
		s.log.Error("safety copy not removed", "err", err)
	}
}

// dropPreviousKey deletes master.key.prev once a backup taken after the
// rotation exists. A backup whose snapshot began before the file was
// written (one running in another process during the rotation) may still
// hold keys wrapped by the previous key, so it does not count.
func (s *Service) dropPreviousKey(snapshotStart time.Time) {
	prev := s.keyFile + ".prev"
	info, err := os.Stat(prev)
	if err != nil || !info.ModTime().Before(snapshotStart) {
		return
	}
	if err := os.Remove(prev); err != nil {
		s.log.Error("previous master key not removed", "file", prev, "err", err)
		return
	}
	s.log.Info("previous master key removed: the newest backup uses the current key", "file", prev)
}
