package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Retention says how long each kind of data is kept. A zero period keeps
// that kind until it is erased by hand. Sessions, sign-in codes and passkey
// ceremonies always go as soon as they are of no more use. Chat transcripts
// have their own period, applied by the chat's sweep (PurgeChats).
type Retention struct {
	// ResolvedTickets: solved or closed tickets, counted from their last
	// change (a customer's reply reopens a ticket and so restarts it).
	// Customers with nothing left follow the same period: no ticket and no
	// conversation, verified (or created) longer ago than the period.
	ResolvedTickets time.Duration
	// SecurityEvents: security events and ended staff sessions (both hold
	// network addresses), and expired staff invites.
	SecurityEvents time.Duration
}

// RetentionReport counts what one ApplyRetention call deleted. More is set
// when a category reached its limit for one call: call again.
type RetentionReport struct {
	Tickets        int64 `json:"tickets"`
	Customers      int64 `json:"customers"`
	SecurityEvents int64 `json:"security_events"`
	StaffSessions  int64 `json:"staff_sessions"`
	Sessions       int64 `json:"sessions"`
	Codes          int64 `json:"codes"`
	Ceremonies     int64 `json:"ceremonies"`
	Invites        int64 `json:"invites"`
	More           bool  `json:"-"`
}

// Total is the number of rows deleted.
func (r RetentionReport) Total() int64 {
	return r.Tickets + r.Customers + r.SecurityEvents +
		r.StaffSessions + r.Sessions + r.Codes + r.Ceremonies + r.Invites
}

// retentionBatch bounds the rows of one category deleted in one call, so
// that a first run over years of data never holds the writer for long.
const retentionBatch = 5000

// codeKeep is how long a used or expired sign-in code stays: the hourly
// limit on codes per address counts them.
const codeKeep = time.Hour

// ApplyRetention deletes what the periods say is due, as of the store's
// clock, and records the counts and periods in one retention.applied audit
// entry, all in one transaction. Deleted pages are overwritten
// (secure_delete); a customer's deletion destroys their data key, exactly
// like an erasure but without a tombstone. When report.More is set, some
// category had more due than one call deletes: call again.
func (db *DB) ApplyRetention(ctx context.Context, p Retention, a Actor) (RetentionReport, error) {
	now := db.now()
	var rep RetentionReport
	var shredded []int64
	err := db.tx(ctx, func(tx *sql.Tx) error {
		rep = RetentionReport{}
		if d := p.ResolvedTickets; d > 0 {
			cut := now.Add(-d)
			// Messages go with their tickets (ON DELETE CASCADE).
			if err := deleteDue(ctx, tx, &rep, retentionStep{&rep.Tickets, `DELETE FROM tickets WHERE id IN (SELECT id FROM tickets
				WHERE status IN ('solved', 'closed') AND updated_at < ? LIMIT ?)`, cut}); err != nil {
				return err
			}
			var err error
			if shredded, err = db.deleteIdleCustomers(ctx, tx, nanos(cut)); err != nil {
				return err
			}
			rep.Customers = int64(len(shredded))
			rep.More = rep.More || len(shredded) == retentionBatch
		}
		var steps []retentionStep
		if d := p.SecurityEvents; d > 0 {
			cut := now.Add(-d)
			steps = append(steps,
				retentionStep{&rep.SecurityEvents, "DELETE FROM security_events WHERE id IN (SELECT id FROM security_events WHERE at < ? LIMIT ?)", cut},
				retentionStep{&rep.StaffSessions, `DELETE FROM staff_sessions WHERE token_hash IN (SELECT token_hash FROM staff_sessions
					WHERE last_seen_at < ?1 AND (revoked_at IS NOT NULL OR NOT EXISTS
					(SELECT 1 FROM sessions s WHERE s.token_hash = staff_sessions.token_hash)) LIMIT ?2)`, cut},
				retentionStep{&rep.Invites, "DELETE FROM staff_invites WHERE id IN (SELECT id FROM staff_invites WHERE expires_at < ? LIMIT ?)", cut})
		}
		steps = append(steps,
			retentionStep{&rep.Sessions, "DELETE FROM sessions WHERE token_hash IN (SELECT token_hash FROM sessions WHERE expiry <= ? LIMIT ?)", now},
			retentionStep{&rep.Codes, "DELETE FROM verification_codes WHERE id IN (SELECT id FROM verification_codes WHERE created_at < ? LIMIT ?)", now.Add(-codeKeep)},
			retentionStep{&rep.Ceremonies, "DELETE FROM webauthn_ceremonies WHERE id IN (SELECT id FROM webauthn_ceremonies WHERE expires_at < ? LIMIT ?)", now})
		if err := deleteDue(ctx, tx, &rep, steps...); err != nil {
			return err
		}
		return db.appendAudit(ctx, tx, a, "retention.applied", "retention", map[string]any{
			"deleted": rep,
			"periods": map[string]string{
				"resolved_tickets": periodText(p.ResolvedTickets),
				"security_events":  periodText(p.SecurityEvents),
			},
		})
	})
	if err != nil {
		return RetentionReport{}, err
	}
	for _, id := range shredded {
		db.forget(id)
	}
	return rep, nil
}

