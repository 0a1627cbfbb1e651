package store_test

import (
	"os"
	"testing"

	"safedesk/store"
)

func checkpointWAL(t *testing.T, db *store.DB) store.WALCheckpoint {
	t.Helper()
	c, err := db.CheckpointWAL(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestCheckpointOffTheRequestPath: writes leave the log to the background
// job (the writer no longer checkpoints every 1,000 pages, inside the
// request that crossed them); the job copies all of it, and the next write
// starts the log over, so that it stays as long as a round's writes.
func TestCheckpointOffTheRequestPath(t *testing.T) {
	db, _ := newTestDB(t)
	checkpointWAL(t, db)
	auditEntries(t, db, 1200) // a page or more each
	c := checkpointWAL(t, db)
	if c.Frames <= 1200 || c.Copied != c.Frames {
		t.Fatalf("after 1,200 writes: %+v; want every page of the log (more than 1,200) copied by the job, none by the writer", c)
	}
	auditEntries(t, db, 1)
	if c := checkpointWAL(t, db); c.Frames > 10 {
		t.Errorf("a write after a complete checkpoint left a log of %d pages: it did not start over", c.Frames)
	}
}

// TestCheckpointBesideAnOldSnapshot: a reader that holds an old snapshot
// (as a backup does) keeps its pages in the log: the checkpoint copies
// what it can and neither waits for the reader nor holds up writes; an
// oversized log is emptied once the reader is gone.
func TestCheckpointBesideAnOldSnapshot(t *testing.T) {
	db, _ := newTestDB(t)
	auditEntries(t, db, 5)
	checkpointWAL(t, db)
	snap, err := secondConn(t, db.Path()).BeginTx(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Rollback()
	var before int
	if err := snap.QueryRow("SELECT COUNT(*) FROM audit_log").Scan(&before); err != nil {
		t.Fatal(err)
	}
	auditEntries(t, db, 20)
	// The log file grows past the size kept at rest (as it may while a
	// backup reads): bytes beyond the last frame are never read.
	wal := db.Path() + "-wal"
	if err := os.Truncate(wal, 65<<20); err != nil {
		t.Fatal(err)
	}
	c := checkpointWAL(t, db)
	if c.Copied >= c.Frames || c.Truncated {
		t.Errorf("beside a reader of an older snapshot: %+v; want the newer pages kept in the log, and the log kept", c)
	}
	auditEntries(t, db, 1) // writes go on
	var still int
	if err := snap.QueryRow("SELECT COUNT(*) FROM audit_log").Scan(&still); err != nil || still != before {
		t.Fatalf("the reader's snapshot: %d entries, %v; want the %d it started with", still, err, before)
	}
	if err := snap.Rollback(); err != nil {
		t.Fatal(err)
	}
	if c := checkpointWAL(t, db); c.Copied != c.Frames || !c.Truncated {
		t.Errorf("once the reader is gone: %+v; want everything copied and the oversized log emptied", c)
	}
	if fi, err := os.Stat(wal); err != nil || fi.Size() != 0 {
		t.Errorf("log file after truncation: %v, %v; want empty", fi.Size(), err)
	}
	if n := countRows(t, db, "audit_log"); n != before+21 {
		t.Errorf("after the checkpoints: %d audit entries, want %d", n, before+21)
	}
}
