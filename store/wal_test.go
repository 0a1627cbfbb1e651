package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"testing"

	"safedesk/store"
)

// walTickets files n tickets, each a write transaction of a few pages.
func walTickets(t *testing.T, db *store.DB, n int) {
	t.Helper()
	for i := range n {
		if _, err := db.CreateTicket(t.Context(), store.NewTicket{Email: fmt.Sprintf("c%d@example.com", i%8), Name: "C",
			Subject: "Order late", Body: "Where is my order?"}, customerActor); err != nil {
			t.Fatal(err)
		}
	}
}

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
	walTickets(t, db, 300)
	c := checkpointWAL(t, db)
	if c.Frames < 1500 || c.Copied != c.Frames {
		t.Fatalf("after 300 tickets: %+v; want every page of the log (1,500 or more) copied by the job, none by the writer", c)
	}
	walTickets(t, db, 1)
	if c := checkpointWAL(t, db); c.Frames > 50 {
		t.Errorf("a write after a complete checkpoint left a log of %d pages: it did not start over", c.Frames)
	}
}

// TestCheckpointBesideAnOldSnapshot: a reader that holds an old snapshot
// (as a backup does) keeps its pages in the log: the checkpoint copies
// what it can and neither waits for the reader nor holds up writes; an
// oversized log is emptied once the reader is gone.
func TestCheckpointBesideAnOldSnapshot(t *testing.T) {
	db, _ := newTestDB(t)
	walTickets(t, db, 5)
	checkpointWAL(t, db)
	reader, err := sql.Open("sqlite", store.ReaderDSN(db.Path()))
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	snap, err := reader.BeginTx(t.Context(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Rollback()
	var before int
	if err := snap.QueryRow("SELECT COUNT(*) FROM tickets").Scan(&before); err != nil {
		t.Fatal(err)
	}
	walTickets(t, db, 20)
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
	walTickets(t, db, 1) // writes go on
	var still int
	if err := snap.QueryRow("SELECT COUNT(*) FROM tickets").Scan(&still); err != nil || still != before {
		t.Fatalf("the reader's snapshot: %d tickets, %v; want the %d it started with", still, err, before)
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
	if got, err := db.ListTickets(context.Background(), store.TicketFilter{AllCustomers: true, Limit: 100}); err != nil || len(got) != 26 {
		t.Errorf("after the checkpoints: %d tickets, %v; want all 26", len(got), err)
	}
}
