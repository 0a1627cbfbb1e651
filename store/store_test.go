package store_test

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"safedesk/security"
	"safedesk/store"
)

// fakeClock is the store's clock in tests: it only moves when told to.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// newTestDB opens a fresh database file under a temporary folder with a new
// master key and a clock that only moves when the test advances it.
func newTestDB(tb testing.TB) (*store.DB, *fakeClock) {
	tb.Helper()
	clk := newFakeClock()
	path := filepath.Join(tb.TempDir(), "safedesk.db")
	db, err := openDB(tb, path, security.NewDataKey(), clk, store.Options{})
	if err != nil {
		tb.Fatalf("open: %v", err)
	}
	tb.Cleanup(func() { db.Close() })
	return db, clk
}

// openDB opens the database at path with the master key; the caller closes it.
func openDB(tb testing.TB, path string, master []byte, clk *fakeClock, opts store.Options) (*store.DB, error) {
	tb.Helper()
	ring, err := security.NewKeyring(master)
	if err != nil {
		tb.Fatalf("keyring: %v", err)
	}
	opts.Now = clk.Now
	return store.Open(context.Background(), path, ring, opts)
}

// tableCounts counts the rows of every table in the database, by name.
func tableCounts(t *testing.T, db *store.DB) map[string]int {
	t.Helper()
	ctx := context.Background()
	rows, err := db.Writer().QueryContext(ctx,
		"SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
	if err != nil {
		t.Fatalf("list tables: %v", err)
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatalf("list tables: %v", err)
		}
		names = append(names, n)
	}
	rows.Close()
	if len(names) < 8 {
		t.Fatalf("found only tables %v", names)
	}
	out := map[string]int{}
	for _, n := range names {
		var c int
		if err := db.Writer().QueryRowContext(ctx, `SELECT COUNT(*) FROM "`+n+`"`).Scan(&c); err != nil {
			t.Fatalf("count %s: %v", n, err)
		}
		out[n] = c
	}
	return out
}

// assertSameCounts fails for each table whose row count changed.
func assertSameCounts(t *testing.T, before, after map[string]int) {
	t.Helper()
	for name, n := range before {
		if after[name] != n {
			t.Errorf("table %s: got %d rows, want %d", name, after[name], n)
		}
	}
}

func countRows(t *testing.T, db *store.DB, table string) int {
	t.Helper()
	var n int
	if err := db.Writer().QueryRow(`SELECT COUNT(*) FROM "` + table + `"`).Scan(&n); err != nil {
		t.Fatalf("count %s: %v", table, err)
	}
	return n
}

func TestOpen(t *testing.T) {
	ctx := t.Context()

	t.Run("applies every migration and answers Ping", func(t *testing.T) {
		db, _ := newTestDB(t)
		var v int
		if err := db.Writer().QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
			t.Fatal(err)
		}
		if want := store.SchemaVersion(); v != want || want < 1 {
			t.Errorf("user_version: got %d, want %d (>= 1)", v, want)
		}
		for _, table := range []string{"keys", "customers", "tickets", "messages", "kb_articles", "kb_fts", "verification_codes", "sessions", "audit_log"} {
			var n int
			db.Writer().QueryRowContext(ctx, "SELECT COUNT(*) FROM sqlite_schema WHERE name = ?", table).Scan(&n)
			if n != 1 {
				t.Errorf("table %s: missing", table)
			}
		}
		if err := db.Ping(ctx); err != nil {
			t.Errorf("Ping: %v", err)
		}
	})

	t.Run("sets WAL, foreign keys and a busy timeout", func(t *testing.T) {
		db, _ := newTestDB(t)
		for _, tc := range []struct{ pragma, want string }{
			{"journal_mode", "wal"},
			{"foreign_keys", "1"},
			{"busy_timeout", "5000"},
			{"synchronous", "1"},
		} {
			var got string
			if err := db.Writer().QueryRowContext(ctx, "PRAGMA "+tc.pragma).Scan(&got); err != nil {
				t.Fatalf("%s: %v", tc.pragma, err)
			}
			if got != tc.want {
				t.Errorf("PRAGMA %s: got %q, want %q", tc.pragma, got, tc.want)
			}
		}
		_, err := db.Writer().ExecContext(ctx,
			"INSERT INTO tickets (customer_id, subject, created_at, updated_at) VALUES (424242, x'00', 0, 0)")
		if err == nil || !strings.Contains(err.Error(), "FOREIGN KEY") {
			t.Errorf("ticket of a missing customer: got %v, want a FOREIGN KEY error", err)
		}
	})

	t.Run("reopens with the same master key and reads what it wrote", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "safedesk.db")
		master, clk := security.NewDataKey(), newFakeClock()
		db, err := openDB(t, path, master, clk, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		tk, err := db.CreateTicket(ctx, store.NewTicket{Email: "ada@example.com", Name: "Ada", Subject: "Grinder noise", Body: "It squeaks."}, store.Actor{})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Close(); err != nil {
			t.Fatalf("close: %v", err)
		}
		db, err = openDB(t, path, master, clk, store.Options{})
		if err != nil {
			t.Fatalf("reopen: %v", err)
		}
		defer db.Close()
		got, err := db.GetTicket(ctx, tk.ID)
		if err != nil {
			t.Fatalf("GetTicket after reopen: %v", err)
		}
		if got.Subject != "Grinder noise" {
			t.Errorf("subject: got %q, want %q", got.Subject, "Grinder noise")
		}
		c, err := db.GetCustomerByEmail(ctx, "ADA@example.com")
		if err != nil || c.ID != tk.CustomerID {
			t.Errorf("GetCustomerByEmail after reopen: got %+v, %v; want customer %d", c, err, tk.CustomerID)
		}
	})

	t.Run("refuses another master key with a clear error", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "safedesk.db")
		clk := newFakeClock()
		db, err := openDB(t, path, security.NewDataKey(), clk, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		db.Close()
		db, err = openDB(t, path, security.NewDataKey(), clk, store.Options{})
		if err == nil {
			db.Close()
			t.Fatal("open with another master key: got no error")
		}
		if !errors.Is(err, security.ErrWrongMasterKey) {
			t.Errorf("got %v, want security.ErrWrongMasterKey", err)
		}
		if !strings.Contains(err.Error(), "master key") {
			t.Errorf("error %q does not mention the master key", err)
		}
	})

	t.Run("refuses a schema newer than the binary", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "safedesk.db")
		master, clk := security.NewDataKey(), newFakeClock()
		db, err := openDB(t, path, master, clk, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.Writer().ExecContext(ctx, "PRAGMA user_version = 999"); err != nil {
			t.Fatal(err)
		}
		db.Close()
		db, err = openDB(t, path, master, clk, store.Options{})
		if err == nil {
			db.Close()
			t.Fatal("open: got no error")
		}
		if !strings.Contains(err.Error(), "newer") {
			t.Errorf("got %q, want an error saying the database is newer", err)
		}
	})
}
