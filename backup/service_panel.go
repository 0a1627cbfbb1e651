package backup

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"
	"time"

	"safedesk/store"
)

// ErrNoIdentity is returned by Service.Verify on a server that cannot
// decrypt its backups (no --backup-identity or --backup-passphrase-file).
var ErrNoIdentity = errors.New("backup: this server holds no backup identity")

// CheckError is a backup that failed Service.Verify; its message is one
// line fit to show to an administrator.
type CheckError struct{ Err error }

// Error is the reason the backup failed.
func (e *CheckError) Error() string { return e.Err.Error() }

// Unwrap gives the failure, for errors.Is.
func (e *CheckError) Unwrap() error { return e.Err }

// Status is the backup configuration and what runs now.
type Status struct {
	Dir           string // the backups folder, absolute
	CopyTo        string // the second folder, absolute; "" when none
	Schedule      string // cron spec, "" when scheduled backups are off
	NextRun       time.Time
	Keep          string
	DrillSchedule string // "" when there are no drills
	NextDrill     time.Time
	CanVerify     bool   // the server holds an identity or passphrase
	Running       string // "backup", "verify" or "restore drill"; "" when idle
	RunningSince  time.Time
}

// Status describes the configuration and the run in progress.
func (s *Service) Status() Status {
	st := Status{Dir: s.dir, CopyTo: s.copyTo, Keep: s.keep.String(), Schedule: s.opts.Schedule, CanVerify: s.canVerify()}
	if s.canVerify() {
		st.DrillSchedule = s.opts.DrillSchedule
	}
	if s.sched != nil && s.backupEntry != 0 {
		st.NextRun = s.sched.Entry(s.backupEntry).Next
	}
	if s.sched != nil && s.drillEntry != 0 {
		st.NextDrill = s.sched.Entry(s.drillEntry).Next
	}
	s.stateMu.Lock()
	st.Running, st.RunningSince = s.running, s.since
	s.stateMu.Unlock()
	return st
}

// Files lists the backups, newest first.
func (s *Service) Files() ([]Entry, error) { return List(s.dir) }

// lookup finds a backup by its exact name among those listed, so that a
// name from a form can never reach outside the backups folder. An unknown
// name is store.ErrNotFound.
func (s *Service) lookup(name string) (Entry, error) {
	files, err := s.Files()
	if err != nil {
		return Entry{}, err
	}
	for _, f := range files {
		if f.Name == name {
			return f, nil
		}
	}
	return Entry{}, fmt.Errorf("backup %q: %w", name, store.ErrNotFound)
}

// Start begins a backup from the admin panel in the background, or returns
// ErrBusy while another run lasts. It runs under the server's lifetime, not
// the request's, and Wait waits for it.
func (s *Service) Start(a store.Actor) error {
	if !s.begin("backup", false) {
		return ErrBusy
	}
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		defer s.end()
		// The outcome is recorded, alerted and shown on the page.
		_, _ = s.create(s.ctx, store.BackupSourceManual, a)
	}()
	return nil
}

// Open opens a backup for download; an unknown name is store.ErrNotFound.
func (s *Service) Open(name string) (*os.File, Entry, error) {
	e, err := s.lookup(name)
	if err != nil {
		return nil, e, err
	}
	file, err := os.Open(e.Path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, e, fmt.Errorf("backup %q: %w", name, store.ErrNotFound) // pruned meanwhile
	}
	return file, e, err
}

// Verify checks one backup with the identity the server holds, exactly as
// a restore would check it, and records the outcome. A backup that fails
// is a *CheckError; a server without an identity gives ErrNoIdentity and
// another run in progress ErrBusy; each comes with the entry. An unknown
// name is store.ErrNotFound.
func (s *Service) Verify(ctx context.Context, name string, a store.Actor) (Entry, error) {
	e, err := s.lookup(name)
	if err != nil {
		return e, err
	}
	if !s.canVerify() {
		return e, ErrNoIdentity
	}
	if !s.begin("verify", false) {
		return e, ErrBusy
	}
	defer s.end()
	started := s.db.Now()
	err = s.guard("verify", func() error { return s.verify(ctx, e.Path) })
	s.record(ctx, store.BackupRun{Kind: store.BackupKindVerify, Source: store.BackupSourceManual, StartedAt: started,
		FinishedAt: s.db.Now(), OK: err == nil, File: e.Name, Bytes: e.Size}, err, a)
	if err != nil {
		return e, &CheckError{Err: err}
	}
	return e, nil
}

// verify decrypts the backup at path and runs every check.
func (s *Service) verify(ctx context.Context, path string) error {
	ids, err := s.identities()
	if err != nil {
		return err
	}
	rings, err := store.MasterKeys(s.keyFile)
	if err != nil {
		return err
	}
	_, err = Verify(ctx, path, ids, checks(rings, s.signKey.Public().(ed25519.PublicKey))...)
	return err
}
