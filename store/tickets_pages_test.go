package store_test

import (
	"encoding/binary"
	"fmt"
	"os"
	"slices"
	"testing"
)

// TestTicketWritePages: a new ticket writes a page of each b-tree that it
// must (its row, its first message, the audit entry, the id sequence) and
// of each index a query needs, and of no other: every page is a WAL frame
// of its own (migrations 0008 and 0017 dropped the indexes no query
// needed). An index added to tickets, messages or the audit log shows
// here, with its cost.
func TestTicketWritePages(t *testing.T) {
	db, _ := newTestDB(t)
	ctx := t.Context()
	w := db.Writer()
	for i := range 20 {
		createTicket(t, db, fmt.Sprintf("pages%d@example.com", i%4), "Earlier")
	}
	if _, err := w.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		t.Fatal(err)
	}
	createTicket(t, db, "pages1@example.com", "Counted")
	names := map[uint32]string{}
	rows, err := w.QueryContext(ctx, "SELECT name, pageno FROM dbstat")
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var name string
		var page uint32
		if err := rows.Scan(&name, &page); err != nil {
			t.Fatal(err)
		}
		names[page] = name
	}
	if err := rows.Close(); err != nil {
		t.Fatal(err)
	}
	wal, err := os.ReadFile(db.Path() + "-wal")
	if err != nil {
		t.Fatal(err)
	}
	// The log: a 32-byte header, then frames of a 24-byte header (the page
	// number first) and a page.
	size := int(binary.BigEndian.Uint32(wal[8:12]))
	var got []string
	for off := 32; off+24+size <= len(wal); off += 24 + size {
		name := names[binary.BigEndian.Uint32(wal[off:])]
		// Page 1 (sqlite_schema) holds the file's size: written when a
		// b-tree takes a new page.
		if name != "sqlite_schema" && !slices.Contains(got, name) {
			got = append(got, name)
		}
	}
	slices.Sort(got)
	want := []string{"audit_log", "messages", "messages_by_ticket", "sqlite_sequence", "tickets", "tickets_by_channel", "tickets_by_customer", "tickets_by_status"}
	if !slices.Equal(got, want) {
		t.Errorf("a new ticket writes pages of\n%v, want\n%v", got, want)
	}
}
