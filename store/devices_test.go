package store_test

import (
	"errors"
	"testing"
	"time"

	"safedesk/store"
)

func TestCustomerDevices(t *testing.T) {
	db, clk := newTestDB(t)
	ctx := t.Context()
	tk := createTicket(t, db, "devices@example.org", "Devices")
	token, d, err := db.AddCustomerDevice(ctx, tk.CustomerID, "Firefox on Linux", customerActor)
	if err != nil {
		t.Fatal(err)
	}
	got, err := db.DeviceCustomer(ctx, token)
	if err != nil || got.ID != d.ID || got.CustomerID != tk.CustomerID {
		t.Fatalf("device: %+v %v", got, err)
	}
	if _, err := db.DeviceCustomer(ctx, token+"x"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("another token: %v", err)
	}
	session := customerSession(t, db, "203.0.113.7")
	if err := db.BindDeviceSession(ctx, session, got); err != nil {
		t.Fatal(err)
	}

	t.Run("revoked: the cookie and the sessions it opened end", func(t *testing.T) {
		if _, err := db.RevokeCustomerDevices(ctx, tk.CustomerID, d.ID, customerActor); err != nil {
			t.Fatal(err)
		}
		if _, err := db.DeviceCustomer(ctx, token); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("revoked device still signs in: %v", err)
		}
		if _, found, _ := db.Sessions().Find(session); found {
			t.Error("the session the device opened lives on")
		}
		if _, err := db.RevokeCustomerDevices(ctx, tk.CustomerID, d.ID, customerActor); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("revoked twice: %v", err)
		}
	})
	t.Run("expired after 30 days", func(t *testing.T) {
		token, _, err := db.AddCustomerDevice(ctx, tk.CustomerID, "Phone", customerActor)
		if err != nil {
			t.Fatal(err)
		}
		clk.Advance(store.DeviceLifetime + time.Minute)
		if _, err := db.DeviceCustomer(ctx, token); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("expired device: %v", err)
		}
		if list, _ := db.ListCustomerDevices(ctx, tk.CustomerID); len(list) != 0 {
			t.Errorf("expired device listed: %+v", list)
		}
	})
	t.Run("erasure ends every device", func(t *testing.T) {
		token, _, err := db.AddCustomerDevice(ctx, tk.CustomerID, "Laptop", customerActor)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.EraseCustomer(ctx, tk.CustomerID, staffActor); err != nil {
			t.Fatal(err)
		}
		if _, err := db.DeviceCustomer(ctx, token); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("device of an erased customer: %v", err)
		}
	})
}
