package bot

import (
	"context"
	"io/fs"
	"path/filepath"
	"testing"

	"safedesk/security"
	"safedesk/store"
)

// newTestStore opens a fresh database file in a temporary folder with the
// demo knowledge base imported through the same path as `kb import`.
func newTestStore(tb testing.TB) *store.DB {
	tb.Helper()
	return newStoreWith(tb, store.DemoArticles())
}

// newStoreWith opens a fresh database file in a temporary folder with the
// articles of fsys imported.
func newStoreWith(tb testing.TB, fsys fs.FS) *store.DB {
	tb.Helper()
	ring, err := security.NewKeyring(security.NewDataKey())
	if err != nil {
		tb.Fatal(err)
	}
	db, err := store.Open(context.Background(), filepath.Join(tb.TempDir(), "safedesk.db"), ring, store.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	if _, _, err := db.ImportArticles(context.Background(), fsys, store.SystemActor); err != nil {
		tb.Fatal(err)
	}
	return db
}

func newTestBot(tb testing.TB, db *store.DB) *Bot {
	tb.Helper()
	b, err := New(db, Options{Product: "Northwind"})
	if err != nil {
		tb.Fatal(err)
	}
	return b
}
