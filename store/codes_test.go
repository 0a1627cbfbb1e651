package store_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"safedesk/store"
)

func issueCode(t *testing.T, db *store.DB, email string) string {
	t.Helper()
	c, err := db.IssueCode(t.Context(), store.CodeRequest{Email: email}, customerActor)
	if err != nil {
		t.Fatalf("IssueCode(%s): %v", email, err)
	}
	if len(c.Code) != 6 {
		t.Fatalf("code %q: want 6 digits", c.Code)
	}
	return c.Code
}

// check tries code for email as customerActor, without a session.
func check(db *store.DB, email, code string) (store.Customer, error) {
	return db.CheckCode(context.Background(), store.CodeCheck{Email: email, Code: code}, customerActor)
}

// from is an actor at another client address.
func from(ip string) store.Actor { return store.Actor{Type: store.ActorVisitor, ClientIP: ip} }

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
		c, err := check(db, "new.person@example.com", code)
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
		c, err := check(db, "known@example.com", issueCode(t, db, "known@example.com"))
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
			if _, err := check(db, "a@example.com", wrong); !errors.Is(err, store.ErrCodeInvalid) {
				t.Fatalf("try %d: got %v, want ErrCodeInvalid", i+1, err)
			}
		}
		if n := countRows(t, db, "verification_tries"); n != 4 {
			t.Errorf("tries: got %d, want 4", n)
		}
		if _, err := check(db, "a@example.com", code); err != nil {
			t.Errorf("right code after 4 wrong tries: %v", err)
		}
	})

	t.Run("after five wrong tries the client is refused for ten minutes, its owner is not", func(t *testing.T) {
		db, clk := newTestDB(t)
		code := issueCode(t, db, "a@example.com")
		for range store.CodeMaxAttempts {
			check(db, "a@example.com", wrongCode(code))
		}
		if _, err := check(db, "a@example.com", code); !errors.Is(err, store.ErrRateLimited) {
			t.Errorf("the same client with the right code: got %v, want ErrRateLimited", err)
		}
		if n := countRows(t, db, "customers"); n != 0 {
			t.Errorf("customers: got %d, want 0", n)
		}
		clk.Advance(store.CodeTTL)
		code = issueCode(t, db, "a@example.com")
		if _, err := check(db, "a@example.com", code); err != nil {
			t.Errorf("the same client %v later: %v", store.CodeTTL, err)
		}
	})

	t.Run("a stranger's wrong tries leave the owner's code working", func(t *testing.T) {
		db, _ := newTestDB(t)
		code := issueCode(t, db, "a@example.com")
		// One session guessing from ever new addresses, then new sessions
		// from one address: each is refused after its own five tries.
		for i := range store.CodeMaxAttempts + 1 {
			db.CheckCode(t.Context(), store.CodeCheck{Email: "a@example.com", Code: wrongCode(code), Session: "stranger"}, from(fmt.Sprintf("198.51.100.%d", i)))
			db.CheckCode(t.Context(), store.CodeCheck{Email: "a@example.com", Code: wrongCode(code), Session: fmt.Sprint("s", i)}, from("192.0.2.99"))
		}
		_, err := db.CheckCode(t.Context(), store.CodeCheck{Email: "a@example.com", Code: code, Session: "stranger"}, from("198.51.100.200"))
		if !errors.Is(err, store.ErrRateLimited) {
			t.Errorf("the stranger's session from a new address: got %v, want ErrRateLimited", err)
		}
		_, err = db.CheckCode(t.Context(), store.CodeCheck{Email: "a@example.com", Code: code, Session: "s99"}, from("192.0.2.99"))
		if !errors.Is(err, store.ErrRateLimited) {
			t.Errorf("the stranger's address in a new session: got %v, want ErrRateLimited", err)
		}
		c, err := db.CheckCode(t.Context(), store.CodeCheck{Email: "a@example.com", Code: code, Session: "owner"}, from("203.0.113.50"))
		if err != nil || c.Email != "a@example.com" {
			t.Fatalf("the owner: got %+v, %v", c, err)
		}
	})

	t.Run("many clients together are limited per address", func(t *testing.T) {
		db, clk := newTestDB(t)
		code := issueCode(t, db, "a@example.com")
		for i := range store.CodeMaxTries {
			who := from(fmt.Sprintf("198.51.100.%d", i/store.CodeMaxAttempts))
			if _, err := db.CheckCode(t.Context(), store.CodeCheck{Email: "a@example.com", Code: wrongCode(code), Session: fmt.Sprint(i)}, who); !errors.Is(err, store.ErrCodeInvalid) {
				t.Fatalf("try %d: got %v, want ErrCodeInvalid", i+1, err)
			}
		}
		if _, err := check(db, "a@example.com", code); !errors.Is(err, store.ErrRateLimited) {
			t.Errorf("after %d tries: got %v, want ErrRateLimited", store.CodeMaxTries, err)
		}
		if _, err := check(db, "b@example.com", issueCode(t, db, "b@example.com")); err != nil {
			t.Errorf("another address: %v", err)
		}
		clk.Advance(store.CodeTTL)
		if _, err := check(db, "a@example.com", issueCode(t, db, "a@example.com")); err != nil {
			t.Errorf("%v later: %v", store.CodeTTL, err)
		}
	})

	t.Run("a code expires after ten minutes", func(t *testing.T) {
		db, clk := newTestDB(t)
		code := issueCode(t, db, "a@example.com")
		clk.Advance(store.CodeTTL - time.Second)
		if _, err := check(db, "a@example.com", wrongCode(code)); !errors.Is(err, store.ErrCodeInvalid) {
			t.Fatalf("wrong code: got %v", err)
		}
		clk.Advance(time.Second)
		if _, err := check(db, "a@example.com", code); !errors.Is(err, store.ErrCodeInvalid) {
			t.Errorf("after %v: got %v, want ErrCodeInvalid", store.CodeTTL, err)
		}

		db2, clk2 := newTestDB(t)
		code = issueCode(t, db2, "a@example.com")
		clk2.Advance(store.CodeTTL - time.Second)
		if _, err := check(db2, "a@example.com", code); err != nil {
			t.Errorf("one second before expiry: got %v, want success", err)
		}
	})

	t.Run("a used code cannot be used again", func(t *testing.T) {
		db, _ := newTestDB(t)
		code := issueCode(t, db, "a@example.com")
		if _, err := check(db, "a@example.com", code); err != nil {
			t.Fatal(err)
		}
		if _, err := check(db, "a@example.com", code); !errors.Is(err, store.ErrCodeInvalid) {
			t.Errorf("second use: got %v, want ErrCodeInvalid", err)
		}
	})

	t.Run("a code works only for its own address", func(t *testing.T) {
		db, _ := newTestDB(t)
		code := issueCode(t, db, "a@example.com")
		issueCode(t, db, "b@example.com")
		if _, err := check(db, "b@example.com", code); !errors.Is(err, store.ErrCodeInvalid) {
			t.Errorf("a's code for b: got %v, want ErrCodeInvalid", err)
		}
	})

	t.Run("a new code leaves the older one working", func(t *testing.T) {
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
		if _, err := check(db, "a@example.com", old); err != nil {
			t.Errorf("old code: %v", err)
		}
		if _, err := check(db, "a@example.com", code); err != nil {
			t.Errorf("new code: %v", err)
		}
	})

	t.Run("a fourth code within an hour is rate limited and revives the newest", func(t *testing.T) {
		db, clk := newTestDB(t)
		var codes []string
		var newest time.Time
		for range store.CodesPerHour {
			newest = clk.Now()
			codes = append(codes, issueCode(t, db, "a@example.com"))
			clk.Advance(10 * time.Minute)
		}
		got, err := db.IssueCode(ctx, store.CodeRequest{Email: "A@example.com"}, customerActor)
		if !errors.Is(err, store.ErrRateLimited) || got.Code != "" {
			t.Fatalf("4th code: got %+v, %v; want ErrRateLimited and no code", got, err)
		}
		if !got.Revived.Equal(newest) {
			t.Errorf("revived: got %v, want the newest code's time %v", got.Revived, newest)
		}
		if _, err := check(db, "a@example.com", codes[1]); !errors.Is(err, store.ErrCodeInvalid) {
			t.Errorf("an older expired code: got %v, want ErrCodeInvalid", err)
		}
		if _, err := check(db, "a@example.com", codes[2]); err != nil {
			t.Errorf("the revived code, expired before: %v", err)
		}
		issueCode(t, db, "b@example.com") // the limit is per address
		clk.Advance(31 * time.Minute)     // the first code is now more than an hour old
		issueCode(t, db, "a@example.com")
	})

	t.Run("with every code of the hour used, none is revived", func(t *testing.T) {
		db, _ := newTestDB(t)
		for range store.CodesPerHour {
			if _, err := check(db, "a@example.com", issueCode(t, db, "a@example.com")); err != nil {
				t.Fatal(err)
			}
		}
		got, err := db.IssueCode(ctx, store.CodeRequest{Email: "a@example.com"}, customerActor)
		if !errors.Is(err, store.ErrRateLimited) || !got.Revived.IsZero() {
			t.Fatalf("got %+v, %v; want ErrRateLimited and nothing revived", got, err)
		}
	})
}
