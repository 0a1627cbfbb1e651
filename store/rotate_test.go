package store_test

import (
	"errors"
	"path/filepath"
	"testing"

	"safedesk/security"
	"safedesk/store"
)

func TestRotateMasterKey(t *testing.T) {
	ctx := t.Context()
	clk := newFakeClock()
	path := filepath.Join(t.TempDir(), "safedesk.db")
	oldKey, newKey := security.NewDataKey(), security.NewDataKey()
	db, err := openDB(t, path, oldKey, clk, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	tk := createTicket(t, db, "ada@example.com", "Order 1234 is late")
	createTicket(t, db, "grace@example.com", "Refund please")
	before, err := db.CheckKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	next, _ := security.NewKeyring(newKey)

	n, err := db.RotateMasterKey(ctx, next, store.SystemActor)
	if err != nil {
		t.Fatalf("RotateMasterKey: %v", err)
	}
	if n != before {
		t.Errorf("re-wrapped %d keys, want all %d", n, before)
	}

	t.Run("new keys made afterwards are wrapped by the new key", func(t *testing.T) {
		createTicket(t, db, "linus@example.com", "After the rotation")
	})
	db.Close()

	t.Run("the old key no longer opens the database", func(t *testing.T) {
		_, err := openDB(t, path, oldKey, clk, store.Options{})
		if !errors.Is(err, security.ErrWrongMasterKey) {
			t.Fatalf("open with the old key: %v, want ErrWrongMasterKey", err)
		}
	})

	t.Run("the new key reads every field", func(t *testing.T) {
		db, err := openDB(t, path, newKey, clk, store.Options{})
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if got, err := db.CheckKeys(ctx); err != nil || got != before+1 {
			t.Errorf("CheckKeys = %d, %v; want %d keys, nil", got, err, before+1)
		}
		got, err := db.GetTicket(ctx, tk.ID)
		if err != nil || got.Subject != "Order 1234 is late" {
			t.Errorf("GetTicket = %q, %v", got.Subject, err)
		}
		c, err := db.GetCustomerByEmail(ctx, "ada@example.com") // the blind index survived
		if err != nil || c.ID != tk.CustomerID {
			t.Errorf("GetCustomerByEmail = %d, %v; want customer %d", c.ID, err, tk.CustomerID)
		}
		if _, err := db.VerifyAudit(ctx); err != nil {
			t.Errorf("VerifyAudit: %v", err)
		}
		entries, err := db.ListAudit(ctx, store.AuditFilter{Action: "keys.rotated"})
		if err != nil || len(entries) != 1 {
			t.Fatalf("keys.rotated audit entries: %d, %v; want 1", len(entries), err)
		}
		if entries[0].Details["keys"] != float64(before) {
			t.Errorf("audit details %v, want keys=%d", entries[0].Details, before)
		}
	})

	t.Run("MasterKeyInUse picks the key that opens the keys", func(t *testing.T) {
		oldRing, _ := security.NewKeyring(oldKey)
		other, _ := security.NewKeyring(security.NewDataKey())
		if i, err := store.MasterKeyInUse(ctx, path, oldRing, next); err != nil || i != 1 {
			t.Errorf("MasterKeyInUse(old, new) = %d, %v; want 1", i, err)
		}
		if _, err := store.MasterKeyInUse(ctx, path, oldRing, other); !errors.Is(err, store.ErrNoMasterKeyOpens) {
			t.Errorf("MasterKeyInUse(old, other) = %v, want ErrNoMasterKeyOpens", err)
		}
		if _, err := store.MasterKeyInUse(ctx, filepath.Join(t.TempDir(), "missing.db"), oldRing); err == nil {
			t.Error("MasterKeyInUse on a missing file: no error")
		}
	})
}

func TestRotateMasterKeySameKey(t *testing.T) {
	db, _ := newTestDB(t)
	key := security.NewDataKey()
	ring, _ := security.NewKeyring(key)
	if _, err := db.RotateMasterKey(t.Context(), ring, store.SystemActor); err != nil {
		t.Fatalf("rotate to a fresh key: %v", err)
	}
	if _, err := db.RotateMasterKey(t.Context(), ring, store.SystemActor); err == nil {
		t.Error("rotating to the key in use: no error")
	}
}
