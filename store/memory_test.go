package store_test

import (
	"database/sql"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"safedesk/store"
)

// TestConnectionMemoryBounded: every connection, the writer and each
// reader, has a bounded page cache, no memory-mapped I/O and a WAL that is
// checkpointed and cut back.
func TestConnectionMemoryBounded(t *testing.T) {
	db, _ := newTestDB(t)
	reader, err := sql.Open("sqlite", store.ReaderDSN(filepath.Join(filepath.Dir(db.Path()), "safedesk.db")))
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	const want = "cache_size=-2000 mmap_size=0 wal_autocheckpoint=16384 journal_size_limit=67108864"
	for name, conn := range map[string]*sql.DB{"writer": db.Writer(), "reader": reader} {
		var got []string
		for _, setting := range strings.Fields(want) {
			pragma, _, _ := strings.Cut(setting, "=")
			var v string
			if err := conn.QueryRowContext(t.Context(), "PRAGMA "+pragma).Scan(&v); err != nil {
				t.Fatalf("%s: %s: %v", name, pragma, err)
			}
			got = append(got, pragma+"="+v)
		}
		if g := strings.Join(got, " "); g != want {
			t.Errorf("%s: %s, want %s", name, g, want)
		}
	}
}

// TestDataKeyCacheBounded: unwrapped customer keys are cached up to a cap,
// whatever the number of customers, and a key that has left the cache
// still opens its customer's data.
func TestDataKeyCacheBounded(t *testing.T) {
	db, _ := newTestDB(t)
	if _, most := db.KeyCache(); most < 4000 || most > 4096 {
		t.Errorf("the cache holds %d keys, want 4096 at most (and not much less)", most)
	}
	db.SetKeyCache(16)
	ctx := t.Context()
	var ids []int64
	for i := range 100 {
		tk, err := db.CreateTicket(ctx, store.NewTicket{Email: "c" + strconv.Itoa(i) + "@example.com", Name: "Customer " + strconv.Itoa(i),
			Subject: "Order " + strconv.Itoa(i) + " is late", Body: "Where is my order?"}, store.SystemActor)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, tk.ID)
	}
	if n, _ := db.KeyCache(); n > 16 {
		t.Errorf("%d keys cached after 100 customers, want at most 16", n)
	}
	for i, id := range ids {
		tk, err := db.GetTicket(ctx, id)
		if err != nil || tk.Subject != "Order "+strconv.Itoa(i)+" is late" {
			t.Fatalf("ticket %d: %q, %v; want its subject back", id, tk.Subject, err)
		}
		c, err := db.GetCustomer(ctx, tk.CustomerID)
		if err != nil || c.Email != "c"+strconv.Itoa(i)+"@example.com" {
			t.Fatalf("customer of ticket %d: %q, %v; want its address back", id, c.Email, err)
		}
	}
	if n, _ := db.KeyCache(); n > 16 {
		t.Errorf("%d keys cached after reading 100 customers, want at most 16", n)
	}
}
