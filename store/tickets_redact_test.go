package store_test

import (
	"slices"
	"strings"
	"testing"

	"safedesk/security"
	"safedesk/store"
)

// TestCustomerTextIsRedacted: whatever the caller, a secret a customer
// types into a ticket is stored as a placeholder, and the caller learns
// what was removed. Staff text is kept as written.
func TestCustomerTextIsRedacted(t *testing.T) {
	db, _ := newTestDB(t)
	ctx := t.Context()
	tk, err := db.CreateTicket(ctx, store.NewTicket{Email: "pat@example.org", Name: "Pat 4111.1111.1111.1111",
		Subject: "Refund to DE89 3704 0044 0532 0130 00", Body: "my password is hunter22, card 5555 5555 5555 4444"}, customerActor)
	if err != nil {
		t.Fatal(err)
	}
	want := []security.Kind{security.KindCard, security.KindIBAN, security.KindPassword}
	if !slices.Equal(tk.Redacted.Kinds(), want) {
		t.Errorf("Redacted = %v, want %v", tk.Redacted, want)
	}
	got, err := db.GetTicket(ctx, tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Subject != "Refund to [IBAN removed]" || got.Redacted != 0 {
		t.Errorf("stored subject %q, Redacted %v", got.Subject, got.Redacted)
	}
	msgs, err := db.ListMessages(ctx, tk.ID, true)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("messages %v, %v", msgs, err)
	}
	if want := "my password is [password removed], card [card number removed]"; msgs[0].Body != want {
		t.Errorf("stored body %q, want %q", msgs[0].Body, want)
	}
	c, err := db.GetCustomer(ctx, tk.CustomerID)
	if err != nil {
		t.Fatal(err)
	}
	if c.Name != "Pat [card number removed]" {
		t.Errorf("stored name %q", c.Name)
	}

	m, err := db.AddMessage(ctx, tk.ID, store.NewMessage{AuthorType: "customer", AuthorID: tk.CustomerID, Body: "new card ４１１１ １１１１ １１１１ １１１１"}, customerActor)
	if err != nil {
		t.Fatal(err)
	}
	if m.Body != "new card [card number removed]" || !slices.Equal(m.Redacted.Kinds(), []security.Kind{security.KindCard}) {
		t.Errorf("customer reply %q, Redacted %v", m.Body, m.Redacted)
	}
	staff, err := db.AddMessage(ctx, tk.ID, store.NewMessage{AuthorType: "staff", AuthorID: 1, Body: "test card 4111 1111 1111 1111 works"}, customerActor)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(staff.Body, "4111 1111 1111 1111") || staff.Redacted != 0 {
		t.Errorf("staff reply %q, Redacted %v", staff.Body, staff.Redacted)
	}
	msgs, err = db.ListMessages(ctx, tk.ID, true)
	if err != nil || len(msgs) != 3 || msgs[1].Body != "new card [card number removed]" {
		t.Fatalf("messages %v, %v", msgs, err)
	}
}
