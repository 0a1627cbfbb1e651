package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// The mailbox: where reading stands, how the last round went, and the
// messages that became no ticket (bounces, messages too large or
// unreadable).

// Mailbox is the state of the support mailbox.
type Mailbox struct {
	Name         string
	UIDValidity  uint32
	LastUID      uint32 // the highest UID done
	PolledAt     time.Time
	OKAt         time.Time // the last round that worked
	FailingSince time.Time // zero while it works
	Error        string    // the last round's error, safe to show
	Alerted      bool      // the failure was alerted
	Idle         bool      // the server offers IDLE and it is in use
	Imported     int64     // messages done since the mailbox was first read
	FirstReadAt  time.Time // when safedesk first read it
}

// GetMailbox returns the state of the mailbox called name; ErrNotFound
// before it was first read.
func (db *DB) GetMailbox(ctx context.Context, name string) (Mailbox, error) {
	m := Mailbox{Name: name}
	var polled, ok, failing, first sql.NullInt64
	err := db.read.QueryRowContext(ctx, `SELECT uid_validity, last_uid, polled_at, ok_at, failing_since, error, alerted, idle, imported, first_read_at
		FROM email_mailboxes WHERE name = ?`, name).Scan(&m.UIDValidity, &m.LastUID, &polled, &ok, &failing, &m.Error, &m.Alerted, &m.Idle, &m.Imported, &first)
	if err != nil {
		return Mailbox{}, notFound(err)
	}
	m.PolledAt, m.OKAt, m.FailingSince, m.FirstReadAt = fromNullNanos(polled), fromNullNanos(ok), fromNullNanos(failing), fromNullNanos(first)
	return m, nil
}

// Rounds of reading the mailbox (OpenMailbox).
const (
	RoundNext       = "next"       // the messages after the last UID done
	RoundFirst      = "first"      // the first round ever: from the first message
	RoundRenumbered = "renumbered" // the server renumbered the mailbox: from the first message again
)

// OpenMailbox returns the mailbox's state for a round that found
// uidValidity and uidNext (0 when the server sent none), and which round
// it is. A UIDVALIDITY other than the one recorded means the server
// renumbered the mailbox, and so does a UIDNEXT at or below the last UID
// done (a server rebuilt without a new UIDVALIDITY): the position starts
// again from the first message (the email log keeps anything from being
// imported twice), audited as email.mailbox_renumbered.
func (db *DB) OpenMailbox(ctx context.Context, name string, uidValidity, uidNext uint32) (m Mailbox, round string, err error) {
	round = RoundNext
	err = db.tx(ctx, func(tx *sql.Tx) error {
		var old, last uint32
		var first sql.NullInt64
		err := tx.QueryRowContext(ctx, "SELECT uid_validity, last_uid, first_read_at FROM email_mailboxes WHERE name = ?", name).Scan(&old, &last, &first)
		switch {
		case errors.Is(err, sql.ErrNoRows) || (err == nil && !first.Valid):
			// New, or only a status row of rounds that never got in.
			round = RoundFirst
			_, err = tx.ExecContext(ctx, `INSERT INTO email_mailboxes (name, uid_validity, first_read_at) VALUES (?1, ?2, ?3)
				ON CONFLICT (name) DO UPDATE SET uid_validity = ?2, last_uid = 0, first_read_at = ?3`, name, uidValidity, nanos(db.now()))
			return err
		case err != nil:
			return err
		case old == uidValidity && (uidNext == 0 || uidNext > last):
			return nil
		}
		round = RoundRenumbered
		if _, err := tx.ExecContext(ctx, "UPDATE email_mailboxes SET uid_validity = ?, last_uid = 0 WHERE name = ?", uidValidity, name); err != nil {
			return err
		}
		return db.appendAudit(ctx, tx, SystemActor, "email.mailbox_renumbered", "mailbox",
			map[string]any{"uid_validity": uidValidity, "was": old, "uid_next": uidNext, "last_uid": last})
	})
	if err != nil {
		return Mailbox{}, "", fmt.Errorf("store: open mailbox: %w", err)
	}
	m, err = db.GetMailbox(ctx, name)
	return m, round, err
}