// retentionStep deletes one kind of row: query deletes at most ?2 rows due
// before ?1 (cut), and n counts them.
type retentionStep struct {
	n     *int64
	query string
	cut   time.Time
}

// deleteDue runs steps in order inside tx, setting rep.More when a step
// reached the batch limit.
func deleteDue(ctx context.Context, tx *sql.Tx, rep *RetentionReport, steps ...retentionStep) error {
	for _, st := range steps {
		var err error
		if *st.n, err = changed(tx.ExecContext(ctx, st.query, nanos(st.cut), retentionBatch)); err != nil {
			return fmt.Errorf("store: retention: %w", err)
		}
		rep.More = rep.More || *st.n == retentionBatch
	}
	return nil
}

// deleteIdleCustomers deletes, inside tx, customers who have no ticket and
// no conversation left and who last proved their address (or were created)
// before cut, with their pending codes and their data keys. It returns the
// ids of the destroyed keys, to drop from the cache after commit.
func (db *DB) deleteIdleCustomers(ctx context.Context, tx *sql.Tx, cut int64) ([]int64, error) {
	rows, err := tx.QueryContext(ctx, `SELECT c.id, c.key_id, c.email_index FROM customers c
		WHERE COALESCE(c.verified_at, c.created_at) < ?
		AND NOT EXISTS (SELECT 1 FROM tickets t WHERE t.customer_id = c.id)
		AND NOT EXISTS (SELECT 1 FROM chat_conversations v WHERE v.customer_id = c.id)
		LIMIT ?`, cut, retentionBatch)
	if err != nil {
		return nil, fmt.Errorf("store: retention: %w", err)
	}
	type idle struct {
		id, keyID int64
		index     []byte
	}
	var due []idle
	for rows.Next() {
		var c idle
		if err := rows.Scan(&c.id, &c.keyID, &c.index); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: retention: %w", err)
		}
		due = append(due, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: retention: %w", err)
	}
	keys := make([]int64, 0, len(due))
	for _, c := range due {
		for _, st := range []struct {
			query string
			arg   any
		}{
			{"DELETE FROM verification_codes WHERE email_index = ?", c.index},
			{"DELETE FROM verification_tries WHERE email_index = ?", c.index},
			{"DELETE FROM customers WHERE id = ?", c.id}, // sessions go too (customer_sessions)
			{"DELETE FROM keys WHERE id = ? AND purpose = '" + keyCustomer + "'", c.keyID},
		} {
			if _, err := tx.ExecContext(ctx, st.query, st.arg); err != nil {
				return nil, fmt.Errorf("store: retention: %w", err)
			}
		}
		keys = append(keys, c.keyID)
	}
	return keys, nil
}

// periodText writes a retention period for the audit log and for people:
// whole days as "30d", anything else as a Go duration, zero as "kept".
func periodText(d time.Duration) string {
	switch {
	case d <= 0:
		return "kept"
	case d%(24*time.Hour) == 0:
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	}
	return d.String()
}
