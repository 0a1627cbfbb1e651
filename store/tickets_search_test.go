package store_test

import (
	"errors"
	"strconv"
	"testing"

	"safedesk/store"
)

// TestListTicketsNeedsACustomer: a filter without a customer is refused
// unless it asks for every customer (review S15).
func TestListTicketsNeedsACustomer(t *testing.T) {
	db, _ := newTestDB(t)
	ctx := t.Context()
	createTicket(t, db, "one@example.com", "First")
	createTicket(t, db, "two@example.com", "Second")
	for _, f := range []store.TicketFilter{{}, {Status: "open"}, {Limit: 200}} {
		if ts, err := db.ListTickets(ctx, f); !errors.Is(err, store.ErrNoCustomer) || ts != nil {
			t.Errorf("ListTickets(%+v) = %d tickets, %v; want ErrNoCustomer", f, len(ts), err)
		}
	}
	if _, _, err := db.SearchTickets(ctx, store.TicketFilter{}, "first"); !errors.Is(err, store.ErrNoCustomer) {
		t.Errorf("SearchTickets without a customer: %v", err)
	}
	if ts, err := db.ListTickets(ctx, store.TicketFilter{AllCustomers: true}); err != nil || len(ts) != 2 {
		t.Errorf("AllCustomers: %d tickets, %v", len(ts), err)
	}
}

// TestSearchTicketsByEmailIsAReveal: a text search no longer resolves an
// address to a customer; SearchTicketsByEmail does, and leaves a
// customer.pii_revealed entry whatever it finds (review S9).
func TestSearchTicketsByEmailIsAReveal(t *testing.T) {
	db, _ := newTestDB(t)
	ctx := t.Context()
	tk := createTicket(t, db, "victim@example.org", "Kettle")
	createTicket(t, db, "other@example.org", "Grinder")
	all := store.TicketFilter{AllCustomers: true}
	if ts, _, err := db.SearchTickets(ctx, all, "victim@example.org"); err != nil || len(ts) != 0 {
		t.Errorf("text search for an address: %d tickets, %v", len(ts), err)
	}
	if n := auditCount(t, db, "customer.pii_revealed"); n != 0 {
		t.Fatalf("%d reveals before any email search", n)
	}
	ts, _, err := db.SearchTicketsByEmail(ctx, all, "Victim@Example.org", admin)
	if err != nil || len(ts) != 1 || ts[0].ID != tk.ID {
		t.Fatalf("by email: %v, %v", ts, err)
	}
	if ts, _, err := db.SearchTicketsByEmail(ctx, all, "nobody@example.org", admin); err != nil || len(ts) != 0 {
		t.Fatalf("unknown address: %v, %v", ts, err)
	}
	es, err := db.ListAudit(ctx, store.AuditFilter{Action: "customer.pii_revealed"})
	if err != nil || len(es) != 2 {
		t.Fatalf("audit %v, %v", es, err)
	}
	targets := map[string]bool{es[0].Target: true, es[1].Target: true}
	if !targets["customer:"+strconv.FormatInt(tk.CustomerID, 10)] || !targets["customer:none"] || es[0].Actor.ID != admin.ID {
		t.Errorf("audit entries %+v", es)
	}
}

func auditCount(t *testing.T, db *store.DB, action string) int {
	t.Helper()
	es, err := db.ListAudit(t.Context(), store.AuditFilter{Action: action})
	if err != nil {
		t.Fatal(err)
	}
	return len(es)
}