// advanceMailbox moves the mailbox past the message at p inside tx, if p
// is beyond the position and of the current UIDVALIDITY; counted adds one
// to the messages done.
func (db *DB) advanceMailbox(ctx context.Context, tx *sql.Tx, p MailPosition, counted bool) error {
	if _, err := tx.ExecContext(ctx, `UPDATE email_mailboxes SET last_uid = MAX(last_uid, ?), imported = imported + ?
		WHERE name = ? AND uid_validity = ?`, p.UID, counted, p.Mailbox, p.UIDValidity); err != nil {
		return fmt.Errorf("store: mailbox position: %w", err)
	}
	return nil
}

// SkipTo moves the mailbox position to p without importing anything: the
// read messages a first round leaves alone.
func (db *DB) SkipTo(ctx context.Context, p MailPosition) error {
	return db.tx(ctx, func(tx *sql.Tx) error { return db.advanceMailbox(ctx, tx, p, false) })
}

// MailboxChange is what a round's outcome changed: the first failure of a
// run of them (alert it, log it once) or the recovery after one.
type MailboxChange struct {
	FirstFailure bool
	Recovered    bool
	Alert        bool // a critical security event was raised: mail the owners now
}

// MailboxPolled records how a round went: failure is "" when it worked,
// else a description safe to show (no password). The first failure of a
// run raises one critical security event, mail.mailbox_failing, which
// alerts the owners and admins by mail; a recovery ends the run.
func (db *DB) MailboxPolled(ctx context.Context, name, failure string, idle bool) (MailboxChange, error) {
	var c MailboxChange
	now := nanos(db.now())
	err := db.tx(ctx, func(tx *sql.Tx) error {
		c = MailboxChange{}
		var failing sql.NullInt64
		var alerted bool
		err := tx.QueryRowContext(ctx, "SELECT failing_since, alerted FROM email_mailboxes WHERE name = ?", name).Scan(&failing, &alerted)
		if errors.Is(err, sql.ErrNoRows) {
			// Never opened (the login failed at once): a row for the status.
			_, err = tx.ExecContext(ctx, "INSERT INTO email_mailboxes (name) VALUES (?)", name)
		}
		if err != nil {
			return err
		}
		if failure == "" {
			c.Recovered = failing.Valid
			_, err := tx.ExecContext(ctx, `UPDATE email_mailboxes SET polled_at = ?1, ok_at = ?1, failing_since = NULL, error = '', alerted = 0, idle = ?2
				WHERE name = ?3`, now, idle, name)
			return err
		}
		c.FirstFailure = !failing.Valid
		if _, err := tx.ExecContext(ctx, `UPDATE email_mailboxes SET polled_at = ?1, failing_since = COALESCE(failing_since, ?1), error = ?2,
			alerted = 1, idle = 0 WHERE name = ?3`, now, failure, name); err != nil {
			return err
		}
		if alerted {
			return nil
		}
		c.Alert = true
		return insertSecurityEvent(ctx, tx, SecurityEvent{At: db.now(), Kind: "mail.mailbox_failing", Severity: SeverityCritical,
			Details: map[string]any{"mailbox": name, "error": failure}})
	})
	if err != nil {
		return MailboxChange{}, fmt.Errorf("store: mailbox polled: %w", err)
	}
	return c, nil
}

// SkippedEmail is a message read from the mailbox that is not imported.
type SkippedEmail struct {
	MailPosition
	Outcome string // EmailTooLarge or EmailUnreadable
	Size    int64
	Reason  string // for staff, without personal data
}

// RecordSkippedEmail logs a message that is not imported and moves the
// mailbox past it. A message too large raises a critical security event
// (mail.too_large), so that the owners and admins are mailed and someone
// reads it in the mailbox; nothing of its content is kept.
func (db *DB) RecordSkippedEmail(ctx context.Context, s SkippedEmail) error {
	id := []byte(s.Mailbox + "\x00" + strconv.FormatUint(uint64(s.UIDValidity), 10) + "\x00" + strconv.FormatUint(uint64(s.UID), 10))
	idx := db.bidx.Hash("email-skipped", id)
	return db.tx(ctx, func(tx *sql.Tx) error {
		n, err := changed(tx.ExecContext(ctx, `INSERT INTO email_log (mailbox, uid_validity, uid, msgid_index, content_index, outcome, size, at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`, s.Mailbox, s.UIDValidity, s.UID, idx, idx, s.Outcome, s.Size, nanos(db.now())))
		if err != nil {
			return fmt.Errorf("store: skipped email: %w", err)
		}
		if n > 0 && s.Outcome == EmailTooLarge {
			if err := insertSecurityEvent(ctx, tx, SecurityEvent{At: db.now(), Kind: "mail.too_large", Severity: SeverityCritical,
				Details: map[string]any{"mailbox": s.Mailbox, "uid": s.UID, "size": s.Size, "reason": s.Reason}}); err != nil {
				return err
			}
		}
		return db.advanceMailbox(ctx, tx, s.MailPosition, n > 0)
	})
}

