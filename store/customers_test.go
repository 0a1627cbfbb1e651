package store_test

import (
	"context"
	"errors"
	"testing"

	"safedesk/store"
)

// TestLookalikeNeverMatchesACustomer (issue 12, item 21): an address that
// only looks like a customer's is refused, and never finds them.
func TestLookalikeNeverMatchesACustomer(t *testing.T) {
	db, _ := newTestDB(t)
	ctx := context.Background()
	if _, err := db.CreateTicket(ctx, store.NewTicket{Email: "Kate@Example.com", Name: "Kate", Subject: "Mine", Body: "x"}, customerActor); err != nil {
		t.Fatal(err)
	}
	c, err := db.GetCustomerByEmail(ctx, "kate@example.com")
	if err != nil || c.Email != "kate@example.com" {
		t.Fatalf("the customer by the lower-case address: %+v, %v", c, err)
	}
	for _, l := range []string{"\u212Aate@example.com", "\uFF4Bate@example.com", "k\u0430te@example.com", "kate@ex\u0430mple.com", "kate@\uFF45xample.com"} {
		if msg := store.ValidateEmail(l); msg == "" {
			t.Errorf("%q is accepted", l)
		}
		if _, err := db.GetCustomerByEmail(ctx, l); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%q finds a customer: %v", l, err)
		}
		var verr *store.ValidationError
		if _, err := db.CreateTicket(ctx, store.NewTicket{Email: l, Name: "M", Subject: "S", Body: "B"}, customerActor); !errors.As(err, &verr) {
			t.Errorf("a ticket for %q: %v, want a validation error", l, err)
		}
	}
}
