package backup

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"safedesk/security"
	"safedesk/store"
)

// Drill is the scheduled restore drill: it restores the newest backup into
// a temporary folder, opens it as the server would, and records the
// outcome; a failure raises an alert like a failed backup. It waits for a
// run in progress.
func (s *Service) Drill(ctx context.Context) error {
	s.begin("restore drill", true)
	defer s.end()
	started := s.db.Now()
	var e Entry
	err := s.guard("restore drill", func() (err error) {
		e, err = s.drill(ctx)
		return err
	})
	s.record(ctx, store.BackupRun{Kind: store.BackupKindDrill, Source: store.BackupSourceSchedule, StartedAt: started,
		FinishedAt: s.db.Now(), OK: err == nil, File: e.Name, Bytes: e.Size}, err, store.SystemActor)
	if err != nil {
		s.alert(ctx, "backup.drill_failed", store.BackupSourceSchedule, err)
		return err
	}
	s.log.Info("restore drill passed", "file", e.Path)
	return nil
}

// drill restores the newest backup into a private temporary folder with a
// copy of the master key, then opens it with the store: migrations run and
// the system keys unwrap, as at a real restore's first start.
func (s *Service) drill(ctx context.Context) (Entry, error) {
	entries, err := List(s.dir)
	if err != nil {
		return Entry{}, err
	}
	if len(entries) == 0 {
		return Entry{}, errors.New("backup: restore drill: there is no backup to restore")
	}
	e := entries[0]
	ids, err := s.identities()
	if err != nil {
		return e, err
	}
	rings, err := store.MasterKeys(s.keyFile)
	if err != nil {
		return e, err
	}
	tmp, err := os.MkdirTemp("", "safedesk-drill-")
	if err != nil {
		return e, fmt.Errorf("backup: restore drill: %w", err)
	}
	defer os.RemoveAll(tmp)
	key, err := os.ReadFile(s.keyFile)
	if err != nil {
		return e, fmt.Errorf("backup: restore drill: %w", err)
	}
	if err := security.WriteFileAtomic(filepath.Join(tmp, MasterKeyName), key, 0o600); err != nil {
		return e, err
	}
	if _, err := Restore(ctx, e.Path, ids, tmp, false, checks(rings, s.signKey.Public().(ed25519.PublicKey))...); err != nil {
		return e, err
	}
	db, err := openRestored(ctx, filepath.Join(tmp, DBName), rings)
	if err != nil {
		return e, fmt.Errorf("backup: restore drill: the restored database does not open: %w", err)
	}
	return e, db.Close()
}

// openRestored opens a restored database as the server will, running any
// newer migrations, with whichever of rings opens its data keys.
func openRestored(ctx context.Context, path string, rings []*security.Keyring) (*store.DB, error) {
	i, err := store.MasterKeyInUse(ctx, path, rings...)
	if err != nil {
		return nil, err
	}
	return store.Open(ctx, path, rings[i], store.Options{})
}
