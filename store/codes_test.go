package store_test

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"safedesk/store"
)

func issueCode(t *testing.T, db *store.DB, email string) string {
	t.Helper()
	code, err := db.IssueCode(t.Context(), email, customerActor)
	if err != nil {
		t.Fatalf("IssueCode(%s): %v", email, err)
	}
	if len(code) != 6 {
		t.Fatalf("code %q: want 6 digits", code)
	}
	return code
}

// wrongCode returns a well-formed code that is not code.
func wrongCode(code string) string {
	var n int
	fmt.Sscanf(code, "%d", &n)
	return fmt.Sprintf("%06d", (n+1)%1_000_000)
}

func TestCheckCode(t *testing.T) {
	ctx := t.Context()

	t.Run("the right code verifies and creates a new customer", func(t *testing.T) {
		db, clk := newTestDB(t)
		code := issueCode(t, db, "New.Person@Example.com")
		if _, err := db.GetCustomerByEmail(ctx, "new.person@example.com"); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("before: got %v, want ErrNotFound (issuing a code creates no customer)", err)
		}
		c, err := db.CheckCode(ctx, "new.person@example.com", code, customerActor)
		if err != nil {
			t.Fatal(err)
		}
		if c.ID == 0 || c.Email != "new.person@example.com" || !c.VerifiedAt.Equal(clk.Now()) {
			t.Errorf("got %+v, want a verified customer new.person@example.com", c)
		}
		got, err := db.GetCustomerByEmail(ctx, "NEW.PERSON@example.com")
		if err != nil || got.ID != c.ID {
			t.Errorf("GetCustomerByEmail: got %+v, %v; want customer %d", got, err, c.ID)
		}
	})

	t.Run("the right code verifies an existing customer and keeps their name", func(t *testing.T) {
		db, _ := newTestDB(t)
		tk := createTicket(t, db, "known@example.com", "Hello")
		c, err := db.CheckCode(ctx, "known@example.com", issueCode(t, db, "known@example.com"), customerActor)
		if err != nil {
			t.Fatal(err)
		}
		if c.ID != tk.CustomerID || c.Name != "Test Person" || c.VerifiedAt.IsZero() {
			t.Errorf("got %+v, want customer %d, verified, named Test Person", c, tk.CustomerID)
		}
	})

	t.Run("wrong codes count and four of them still leave the right one working", func(t *testing.T) {
		db, _ := newTestDB(t)
		code := issueCode(t, db, "a@example.com")
		for i, wrong := range []string{wrongCode(code), "12345", "", "1234567"} {
			if _, err := db.CheckCode(ctx, "a@example.com", wrong, customerActor); !errors.Is(err, store.ErrCodeInvalid) {
				t.Fatalf("try %d: got %v, want ErrCodeInvalid", i+1, err)
			}
		}
		var attempts int
		db.Writer().QueryRow("SELECT attempts FROM verification_codes").Scan(&attempts)
		if attempts != 4 {
			t.Errorf("attempts: got %d, want 4", attempts)
		}
		if _, err := db.CheckCode(ctx, "a@example.com", code, customerActor); err != nil {
			t.Errorf("right code after 4 wrong tries: %v", err)
		}
	})

	t.Run("after five wrong tries even the right code fails", func(t *testing.T) {
		db, _ := newTestDB(t)
		code := issueCode(t, db, "a@example.com")
		for range store.CodeMaxAttempts {
			db.CheckCode(ctx, "a@example.com", wrongCode(code), customerActor)
		}
		if _, err := db.CheckCode(ctx, "a@example.com", code, customerActor); !errors.Is(err, store.ErrCodeInvalid) {
			t.Errorf("got %v, want ErrCodeInvalid", err)
		}
		if n := countRows(t, db, "customers"); n != 0 {
			t.Errorf("customers: got %d, want 0", n)
		}
	})

	t.Run("a code expires after ten minutes", func(t *testing.T) {
		db, clk := newTestDB(t)
		code := issueCode(t, db, "a@example.com")
		clk.Advance(store.CodeTTL - time.Second)
		if _, err := db.CheckCode(ctx, "a@example.com", wrongCode(code), customerActor); !errors.Is(err, store.ErrCodeInvalid) {
			t.Fatalf("wrong code: got %v", err)
		}
		clk.Advance(time.Second)
		if _, err := db.CheckCode(ctx, "a@example.com", code, customerActor); !errors.Is(err, store.ErrCodeInvalid) {
			t.Errorf("after %v: got %v, want ErrCodeInvalid", store.CodeTTL, err)
		}

		db2, clk2 := newTestDB(t)
		code = issueCode(t, db2, "a@example.com")
		clk2.Advance(store.CodeTTL - time.Second)
		if _, err := db2.CheckCode(ctx, "a@example.com", code, customerActor); err != nil {
			t.Errorf("one second before expiry: got %v, want success", err)
		}
	})

	t.Run("a used code cannot be used again", func(t *testing.T) {
		db, _ := newTestDB(t)
		code := issueCode(t, db, "a@example.com")
		if _, err := db.CheckCode(ctx, "a@example.com", code, customerActor); err != nil {
			t.Fatal(err)
		}
		if _, err := db.CheckCode(ctx, "a@example.com", code, customerActor); !errors.Is(err, store.ErrCodeInvalid) {
			t.Errorf("second use: got %v, want ErrCodeInvalid", err)
		}
	})

	t.Run("a code works only for its own address", func(t *testing.T) {
		db, _ := newTestDB(t)
		code := issueCode(t, db, "a@example.com")
		issueCode(t, db, "b@example.com")
		if _, err := db.CheckCode(ctx, "b@example.com", code, customerActor); !errors.Is(err, store.ErrCodeInvalid) {
			t.Errorf("a's code for b: got %v, want ErrCodeInvalid", err)
		}
	})

	t.Run("a new code replaces the old one", func(t *testing.T) {
		db, clk := newTestDB(t)
		old := issueCode(t, db, "a@example.com")
		clk.Advance(time.Second)
		code := issueCode(t, db, "a@example.com")
		if old == code { // one time in a million; a third code is allowed
			clk.Advance(time.Second)
			code = issueCode(t, db, "a@example.com")
		}
		if old == code {
			t.Fatalf("three codes in a row were %s", code)
		}
		if _, err := db.CheckCode(ctx, "a@example.com", old, customerActor); !errors.Is(err, store.ErrCodeInvalid) {
			t.Errorf("old code: got %v, want ErrCodeInvalid", err)
		}
		if _, err := db.CheckCode(ctx, "a@example.com", code, customerActor); err != nil {
			t.Errorf("new code: %v", err)
		}
	})

	t.Run("a fourth code within an hour is rate limited", func(t *testing.T) {
		db, clk := newTestDB(t)
		for range store.CodesPerHour {
			issueCode(t, db, "a@example.com")
			clk.Advance(10 * time.Minute)
		}
		if _, err := db.IssueCode(ctx, "A@example.com", customerActor); !errors.Is(err, store.ErrRateLimited) {
			t.Fatalf("4th code: got %v, want ErrRateLimited", err)
		}
		issueCode(t, db, "b@example.com") // the limit is per address
		clk.Advance(31 * time.Minute)     // the first code is now more than an hour old
		issueCode(t, db, "a@example.com")
	})
}
