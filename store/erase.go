package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
)

// EraseCustomer erases a customer by crypto-shredding, in one transaction:
// their data key is destroyed, so nothing ever sealed for them opens again,
// not even from a copy of the database taken before; their rows (customer,
// tickets, messages, pending codes) are deleted; a tombstone with a random
// id remains; and the audit entry names only the customer's id and the
// tombstone, never their address. It returns the tombstone id.
func (db *DB) EraseCustomer(ctx context.Context, id int64, a Actor) (string, error) {
	tombstone := "tomb_" + rand.Text()
	var keyID int64
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var emailIndex []byte
		err := tx.QueryRowContext(ctx, "SELECT key_id, email_index FROM customers WHERE id = ?", id).Scan(&keyID, &emailIndex)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("store: erase: %w", err)
		}
		var tickets int64
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM tickets WHERE customer_id = ?", id).Scan(&tickets); err != nil {
			return fmt.Errorf("store: erase: %w", err)
		}
		steps := []struct {
			query string
			arg   any
		}{
			{"DELETE FROM verification_codes WHERE email_index = ?", emailIndex},
			{"DELETE FROM verification_tries WHERE email_index = ?", emailIndex},
			// Tickets and messages go with the customer (ON DELETE CASCADE).
			{"DELETE FROM customers WHERE id = ?", id},
			{"DELETE FROM keys WHERE id = ? AND purpose = '" + keyCustomer + "'", keyID},
		}
		for _, st := range steps {
			if _, err := tx.ExecContext(ctx, st.query, st.arg); err != nil {
				return fmt.Errorf("store: erase: %w", err)
			}
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO customer_tombstones (tombstone_id, erased_at) VALUES (?, ?)",
			tombstone, nanos(db.now())); err != nil {
			return fmt.Errorf("store: erase: %w", err)
		}
		return db.appendAudit(ctx, tx, a, "customer.erased", customerTarget(id),
			map[string]any{"tombstone": tombstone, "tickets": tickets})
	})
	if err != nil {
		return "", err
	}
	db.forget(keyID)
	// secure_delete zeroes the freed pages in the database file; moving the
	// WAL into it now keeps the old pages from lingering there. Readers may
	// hold it back, which only delays it to the next checkpoint.
	db.write.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)")
	return tombstone, nil
}

// CustomerExport is everything held about one customer that they may see:
// their profile and their tickets with the conversation, internal notes
// excluded.
type CustomerExport struct {
	Customer Customer
	Tickets  []TicketExport
}

// TicketExport is one ticket with its messages.
type TicketExport struct {
	Ticket   Ticket
	Messages []Message
}

// ExportCustomer gathers a customer's data for an access request. The
// caller records the export in the audit log.
func (db *DB) ExportCustomer(ctx context.Context, id int64) (CustomerExport, error) {
	c, err := db.GetCustomer(ctx, id)
	if err != nil {
		return CustomerExport{}, err
	}
	out := CustomerExport{Customer: c}
	f := TicketFilter{CustomerID: id, Confirmed: true, Limit: 200} // not what others filed under the address
	for {
		ts, err := db.ListTickets(ctx, f)
		if err != nil {
			return CustomerExport{}, err
		}
		for _, t := range ts {
			msgs, err := db.ListMessages(ctx, t.ID, false)
			if err != nil {
				return CustomerExport{}, err
			}
			out.Tickets = append(out.Tickets, TicketExport{Ticket: t, Messages: msgs})
		}
		if len(ts) < f.Limit {
			return out, nil
		}
		f.Before = ts[len(ts)-1].ID
	}
}
