package store_test

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"safedesk/security"
	"safedesk/store"
)

// journalFolder is a database in a folder of its own, with its master key,
// so that a test can swap in an older copy and open it again.
type journalFolder struct {
	t      *testing.T
	path   string
	master []byte
	clk    *fakeClock
	db     *store.DB
}

func newJournalFolder(t *testing.T) *journalFolder {
	t.Helper()
	f := &journalFolder{t: t, path: filepath.Join(t.TempDir(), store.DBName), master: security.NewDataKey(), clk: newFakeClock()}
	f.open()
	t.Cleanup(func() { f.db.Close() })
	return f
}

func (f *journalFolder) open() {
	f.t.Helper()
	db, err := openDB(f.t, f.path, f.master, f.clk, store.Options{})
	if err != nil {
		f.t.Fatal(err)
	}
	f.db = db
}

// snapshot copies the database, as a backup would hold it.
func (f *journalFolder) snapshot() string {
	f.t.Helper()
	snap := filepath.Join(f.t.TempDir(), "snapshot.db")
	if _, err := f.db.Writer().Exec("VACUUM INTO ?", snap); err != nil {
		f.t.Fatal(err)
	}
	return snap
}

// restore puts snap in place of the database, as `backup restore` does.
func (f *journalFolder) restore(snap string) {
	f.t.Helper()
	if err := f.db.Close(); err != nil {
		f.t.Fatal(err)
	}
	for _, side := range []string{"-wal", "-shm"} {
		if err := os.Remove(f.path + side); err != nil && !errors.Is(err, os.ErrNotExist) {
			f.t.Fatal(err)
		}
	}
	if err := os.Rename(snap, f.path); err != nil {
		f.t.Fatal(err)
	}
	f.open()
}

func (f *journalFolder) journal() string {
	f.t.Helper()
	b, err := os.ReadFile(filepath.Join(filepath.Dir(f.path), store.ErasureJournalName))
	if err != nil {
		f.t.Fatal(err)
	}
	return string(b)
}

func TestErasureJournal(t *testing.T) {
	ctx := t.Context()

	t.Run("a restore does not undo an erasure", func(t *testing.T) {
		f := newJournalFolder(t)
		gone := createTicket(t, f.db, "gone@example.com", "Goes")
		stays := createTicket(t, f.db, "stays@example.com", "Stays")
		snap := f.snapshot()
		later := createTicket(t, f.db, "later@example.com", "Made after the backup")
		for _, id := range []int64{gone.CustomerID, later.CustomerID} {
			if _, err := f.db.EraseCustomer(ctx, id, admin); err != nil {
				t.Fatal(err)
			}
		}
		j := f.journal()
		if strings.Contains(j, "@example.com") || strings.Count(j, "\nerased ") != 2 {
			t.Fatalf("journal:\n%s", j)
		}
		f.restore(snap)
		if _, err := f.db.GetCustomer(ctx, gone.CustomerID); err != nil {
			t.Fatalf("the test's premise: the restored copy holds the customer: %v", err)
		}
		redone, err := f.db.ReplayErasures(ctx, store.CLIActor)
		if err != nil || len(redone) != 1 || redone[0].CustomerID != gone.CustomerID {
			t.Fatalf("replayed %+v, %v; want customer %d alone", redone, err, gone.CustomerID)
		}
		if _, err := f.db.GetCustomer(ctx, gone.CustomerID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("erased customer after the replay: %v", err)
		}
		if _, err := f.db.GetTicket(ctx, gone.ID); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("erased customer's ticket after the replay: %v", err)
		}
		if _, err := f.db.GetCustomer(ctx, stays.CustomerID); err != nil {
			t.Errorf("a customer who was never erased: %v", err)
		}
		entries, err := f.db.ListAudit(ctx, store.AuditFilter{Action: "customer.erased"})
		if err != nil || len(entries) != 1 || entries[0].Details["replayed_from_journal"] == nil {
			t.Errorf("audit of the replay: %+v, %v", entries, err)
		}
		if again, err := f.db.ReplayErasures(ctx, store.CLIActor); err != nil || len(again) != 0 {
			t.Errorf("second replay: %+v, %v", again, err)
		}
	})

	t.Run("an erasure that did not commit is not replayed", func(t *testing.T) {
		f := newJournalFolder(t)
		tk := createTicket(t, f.db, "kept@example.com", "Kept")
		// The writer pool has one connection: a temporary trigger on it
		// makes the erasure fail after its journal entry.
		if _, err := f.db.Writer().Exec(`CREATE TEMP TRIGGER no_erase BEFORE DELETE ON customers BEGIN SELECT RAISE(ABORT, 'refused'); END`); err != nil {
			t.Fatal(err)
		}
		if _, err := f.db.EraseCustomer(ctx, tk.CustomerID, admin); err == nil {
			t.Fatal("the erasure went through the trigger")
		}
		if _, err := f.db.Writer().Exec(`DROP TRIGGER temp.no_erase`); err != nil {
			t.Fatal(err)
		}
		if j := f.journal(); !strings.Contains(j, "\nerased ") || !strings.Contains(j, "\nfailed ") {
			t.Fatalf("journal:\n%s", j)
		}
		if redone, err := f.db.ReplayErasures(ctx, store.CLIActor); err != nil || len(redone) != 0 {
			t.Fatalf("replayed %+v, %v", redone, err)
		}
		if _, err := f.db.GetCustomer(ctx, tk.CustomerID); err != nil {
			t.Errorf("the customer whose erasure failed: %v", err)
		}
	})

	t.Run("an erasure cut short by a crash is completed; torn lines and reused ids are skipped", func(t *testing.T) {
		f := newJournalFolder(t)
		cut := createTicket(t, f.db, "cut@example.com", "Cut short")
		other := createTicket(t, f.db, "other@example.com", "Other")
		created := func(id int64) string {
			c, err := f.db.GetCustomer(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			return c.CreatedAt.Format("2006-01-02T15:04:05.999999999Z07:00")
		}
		// As a crash between the synced entry and the commit leaves it,
		// then an entry for the same id made before that customer was (a
		// backup restored, ids handed out again), then a torn line.
		cutID, otherID, otherCreated := itoa(cut.CustomerID), itoa(other.CustomerID), created(other.CustomerID)
		lines := "# journal\nerased " + cutID + " " + created(cut.CustomerID) + " 2026-12-06T10:00:00Z\n" +
			"erased " + otherID + " 2001-01-01T00:00:00Z 2001-02-01T00:00:00Z\n" +
			"erased " + otherID + " " + otherCreated[:10]
		if err := os.WriteFile(f.db.ErasureJournal(), []byte(lines), 0o600); err != nil {
			t.Fatal(err)
		}
		redone, err := f.db.ReplayErasures(ctx, store.SystemActor)
		if err != nil || len(redone) != 1 || redone[0].CustomerID != cut.CustomerID {
			t.Fatalf("replayed %+v, %v", redone, err)
		}
		if _, err := f.db.GetCustomer(ctx, other.CustomerID); err != nil {
			t.Errorf("a customer named only by a stale or torn entry: %v", err)
		}
		if _, err := f.db.EraseCustomer(ctx, other.CustomerID, admin); err != nil {
			t.Fatal(err)
		}
		if j := f.journal(); !strings.Contains(j, " "+otherCreated[:10]+"\nerased "+otherID+" ") {
			t.Errorf("the next entry does not start on a line of its own:\n%s", j)
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
