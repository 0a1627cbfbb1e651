package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// EraseCustomer erases a customer by crypto-shredding, in one transaction:
// their data key is destroyed, so nothing ever sealed for them opens again,
// not even from a copy of the database taken before; their rows (customer,
// tickets, messages, pending codes) are deleted; a tombstone with a random
// id remains; and the audit entry names only the customer's id and the
// tombstone, never their address. It returns the tombstone id.
//
// The erasure is written to the erasure journal beside the database
// (ErasureJournalName), synced, before it commits, so that a restore of an
// older backup cannot bring the customer back (ReplayErasures). Without a
// journal entry nothing is erased. If the erasure then fails to commit, the
// journal says so; after a crash it does not, and the next replay completes
// the erasure that was asked for.
func (db *DB) EraseCustomer(ctx context.Context, id int64, a Actor) (string, error) {
	var journalled bool
	var e JournalEntry
	res, err := db.eraseTx(ctx, id, a, func(c erasable) (int64, map[string]any, error) {
		e = JournalEntry{CustomerID: id, Created: c.created, Erased: db.now().UTC()}
		size, err := db.appendJournal(e.line(journalErased))
		if err != nil {
			return 0, nil, err
		}
		journalled = true
		return size, map[string]any{}, nil
	})
	if err != nil && journalled {
		_, jerr := db.appendJournal(e.line(journalFailed))
		err = errors.Join(err, jerr)
	}
	return res, err
}

// erasable is the customer row an erasure removes.
type erasable struct {
	keyID      int64
	emailIndex []byte
	created    time.Time
	tickets    int64
}

// eraseTx erases customer id in one transaction. prepare runs once the
// customer is found, before anything is deleted; it returns the erasure
// journal's offset to record with the erasure (-1: leave it) and details
// for the audit entry. A missing customer is ErrNotFound.
func (db *DB) eraseTx(ctx context.Context, id int64, a Actor, prepare func(erasable) (int64, map[string]any, error)) (string, error) {
	tombstone := "tomb_" + rand.Text()
	var c erasable
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var created int64
		err := tx.QueryRowContext(ctx, "SELECT key_id, email_index, created_at FROM customers WHERE id = ?", id).Scan(&c.keyID, &c.emailIndex, &created)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("store: erase: %w", err)
		}
		c.created = fromNanos(created)
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM tickets WHERE customer_id = ?", id).Scan(&c.tickets); err != nil {
			return fmt.Errorf("store: erase: %w", err)
		}
		offset, details, err := prepare(c)
		if err != nil {
			return err
		}
		steps := []struct {
			query string
			arg   any
		}{
			{"DELETE FROM verification_codes WHERE email_index = ?", c.emailIndex},
			{"DELETE FROM verification_tries WHERE email_index = ?", c.emailIndex},
			// Tickets and messages go with the customer (ON DELETE CASCADE).
			{"DELETE FROM customers WHERE id = ?", id},
			{"DELETE FROM keys WHERE id = ? AND purpose = '" + keyCustomer + "'", c.keyID},
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
		if offset >= 0 {
			if err := setJournalOffset(ctx, tx, offset, db.now()); err != nil {
				return err
			}
		}
		details["tombstone"], details["tickets"] = tombstone, c.tickets
		return db.appendAudit(ctx, tx, a, "customer.erased", customerTarget(id), details)
	})
	if err != nil {
		return "", err
	}
	db.forget(c.keyID)
	// secure_delete zeroes the freed pages in the database file; moving the
	// WAL into it now keeps the old pages from lingering there. Readers may
	// hold it back, which only delays it to the next checkpoint.
	db.write.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)")
	return tombstone, nil
}
