package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Customer devices: a customer who ticks "keep me signed in on this
// device" when verifying gets a long-lived device cookie. Its token is
// random; only its SHA-256 is stored. The device opens a fresh customer
// session when the last one has ended, until it expires (DeviceLifetime
// after it was added), is revoked by the customer or by staff, or the
// customer is erased; the sessions it opened end with it.

// DeviceLifetime is how long a remembered device signs its customer in.
const DeviceLifetime = 30 * 24 * time.Hour

// CustomerDevice is a device a customer stays signed in on.
type CustomerDevice struct {
	ID         int64
	CustomerID int64
	Device     string // such as "Firefox on Linux", from the browser's User-Agent
	CreatedAt  time.Time
	LastUsedAt time.Time
	ExpiresAt  time.Time
}

func deviceHash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

// AddCustomerDevice remembers a device of customerID and returns the token
// for its cookie (shown once, stored hashed), with an audit entry.
func (db *DB) AddCustomerDevice(ctx context.Context, customerID int64, device string, a Actor) (string, CustomerDevice, error) {
	token := rand.Text()
	now := db.now()
	d := CustomerDevice{CustomerID: customerID, Device: clipDevice(device), CreatedAt: now, LastUsedAt: now, ExpiresAt: now.Add(DeviceLifetime)}
	err := db.tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO customer_devices (customer_id, token_hash, device, created_at, last_used_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?) RETURNING id`, customerID, deviceHash(token), d.Device, nanos(now), nanos(now), nanos(d.ExpiresAt)).Scan(&d.ID)
		if violates(err, foreignKeyViolation) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("store: add device: %w", err)
		}
		return db.appendAudit(ctx, tx, a, "customer.device_added", customerTarget(customerID), map[string]any{"device": d.ID})
	})
	if err != nil {
		return "", CustomerDevice{}, err
	}
	return token, d, nil
}

// clipDevice keeps a device label short.
func clipDevice(s string) string {
	if r := []rune(s); len(r) > 60 {
		return string(r[:60])
	}
	return s
}

// DeviceCustomer returns the device that token remembers and notes its
// use; an unknown, revoked or expired token is ErrNotFound.
func (db *DB) DeviceCustomer(ctx context.Context, token string) (CustomerDevice, error) {
	now := nanos(db.now())
	var d CustomerDevice
	var created, used, expires int64
	err := db.write.QueryRowContext(ctx, `UPDATE customer_devices SET last_used_at = ?1 WHERE token_hash = ?2 AND expires_at > ?1
		RETURNING id, customer_id, device, created_at, last_used_at, expires_at`, now, deviceHash(token)).
		Scan(&d.ID, &d.CustomerID, &d.Device, &created, &used, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return CustomerDevice{}, ErrNotFound
	}
	if err != nil {
		return CustomerDevice{}, fmt.Errorf("store: device: %w", err)
	}
	d.CreatedAt, d.LastUsedAt, d.ExpiresAt = fromNanos(created), fromNanos(used), fromNanos(expires)
	return d, nil
}

// BindDeviceSession is BindCustomerSession for a session that device d
// opened or that was signed in with it: revoking d ends the session too.
func (db *DB) BindDeviceSession(ctx context.Context, token string, d CustomerDevice) error {
	h := sha256.Sum256([]byte(token))
	_, err := db.write.ExecContext(ctx, `INSERT INTO customer_sessions (token_hash, customer_id, created_at, device_id) VALUES (?, ?, ?, ?)
		ON CONFLICT (token_hash) DO UPDATE SET customer_id = excluded.customer_id, device_id = excluded.device_id`,
		h[:], d.CustomerID, nanos(db.now()), d.ID)
	if err != nil {
		return fmt.Errorf("store: bind session: %w", err)
	}
	return nil
}

// ListCustomerDevices returns the live devices of a customer, newest
// first.
func (db *DB) ListCustomerDevices(ctx context.Context, customerID int64) ([]CustomerDevice, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT id, device, created_at, last_used_at, expires_at FROM customer_devices
		WHERE customer_id = ? AND expires_at > ? ORDER BY id DESC`, customerID, nanos(db.now()))
	if err != nil {
		return nil, fmt.Errorf("store: list devices: %w", err)
	}
	defer rows.Close()
	var out []CustomerDevice
	for rows.Next() {
		d := CustomerDevice{CustomerID: customerID}
		var created, used, expires int64
		if err := rows.Scan(&d.ID, &d.Device, &created, &used, &expires); err != nil {
			return nil, fmt.Errorf("store: list devices: %w", err)
		}
		d.CreatedAt, d.LastUsedAt, d.ExpiresAt = fromNanos(created), fromNanos(used), fromNanos(expires)
		out = append(out, d)
	}
	return out, rows.Err()
}

// RevokeCustomerDevices forgets devices of customerID (the one with
// deviceID, or all of them when deviceID is 0), ending the sessions they
// opened, with an audit entry. It returns how many went; none is
// ErrNotFound when a device was named.
func (db *DB) RevokeCustomerDevices(ctx context.Context, customerID, deviceID int64, a Actor) (int64, error) {
	var n int64
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var err error
		n, err = changed(tx.ExecContext(ctx, "DELETE FROM customer_devices WHERE customer_id = ? AND (? = 0 OR id = ?)", customerID, deviceID, deviceID))
		if err != nil {
			return fmt.Errorf("store: revoke devices: %w", err)
		}
		if n == 0 && deviceID != 0 {
			return ErrNotFound
		}
		if n == 0 {
			return nil
		}
		return db.appendAudit(ctx, tx, a, "customer.devices_revoked", customerTarget(customerID), map[string]any{"count": n})
	})
	return n, err
}
