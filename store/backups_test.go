package store_test

import (
	"database/sql"
	"errors"
	"path/filepath"
	"testing"

	"safedesk/security"
	"safedesk/store"
)

func TestBackupRuns(t *testing.T) {
	ctx := t.Context()
	db, clk := newTestDB(t)
	if _, err := db.LastBackupRun(ctx, store.BackupKindBackup, false); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("LastBackupRun on none: %v, want ErrNotFound", err)
	}
	ok, err := db.RecordBackupRun(ctx, store.BackupRun{Kind: store.BackupKindBackup, Source: store.BackupSourceSchedule, OK: true,
		File: "safedesk-20260302T090000Z.db.age", Bytes: 1234}, store.SystemActor)
	if err != nil {
		t.Fatal(err)
	}
	clk.Advance(60e9)
	if _, err := db.RecordBackupRun(ctx, store.BackupRun{Kind: store.BackupKindBackup, Source: store.BackupSourceManual,
		Error: "backup: disk full\nsecond line"}, store.SystemActor); err != nil {
		t.Fatal(err)
	}

	last, err := db.LastBackupRun(ctx, store.BackupKindBackup, false)
	if err != nil || last.OK || last.Error != "backup: disk full second line" {
		t.Errorf("last run = %+v, %v; want the failure, on one line", last, err)
	}
	good, err := db.LastBackupRun(ctx, store.BackupKindBackup, true)
	if err != nil || good.ID != ok.ID || good.File != ok.File || good.Bytes != 1234 {
		t.Errorf("last success = %+v, %v; want %+v", good, err, ok)
	}
	runs, err := db.ListBackupRuns(ctx, 10)
	if err != nil || len(runs) != 2 || runs[0].OK {
		t.Errorf("ListBackupRuns = %d runs (first ok=%v), %v; want 2, newest first", len(runs), len(runs) > 0 && runs[0].OK, err)
	}
	for _, action := range []string{"backup.created", "backup.failed"} {
		if e, err := db.ListAudit(ctx, store.AuditFilter{Action: action}); err != nil || len(e) != 1 {
			t.Errorf("audit %s: %d entries, %v; want 1", action, len(e), err)
		}
	}
	if _, err := db.RecordBackupRun(ctx, store.BackupRun{Kind: "nap", Source: store.BackupSourceCLI}, store.SystemActor); err == nil {
		t.Error("unknown kind accepted")
	}
	if _, err := db.RecordBackupRun(ctx, store.BackupRun{Kind: store.BackupKindVerify, Source: store.BackupSourceCLI, File: "../x"}, store.SystemActor); err == nil {
		t.Error("a path accepted as file name")
	}
}

func TestBackupChecks(t *testing.T) {
	ctx := t.Context()
	clk := newFakeClock()
	dir := t.TempDir()
	path := filepath.Join(dir, "safedesk.db")
	key := security.NewDataKey()
	db, err := openDB(t, path, key, clk, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	createTicket(t, db, "ada@example.com", "Order 1234 is late")
	seq, head, err := db.AuditHead(ctx)
	if err != nil || seq == 0 || len(head) != 64 {
		t.Errorf("AuditHead = %d, %q, %v", seq, head, err)
	}
	// A copy made the way a backup makes it.
	src, err := db.OpenSnapshotSource()
	if err != nil {
		t.Fatal(err)
	}
	snapPath := filepath.Join(dir, "snap.db")
	if _, err := src.ExecContext(ctx, "VACUUM INTO ?", snapPath); err != nil {
		t.Fatalf("VACUUM INTO through the snapshot source: %v", err)
	}
	src.Close()
	db.Close()
	snap, err := sql.Open("sqlite", "file:"+snapPath+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Close()

	ring, _ := security.NewKeyring(key)
	other, _ := security.NewKeyring(security.NewDataKey())
	if err := store.CheckAuditLog(nil)(ctx, snap); err != nil {
		t.Errorf("CheckAuditLog: %v", err)
	}
	if err := store.CheckSchema(ctx, snap); err != nil {
		t.Errorf("CheckSchema: %v", err)
	}
	if err := store.CheckWrappedKeys(ring)(ctx, snap); err != nil {
		t.Errorf("CheckWrappedKeys(right key): %v", err)
	}
	if err := store.CheckWrappedKeys(other, ring)(ctx, snap); err != nil {
		t.Errorf("CheckWrappedKeys(other, right key): %v", err)
	}
	if err := store.CheckWrappedKeys(other)(ctx, snap); !errors.Is(err, security.ErrWrongMasterKey) {
		t.Errorf("CheckWrappedKeys(wrong key) = %v, want ErrWrongMasterKey", err)
	}
}
