package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"safedesk/security"
)

// Each staff member's choices of notifications, their availability for
// chats, and what became of the last mail to them.

// How a person hears of an event.
const (
	DeliverOff    = "off"
	DeliverNow    = "now"    // by mail within a minute, grouped with others
	DeliverDigest = "digest" // in the daily digest
)

// StaffPrefs are a staff member's notification choices and presence.
type StaffPrefs struct {
	StaffID int64
	// Deliver is how they hear of each event of NotifyEvents.
	Deliver map[string]string
	// Available is set while they take chats.
	Available bool
	// MailFailedAt and MailFailure are the last mail to them that the
	// relay refused for good, and why (an SMTP status); zero when the
	// last one went out.
	MailFailedAt time.Time
	MailFailure  string
}

// DefaultPrefs are the choices of someone who made none: new tickets and
// their own tickets at once, the rest off, not available for chats.
func DefaultPrefs(staffID int64) StaffPrefs {
	return StaffPrefs{StaffID: staffID, Deliver: map[string]string{
		NotifyNewTicket: DeliverNow, NotifyCustomerReply: DeliverNow, NotifyAssigned: DeliverNow,
		NotifyChatWaiting: DeliverOff, NotifyDueSoon: DeliverOff,
	}}
}

const prefsSelect = `SELECT staff_id, new_ticket, customer_reply, assigned, chat_waiting, due_soon, available, mail_failed_at, mail_failure
	FROM staff_prefs`

func scanPrefs(row rowScanner) (StaffPrefs, error) {
	p := StaffPrefs{Deliver: map[string]string{}}
	var modes [5]string
	var failed sql.NullInt64
	if err := row.Scan(&p.StaffID, &modes[0], &modes[1], &modes[2], &modes[3], &modes[4], &p.Available, &failed, &p.MailFailure); err != nil {
		return StaffPrefs{}, err
	}
	for i, e := range NotifyEvents {
		p.Deliver[e] = modes[i]
	}
	p.MailFailedAt = fromNullNanos(failed)
	return p, nil
}

// GetStaffPrefs returns a staff member's choices, the defaults when they
// made none.
func (db *DB) GetStaffPrefs(ctx context.Context, staffID int64) (StaffPrefs, error) {
	p, err := scanPrefs(db.read.QueryRowContext(ctx, prefsSelect+" WHERE staff_id = ?", staffID))
	if errors.Is(err, sql.ErrNoRows) {
		return DefaultPrefs(staffID), nil
	}
	if err != nil {
		return StaffPrefs{}, fmt.Errorf("store: staff prefs: %w", err)
	}
	return p, nil
}

// ListStaffPrefs returns everyone's choices by staff id, with the defaults
// of ids for those who made none.
func (db *DB) ListStaffPrefs(ctx context.Context, ids []int64) (map[int64]StaffPrefs, error) {
	return staffPrefs(ctx, db.read, ids)
}

func staffPrefs(ctx context.Context, q querier, ids []int64) (map[int64]StaffPrefs, error) {
	rows, err := q.QueryContext(ctx, prefsSelect)
	if err != nil {
		return nil, fmt.Errorf("store: staff prefs: %w", err)
	}
	defer rows.Close()
	out := map[int64]StaffPrefs{}
	for rows.Next() {
		p, err := scanPrefs(rows)
		if err != nil {
			return nil, fmt.Errorf("store: staff prefs: %w", err)
		}
		out[p.StaffID] = p
	}
	for _, id := range ids {
		if _, ok := out[id]; !ok {
			out[id] = DefaultPrefs(id)
		}
	}
	return out, rows.Err()
}

// ensurePrefs makes sure staffID has a row of choices inside tx.
func ensurePrefs(ctx context.Context, tx *sql.Tx, staffID int64) error {
	if _, err := tx.ExecContext(ctx, "INSERT OR IGNORE INTO staff_prefs (staff_id) VALUES (?)", staffID); err != nil {
		return fmt.Errorf("store: staff prefs: %w", err)
	}
	return nil
}

// SetNotifyPrefs saves how staffID hears of each event (an event left out
// keeps its choice), audited.
func (db *DB) SetNotifyPrefs(ctx context.Context, staffID int64, deliver map[string]string, a Actor) error {
	var v ValidationError
	for e, mode := range deliver {
		if !slices.Contains(NotifyEvents, e) || !slices.Contains([]string{DeliverOff, DeliverNow, DeliverDigest}, mode) {
			v.add(e, "Choose off, at once or in the daily digest.")
		}
	}
	if err := v.err(); err != nil {
		return err
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		if err := ensurePrefs(ctx, tx, staffID); err != nil {
			return err
		}
		for _, e := range NotifyEvents { // column names from the fixed list only
			if mode, ok := deliver[e]; ok {
				if _, err := tx.ExecContext(ctx, "UPDATE staff_prefs SET "+e+" = ? WHERE staff_id = ?", mode, staffID); err != nil {
					return fmt.Errorf("store: staff prefs: %w", err)
				}
			}
		}
		return db.appendAudit(ctx, tx, a, "staff.notifications_changed", StaffTarget(staffID), nil)
	})
}

// SetAvailable marks whether staffID takes chats now. It is presence, not
// a change of rights: it is not audited.
func (db *DB) SetAvailable(ctx context.Context, staffID int64, available bool) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		if err := ensurePrefs(ctx, tx, staffID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE staff_prefs SET available = ? WHERE staff_id = ?", available, staffID); err != nil {
			return fmt.Errorf("store: availability: %w", err)
		}
		return nil
	})
}

// AvailableStaff returns the active staff members marked available who
// used the panel since (a session of theirs, not revoked, seen then or
// later), with their roles.
func (db *DB) AvailableStaff(ctx context.Context, since time.Time) (map[int64]security.Role, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT s.id, s.role FROM staff s JOIN staff_prefs p ON p.staff_id = s.id
		WHERE p.available = 1 AND s.disabled_at IS NULL AND EXISTS (SELECT 1 FROM staff_sessions ss
			WHERE ss.staff_id = s.id AND ss.revoked_at IS NULL AND ss.last_seen_at >= ?)`, nanos(since))
	if err != nil {
		return nil, fmt.Errorf("store: available staff: %w", err)
	}
	defer rows.Close()
	out := map[int64]security.Role{}
	for rows.Next() {
		var id int64
		var role string
		if err := rows.Scan(&id, &role); err != nil {
			return nil, fmt.Errorf("store: available staff: %w", err)
		}
		out[id] = security.Role(role)
	}
	return out, rows.Err()
}

// RecordMailFailure notes that the relay refused a mail to staffID for good
// (reason: its SMTP status, never the address), or, with reason "", that a
// mail went out.
func (db *DB) RecordMailFailure(ctx context.Context, staffID int64, reason string) error {
	var at any
	if reason != "" {
		at = nanos(db.now())
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		if err := ensurePrefs(ctx, tx, staffID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE staff_prefs SET mail_failed_at = ?, mail_failure = ? WHERE staff_id = ?", at, reason, staffID); err != nil {
			return fmt.Errorf("store: mail failure: %w", err)
		}
		return nil
	})
}
