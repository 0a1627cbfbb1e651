package store_test

import (
	"bytes"
	"errors"
	"os"
	"slices"
	"testing"

	"safedesk/store"
)

func TestParseTags(t *testing.T) {
	got, err := store.ParseTags(" Billing, VIP customer ,billing,, Ｒｅｆｕｎｄ ", "tags")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"billing", "vip-customer", "refund"}; !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	for _, bad := range []string{"<b>x</b>", "a;b", "this-label-is-far-too-long-for-anyone-to-read-it"} {
		var verr *store.ValidationError
		if _, err := store.ParseTags(bad, "tags"); !errors.As(err, &verr) || verr.Fields["tags"] == "" {
			t.Errorf("%q: got %v, want a problem with tags", bad, err)
		}
	}
	if _, err := store.ParseTags("a,b,c,d,e,f,g,h,i,j,k", "tags"); err == nil {
		t.Error("eleven tags accepted")
	}
}

func TestTags(t *testing.T) {
	db, _ := newTestDB(t)
	ctx := t.Context()
	a := createTicket(t, db, "a@example.org", "A")
	b := createTicket(t, db, "b@example.org", "B")
	c := createTicket(t, db, "c@example.org", "C")

	if changed, err := db.SetTicketTags(ctx, a.ID, []string{"billing", "jane-doe-divorce"}, staffActor); err != nil || !changed {
		t.Fatalf("set tags: %v %v", changed, err)
	}
	if changed, err := db.SetTicketTags(ctx, a.ID, []string{"jane-doe-divorce", "billing"}, staffActor); err != nil || changed {
		t.Fatalf("the same tags again: changed %v, %v", changed, err)
	}
	n, err := db.TagTickets(ctx, []int64{a.ID, b.ID, c.ID}, store.TagChange{Add: []string{"refund"}, Remove: []string{"billing"}}, staffActor)
	if err != nil || n != 3 {
		t.Fatalf("bulk: %d changed, %v", n, err)
	}
	got, err := db.GetTicket(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"jane-doe-divorce", "refund"}; !slices.Equal(got.Tags, want) {
		t.Errorf("ticket tags %q, want %q", got.Tags, want)
	}
	filtered, err := db.ListTickets(ctx, store.TicketFilter{AllCustomers: true, Tag: "Refund"})
	if err != nil || len(filtered) != 3 {
		t.Fatalf("filter refund: %d, %v", len(filtered), err)
	}
	for _, tag := range []string{"billing", "no-such-tag", "<bad>"} {
		if none, err := db.ListTickets(ctx, store.TicketFilter{AllCustomers: true, Tag: tag}); err != nil || len(none) != 0 {
			t.Errorf("filter %q: %d tickets, %v", tag, len(none), err)
		}
	}
	if all, err := db.ListTags(ctx); err != nil || !slices.Equal(all, []string{"jane-doe-divorce", "refund"}) {
		t.Errorf("labels in use %q, %v: billing went with its last use", all, err)
	}
	var verr *store.ValidationError
	many := store.TagChange{Add: []string{"t1", "t2", "t3", "t4", "t5", "t6", "t7", "t8", "t9"}}
	if _, err := db.TagTickets(ctx, []int64{a.ID}, many, staffActor); !errors.As(err, &verr) {
		t.Errorf("eleven labels on one ticket: %v", err)
	}
	if _, err := db.TagTickets(ctx, []int64{a.ID, 9999}, store.TagChange{Add: []string{"x"}}, staffActor); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown ticket: %v", err)
	}
	if got, _ := db.GetTicket(ctx, a.ID); slices.Contains(got.Tags, "x") {
		t.Error("a failed bulk change was applied in part")
	}

	// Erasing the only customer whose ticket carries a label takes it along.
	if _, err := db.EraseCustomer(ctx, a.CustomerID, staffActor); err != nil {
		t.Fatal(err)
	}
	if all, _ := db.ListTags(ctx); slices.Contains(all, "jane-doe-divorce") {
		t.Errorf("the erased customer's label stays: %q", all)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	raw, err := os.ReadFile(db.Path())
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte("refund")) {
		t.Error("a label is in the database file in clear")
	}
}
