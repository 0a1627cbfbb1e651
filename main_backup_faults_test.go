package main

import (
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"safedesk/backup"
	"safedesk/security"
	"safedesk/store"
)

func TestBackupFaults(t *testing.T) {
	t.Run("a missing recipients file", func(t *testing.T) {
		dir, _ := bkData(t)
		os.Remove(filepath.Join(dir, backup.RecipientsName))
		_, err := bkRun(t, "backup", "create", "--data", dir)
		bkOneLine(t, err, backup.RecipientsName)
		if entries, _ := backup.List(filepath.Join(dir, "backups")); len(entries) != 0 {
			t.Errorf("%d backups written", len(entries))
		}
	})
	t.Run("a backups folder that cannot be made raises an alert", func(t *testing.T) {
		dir, _ := bkData(t)
		if err := os.WriteFile(filepath.Join(dir, "backups"), []byte("in the way"), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := bkRun(t, "backup", "create", "--data", dir)
		bkOneLine(t, err, "backup:")
		db, err := openStore(t.Context(), dir, "", false, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		ev, err := db.ListSecurityEvents(t.Context(), store.EventFilter{Kind: "backup.failed"})
		if err != nil || len(ev) != 1 || ev[0].Severity != store.SeverityCritical {
			t.Errorf("backup.failed security events: %+v, %v; want one, critical", ev, err)
		}
		if r, err := db.LastBackupRun(t.Context(), store.BackupKindBackup, false); err != nil || r.OK || r.Error == "" {
			t.Errorf("last run %+v, %v; want a recorded failure", r, err)
		}
	})
	t.Run("a corrupt backup is not restored", func(t *testing.T) {
		dir, _ := bkData(t)
		file := bkCreate(t, dir)
		b, _ := os.ReadFile(file)
		os.WriteFile(file, b[:len(b)-100], 0o600)
		target := t.TempDir()
		key, _ := os.ReadFile(filepath.Join(dir, "master.key"))
		security.WriteKeyFile(filepath.Join(target, "master.key"), key)
		_, err := bkRun(t, "backup", "restore", file, "--identity", filepath.Join(dir, backup.IdentityName), "--data", target)
		bkOneLine(t, err, "backup:")
		des, _ := os.ReadDir(target)
		for _, de := range des {
			if de.Name() != "master.key" && de.Name() != lockName {
				t.Errorf("target holds %s after a refused restore", de.Name())
			}
		}
	})
}

func TestBackupPassphraseMode(t *testing.T) {
	testScryptWorkFactor = 10
	t.Cleanup(func() { testScryptWorkFactor = 0 })
	dir, _ := bkData(t)
	pass := filepath.Join(t.TempDir(), "passphrase")
	if err := os.WriteFile(pass, []byte("correct horse battery staple\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	file := bkCreate(t, dir, "--backup-passphrase-file", pass)
	if out, err := bkRun(t, "backup", "verify", file, "--passphrase-file", pass, "--data", dir); err != nil {
		t.Fatalf("verify with the passphrase: %v (%s)", err, out)
	}
	_, err := bkRun(t, "backup", "verify", file, "--identity", filepath.Join(dir, backup.IdentityName), "--data", dir)
	bkOneLine(t, err, "wrong identity")

	t.Run("a passphrase file others can read is refused", func(t *testing.T) {
		os.Chmod(pass, 0o644)
		_, err := bkRun(t, "backup", "create", "--data", dir, "--backup-passphrase-file", pass)
		bkOneLine(t, err, "chmod 600")
	})
}

// TestBackupRetentionBothFolders runs the service over three simulated days
// with a 2-day ladder: each folder keeps exactly the ladder.
func TestBackupRetentionBothFolders(t *testing.T) {
	dir, _ := bkData(t)
	copyTo := t.TempDir()
	var mu sync.Mutex
	now := time.Date(2026, 3, 2, 3, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	ring, _, err := security.LoadMasterKey(filepath.Join(dir, "master.key"), false)
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(t.Context(), filepath.Join(dir, backup.DBName), ring, store.Options{Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	cfg := defaultConfig()
	cfg.Data, cfg.BackupCopyTo, cfg.BackupKeep = dir, copyTo, "2d"
	if err := cfg.validateBackup(); err != nil {
		t.Fatal(err)
	}
	b, err := newBackupService(t.Context(), cfg, db, "", nil, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	var made []string
	for day := range 3 {
		for hour := range 2 {
			mu.Lock()
			now = time.Date(2026, 3, 2+day, 3+hour, 0, 0, 0, time.UTC)
			mu.Unlock()
			m, err := b.runBackup(t.Context(), store.BackupSourceSchedule, store.SystemActor)
			if err != nil {
				t.Fatal(err)
			}
			made = append(made, m.File)
		}
	}
	// Days 3 and 4 keep their newest (04:00) backups; everything else goes.
	want := []string{made[5], made[3]}
	for _, folder := range []string{b.dir, copyTo} {
		entries, err := backup.List(folder)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range entries {
			got = append(got, e.Name)
		}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%s keeps %v, want %v", folder, got, want)
		}
	}
}
