package store

import (
	"context"
	"errors"
	"fmt"

	"safedesk/security"
)

// IsLookalikeSender reports whether addr is no customer's address yet but
// reads like one (security.LookalikeKey: examp1e.com for example.com, a
// dropped dot, another top-level domain): a forger's domain can pass DMARC
// for itself. Only an address that is no customer's yet is compared, on
// its first mail, which is marked for staff (InboundEmail.Lookalike). It
// opens every customer's address, on the reader pool, outside any write.
func (db *DB) IsLookalikeSender(ctx context.Context, addr string) (bool, error) {
	canonical, err := security.CanonicalEmail(addr)
	if err != nil {
		return false, nil // refused anyway
	}
	if _, err := db.GetCustomerByEmail(ctx, canonical); !errors.Is(err, ErrNotFound) {
		return false, err // a customer already, or an error
	}
	key := security.LookalikeKey(canonical)
	rows, err := db.read.QueryContext(ctx, "SELECT id, key_id, email FROM customers ORDER BY id")
	if err != nil {
		return false, fmt.Errorf("store: look-alike sender: %w", err)
	}
	type row struct {
		id, keyID int64
		email     []byte
	}
	var all []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.keyID, &r.email); err != nil {
			rows.Close()
			return false, fmt.Errorf("store: look-alike sender: %w", err)
		}
		all = append(all, r)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return false, fmt.Errorf("store: look-alike sender: %w", err)
	}
	for _, r := range all {
		k, err := db.dataKey(ctx, db.read, r.keyID)
		if err != nil {
			return false, err
		}
		email, err := k.OpenString(r.email, customerLoc(r.id, "email"))
		if err != nil {
			return false, err
		}
		if email != canonical && security.LookalikeKey(email) == key {
			return true, nil
		}
	}
	return false, nil
}
