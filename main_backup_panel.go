package main

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"safedesk/backup"
	"safedesk/security"
	"safedesk/store"
	"safedesk/web"
)

// Files lists the backups, newest first (web.BackupService).
func (b *backupService) Files() ([]web.BackupFile, error) {
	entries, err := backup.List(b.dir)
	if err != nil {
		return nil, err
	}
	out := make([]web.BackupFile, 0, len(entries))
	for _, e := range entries {
		f := web.BackupFile{Name: e.Name, Path: e.Path, Created: e.Created, Size: e.Size}
		if e.Manifest != nil {
			f.SHA256, f.Schema = e.Manifest.SHA256, e.Manifest.SchemaVersion
		}
		out = append(out, f)
	}
	return out, nil
}

// lookup finds a backup by its exact name among those listed, so that a
// name from a form can never reach outside the backups folder.
func (b *backupService) lookup(name string) (web.BackupFile, error) {
	files, err := b.Files()
	if err != nil {
		return web.BackupFile{}, err
	}
	for _, f := range files {
		if f.Name == name {
			return f, nil
		}
	}
	return web.BackupFile{}, fmt.Errorf("backup %q: %w", name, store.ErrNotFound)
}

// Status describes the configuration and the run in progress (web.BackupService).
func (b *backupService) Status() web.BackupStatus {
	st := web.BackupStatus{
		Dir: b.dir, CopyTo: b.copyTo, Keep: b.keep.String(),
		Schedule: b.schedule, DrillSchedule: b.drillSchedule, CanVerify: b.canVerify(),
	}
	if b.sched != nil && b.schedule != "" {
		st.NextRun = b.sched.Entry(b.backupEntry).Next
	}
	if b.sched != nil && b.drillSchedule != "" {
		st.NextDrill = b.sched.Entry(b.drillEntry).Next
	}
	b.stateMu.Lock()
	st.Running, st.RunningSince = b.running, b.since
	b.stateMu.Unlock()
	return st
}

// Start begins a backup from the panel in the background (web.BackupService).
// It runs under the server's lifetime, not the request's, and shutdown
// waits for it.
func (b *backupService) Start(a store.Actor) error {
	if !b.begin("backup", false) {
		return web.ErrBackupBusy
	}
	b.bg.Add(1)
	go func() {
		defer b.bg.Done()
		defer b.end()
		b.create(b.ctx, store.BackupSourceManual, a)
	}()
	return nil
}

// Open opens a backup for download (web.BackupService).
func (b *backupService) Open(name string) (*os.File, web.BackupFile, error) {
	f, err := b.lookup(name)
	if err != nil {
		return nil, f, err
	}
	file, err := os.Open(f.Path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, f, fmt.Errorf("backup %q: %w", name, store.ErrNotFound) // pruned meanwhile
	}
	return file, f, err
}

// Verify checks one backup with the identity the server holds, exactly as
// a restore would check it, and records the outcome (web.BackupService).
func (b *backupService) Verify(ctx context.Context, name string, a store.Actor) (web.BackupFile, error) {
	f, err := b.lookup(name)
	if err != nil {
		return f, err
	}
	if !b.canVerify() {
		return f, web.ErrNoBackupIdentity
	}
	if !b.begin("verify", false) {
		return f, web.ErrBackupBusy
	}
	defer b.end()
	started := b.db.Now()
	err = b.verify(ctx, f.Path)
	run := store.BackupRun{Kind: store.BackupKindVerify, Source: store.BackupSourceManual, StartedAt: started,
		FinishedAt: b.db.Now(), OK: err == nil, File: f.Name, Bytes: f.Size}
	if err != nil {
		run.Error = err.Error()
	}
	if _, rerr := b.db.RecordBackupRun(context.WithoutCancel(ctx), run, a); rerr != nil {
		b.log.Error("backup run not recorded", "err", rerr)
	}
	if err != nil {
		return f, &web.BackupCheckError{Reason: err.Error()}
	}
	return f, nil
}

// verify decrypts the backup at path and runs every check.
func (b *backupService) verify(ctx context.Context, path string) error {
	ids, err := b.identities()
	if err != nil {
		return err
	}
	rings, err := loadRings(b.keyFile)
	if err != nil {
		return err
	}
	_, err = backup.Verify(ctx, path, ids, backupChecks(rings, b.signKey.Public().(ed25519.PublicKey))...)
	return err
}

// runDrill is the scheduled restore drill: it restores the newest backup
// into a temporary folder, opens it as the server would, and records the
// outcome; a failure raises an alert like a failed backup.
func (b *backupService) runDrill(ctx context.Context) error {
	b.begin("restore drill", true)
	defer b.end()
	started := b.db.Now()
	e, err := b.drill(ctx)
	run := store.BackupRun{Kind: store.BackupKindDrill, Source: store.BackupSourceSchedule, StartedAt: started,
		FinishedAt: b.db.Now(), OK: err == nil, File: e.Name, Bytes: e.Size}
	if err != nil {
		run.Error = err.Error()
	}
	if _, rerr := b.db.RecordBackupRun(context.WithoutCancel(ctx), run, store.SystemActor); rerr != nil {
		b.log.Error("backup run not recorded", "err", rerr)
	}
	if err != nil {
		b.alert(ctx, "backup.drill_failed", store.BackupSourceSchedule, err)
		return err
	}
	b.log.Info("restore drill passed", "file", e.Path)
	return nil
}

// drill restores the newest backup into a private temporary folder with a
// copy of the master key, then opens it with the store: migrations run and
// the system keys unwrap, as at a real restore's first start.
func (b *backupService) drill(ctx context.Context) (backup.Entry, error) {
	entries, err := backup.List(b.dir)
	if err != nil {
		return backup.Entry{}, err
	}
	if len(entries) == 0 {
		return backup.Entry{}, errors.New("backup: restore drill: there is no backup to restore")
	}
	e := entries[0]
	ids, err := b.identities()
	if err != nil {
		return e, err
	}
	rings, err := loadRings(b.keyFile)
	if err != nil {
		return e, err
	}
	tmp, err := os.MkdirTemp("", "safedesk-drill-")
	if err != nil {
		return e, fmt.Errorf("backup: restore drill: %w", err)
	}
	defer os.RemoveAll(tmp)
	key, err := os.ReadFile(b.keyFile)
	if err != nil {
		return e, fmt.Errorf("backup: restore drill: %w", err)
	}
	if err := security.WriteKeyFile(filepath.Join(tmp, backup.MasterKeyName), key); err != nil {
		return e, err
	}
	if _, err := backup.Restore(ctx, e.Path, ids, tmp, false, backupChecks(rings, b.signKey.Public().(ed25519.PublicKey))...); err != nil {
		return e, err
	}
	path := filepath.Join(tmp, backup.DBName)
	i, err := store.MasterKeyInUse(ctx, path, rings...)
	if err != nil {
		return e, err
	}
	db, err := store.Open(ctx, path, rings[i], store.Options{})
	if err != nil {
		return e, fmt.Errorf("backup: restore drill: the restored database does not open: %w", err)
	}
	return e, db.Close()
}
