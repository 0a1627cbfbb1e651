// Package storetest makes data folders for tests of the packages above
// store (backup, web, the command line): a real database, as a first
// start of the server leaves it; and holds the checks those tests share.
package storetest

import (
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"safedesk/store"
)

// DataFolder makes a data folder as the server's first start leaves it
// (database and master key) with one ticket from each of tickets
// customers, c0@example.com, c1@example.com and so on, filed for them (so
// confirmed: they see them once verified), and returns the folder and the
// tickets' subjects in that order.
func DataFolder(t testing.TB, tickets int) (string, []string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "data")
	db, err := store.OpenDir(t.Context(), dir, "", true, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var subjects []string
	for i := range tickets {
		s := fmt.Sprintf("Order %d has not arrived", 1000+i)
		if _, err := db.CreateTicket(t.Context(), store.NewTicket{Email: fmt.Sprintf("c%d@example.com", i), Name: "Customer", Subject: s, Body: "Where is it?"},
			store.SystemActor); err != nil {
			t.Fatal(err)
		}
		subjects = append(subjects, s)
	}
	return dir, subjects
}

// Open opens the data folder's database until the test ends.
func Open(t testing.TB, dir string) *store.DB {
	t.Helper()
	db, err := store.OpenDir(t.Context(), dir, "", false, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// Raw opens a second connection to db's file, with the store's settings
// (store.DSN), for tests that must look beneath the store (the stored bytes,
// triggers, the search index) or change it behind the store's back, and for
// benchmarks that time a bare write beside the store's. Like the store's
// writer it holds one connection; it is closed when the test ends.
func Raw(t testing.TB, db *store.DB) *sql.DB {
	t.Helper()
	raw, err := sql.Open("sqlite", store.DSN(db.Path()))
	if err != nil {
		t.Fatal(err)
	}
	raw.SetMaxOpenConns(1)
	t.Cleanup(func() { raw.Close() })
	return raw
}

// OneLine fails the test unless err is an error printed on one line that
// contains want: errors meant for an operator are one line.
func OneLine(t testing.TB, err error, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one containing %q", want)
	}
	if msg := err.Error(); strings.Contains(msg, "\n") || !strings.Contains(msg, want) {
		t.Fatalf("error %q: want one line containing %q", msg, want)
	}
}
