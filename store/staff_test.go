package store_test

import (
	"context"
	"errors"
	"testing"

	"safedesk/store"
)

// TestStaffConflicts checks that each duplicate a constraint refuses comes
// back as the store's own error, whatever SQLite's message says.
func TestStaffConflicts(t *testing.T) {
	db, _ := newTestDB(t)
	ctx := context.Background()
	enrol := func(link string, cred []byte) (store.Staff, error) {
		return db.EnrollStaff(ctx, "invite", link, store.Enrollment{Name: "Agent", Email: "agent@example.com", UserHandle: cred,
			Passkey: store.NewPasskey{CredentialID: cred, Name: "key", Credential: []byte("{}")}}, store.SystemActor)
	}
	first, err := db.CreateInvite(ctx, "agent@example.com", "agent", 0, store.SystemActor)
	if err != nil {
		t.Fatal(err)
	}
	second, err := db.CreateInvite(ctx, "agent@example.com", "agent", 0, store.SystemActor)
	if err != nil {
		t.Fatal(err)
	}
	st, err := enrol(first, []byte("credential-1"))
	if err != nil {
		t.Fatal(err)
	}

	t.Run("a second enrolment with the same address", func(t *testing.T) {
		if _, err := enrol(second, []byte("credential-2")); !errors.Is(err, store.ErrStaffExists) {
			t.Errorf("got %v, want ErrStaffExists", err)
		}
	})
	t.Run("an invite for a staff member's address", func(t *testing.T) {
		_, err := db.CreateInvite(ctx, "Agent@Example.com", "agent", 0, store.SystemActor)
		var verr *store.ValidationError
		if !errors.As(err, &verr) || verr.Fields["email"] == "" {
			t.Errorf("got %v, want a validation error on email", err)
		}
	})
	t.Run("a passkey registered twice", func(t *testing.T) {
		err := db.AddPasskey(ctx, st.ID, store.NewPasskey{CredentialID: []byte("credential-1"), Name: "again", Credential: []byte("{}")}, store.SystemActor)
		if !errors.Is(err, store.ErrConflict) {
			t.Errorf("got %v, want ErrConflict", err)
		}
	})
}