// SkippedEmailEntry is a message of the email log that became no ticket.
type SkippedEmailEntry struct {
	Outcome  string
	UID      uint32
	Size     int64
	TicketID int64
	At       time.Time
}

// ListSkippedEmail returns the newest messages that were not imported or
// were bounces, for the staff's email page.
func (db *DB) ListSkippedEmail(ctx context.Context, limit int) ([]SkippedEmailEntry, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT outcome, uid, size, COALESCE(ticket_id, 0), at FROM email_log
		WHERE outcome IN ('too_large', 'unreadable', 'bounce') ORDER BY id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("store: skipped email: %w", err)
	}
	defer rows.Close()
	var out []SkippedEmailEntry
	for rows.Next() {
		var e SkippedEmailEntry
		var at int64
		if err := rows.Scan(&e.Outcome, &e.UID, &e.Size, &e.TicketID, &at); err != nil {
			return nil, fmt.Errorf("store: skipped email: %w", err)
		}
		e.At = fromNanos(at)
		out = append(out, e)
	}
	return out, rows.Err()
}

// InboundBounce is a delivery status notification read from the mailbox.
type InboundBounce struct {
	MailPosition
	MessageID   string
	ContentHash []byte
	Size        int64
	// Original are the Message-IDs of the mail that failed (from the
	// returned message or headers), and of the bounce's In-Reply-To.
	Original []string
	Status   string // the DSN's status code, like 5.1.1
}

// RecordBounce marks the ticket whose mail bounced (found by our
// Message-ID) as "delivery failed", with the status code, audited as
// ticket.delivery_failed; a bounce about no mail of ours is only logged.
// Never a message on the ticket. A second delivery of the same bounce
// changes nothing.
func (db *DB) RecordBounce(ctx context.Context, b InboundBounce) (int64, error) {
	msgIdx, contentIdx := db.emailIndex(b.MessageID), db.bidx.Hash("email-content", b.ContentHash)
	var ticketID int64
	err := db.tx(ctx, func(tx *sql.Tx) error {
		ticketID = 0
		var seen int
		err := tx.QueryRowContext(ctx, "SELECT 1 FROM email_log WHERE msgid_index = ? AND content_index = ?", msgIdx, contentIdx).Scan(&seen)
		if err == nil {
			return db.advanceMailbox(ctx, tx, b.MailPosition, false)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("store: bounce: %w", err)
		}
		for _, id := range b.Original {
			err := tx.QueryRowContext(ctx, "SELECT ticket_id FROM email_sent WHERE msgid_index = ?", db.emailIndex(id)).Scan(&ticketID)
			if err == nil {
				break
			}
			if !errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("store: bounce: %w", err)
			}
		}
		if ticketID != 0 {
			if _, err := tx.ExecContext(ctx, "UPDATE tickets SET delivery_failed_at = ?, delivery_status = ? WHERE id = ?",
				nanos(db.now()), b.Status, ticketID); err != nil {
				return fmt.Errorf("store: bounce: %w", err)
			}
			if err := db.appendAudit(ctx, tx, SystemActor, "ticket.delivery_failed", TicketTarget(ticketID),
				map[string]any{"status": b.Status}); err != nil {
				return err
			}
		}
		if err := db.logEmail(ctx, tx, b.MailPosition, msgIdx, contentIdx, EmailBounce, ticketID, b.Size); err != nil {
			return err
		}
		return db.advanceMailbox(ctx, tx, b.MailPosition, true)
	})
	return ticketID, err
}
