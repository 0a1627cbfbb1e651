package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"

	"safedesk/security"
)

// Threading: the reply tokens and Message-IDs that tie mail to a ticket,
// and the record of the mail we sent.

// ReplyToken is the token of a ticket for the plus address of our mail's
// Reply-To (support+TOKEN@example.com): the ticket id with an HMAC of it
// under the blind index key (security.ReplyToken).
func (db *DB) ReplyToken(ticketID int64) string { return security.ReplyToken(db.bidx, ticketID) }

// threadTicket finds the ticket an incoming message answers: by the first
// valid reply token, else by the first Message-ID in refs that we sent or
// that came in on a ticket. 0 when none.
func (db *DB) threadTicket(ctx context.Context, tx *sql.Tx, tokens, refs []string) (int64, error) {
	for _, tok := range tokens {
		id, ok := security.ParseReplyToken(db.bidx, tok)
		if !ok {
			continue
		}
		var exists int64
		err := tx.QueryRowContext(ctx, "SELECT id FROM tickets WHERE id = ?", id).Scan(&exists)
		if err == nil {
			return id, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return 0, fmt.Errorf("store: thread: %w", err)
		}
	}
	for _, ref := range refs {
		if NormalizeMessageID(ref) == "" {
			continue
		}
		var id int64
		err := tx.QueryRowContext(ctx, `SELECT ticket_id FROM email_sent WHERE msgid_index = ?1
			UNION ALL SELECT m.ticket_id FROM email_messages e JOIN messages m ON m.id = e.message_id WHERE e.msgid_index = ?1
			LIMIT 1`, db.emailIndex(ref)).Scan(&id)
		if err == nil {
			return id, nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return 0, fmt.Errorf("store: thread: %w", err)
		}
	}
	return 0, nil
}

// SentEmail is a mail we send about a ticket.
type SentEmail struct {
	TicketID  int64
	HeaderID  string // its Message-ID, without angle brackets
	Kind      string // mail.Message.Kind
	To        string // the recipient, for the limits of automatic mail
	Automatic bool   // sent on our own (an acknowledgment), not by a person
}

// RecordSentEmail records the Message-ID of a mail about a ticket before it
// is sent, so that replies to it find the ticket. Automatic mail is held
// to AutoMailPerAddressHour and AutoMailPerTicketDay: over them nothing is
// recorded and sent is false (do not send).
func (db *DB) RecordSentEmail(ctx context.Context, m SentEmail) (sent bool, err error) {
	err = db.tx(ctx, func(tx *sql.Tx) error {
		sent, err = db.recordSent(ctx, tx, m)
		return err
	})
	return sent, err
}

func (db *DB) recordSent(ctx context.Context, tx *sql.Tx, m SentEmail) (bool, error) {
	now := db.now()
	addr := db.bidx.Email(m.To)
	if m.Automatic {
		var perAddress, perTicket int
		if err := tx.QueryRowContext(ctx, `SELECT
			(SELECT COUNT(*) FROM email_sent WHERE automatic = 1 AND address_index = ? AND at >= ?),
			(SELECT COUNT(*) FROM email_sent WHERE automatic = 1 AND ticket_id = ? AND at >= ?)`,
			addr, nanos(now.Add(-time.Hour)), m.TicketID, nanos(now.Add(-24*time.Hour))).Scan(&perAddress, &perTicket); err != nil {
			return false, fmt.Errorf("store: automatic mail: %w", err)
		}
		if perAddress >= AutoMailPerAddressHour || perTicket >= AutoMailPerTicketDay {
			return false, nil
		}
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO email_sent (msgid_index, ticket_id, header_id, kind, automatic, address_index, at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, db.emailIndex(m.HeaderID), m.TicketID, NormalizeMessageID(m.HeaderID), m.Kind, m.Automatic, addr, nanos(now)); err != nil {
		if violates(err, foreignKeyViolation) {
			return false, ErrNotFound
		}
		return false, fmt.Errorf("store: record sent mail: %w", err)
	}
	return true, nil
}

// EmailThread is what a mail about a ticket needs to join the customer's
// thread: the Message-IDs of the conversation, oldest first (ours and the
// customer's), and the one it answers.
type EmailThread struct {
	References []string
	InReplyTo  string
}

// maxReferences bounds the References of our mail: the first Message-ID
// and the newest ones (RFC 5322 §3.6.4 keeps the first).
const maxReferences = 10

// GetEmailThread returns the thread of a ticket: the Message-IDs of the
// mail we sent about it and of the customer's mail on it, in order; it
// answers the customer's newest mail, or our newest when they sent none.
func (db *DB) GetEmailThread(ctx context.Context, ticketID int64) (EmailThread, error) {
	type entry struct {
		at     int64
		id     string
		theirs bool
	}
	var all []entry
	rows, err := db.read.QueryContext(ctx, "SELECT at, header_id FROM email_sent WHERE ticket_id = ? ORDER BY at", ticketID)
	if err != nil {
		return EmailThread{}, fmt.Errorf("store: email thread: %w", err)
	}
	for rows.Next() {
		var e entry
		if err := rows.Scan(&e.at, &e.id); err != nil {
			rows.Close()
			return EmailThread{}, fmt.Errorf("store: email thread: %w", err)
		}
		all = append(all, e)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return EmailThread{}, fmt.Errorf("store: email thread: %w", err)
	}
	details, err := db.EmailDetails(ctx, ticketID)
	if err != nil {
		return EmailThread{}, err
	}
	for _, d := range details {
		if d.HeaderID != "" {
			all = append(all, entry{at: nanos(d.At), id: d.HeaderID, theirs: true})
		}
	}
	// At the same instant (an acknowledgment and the mail it answers),
	// the customer's comes first.
	slices.SortStableFunc(all, func(a, b entry) int {
		return cmp.Or(cmp.Compare(a.at, b.at), cmp.Compare(boolInt(b.theirs), boolInt(a.theirs)))
	})
	var t EmailThread
	for _, e := range all {
		if !slices.Contains(t.References, e.id) {
			t.References = append(t.References, e.id)
		}
		if e.theirs || t.InReplyTo == "" {
			t.InReplyTo = e.id
		}
	}
	if n := len(t.References); n > maxReferences {
		t.References = append(t.References[:1], t.References[n-maxReferences+1:]...)
	}
	return t, nil
}

// EmailDetail is what an emailed message carried besides its text, for
// staff.
type EmailDetail struct {
	MessageID     int64
	Authenticated bool
	Automatic     bool
	Sender        string
	Verdict       string
	FullText      string
	HeaderID      string           // its Message-ID
	Headers       string           // the header section as received
	NotStored     []AttachmentNote // files that came with it but were not stored
	Lookalike     bool             // the sender's address reads like another customer's
	At            time.Time
}

// EmailDetails returns the email details of a ticket's messages that came
// by mail, by message id.
func (db *DB) EmailDetails(ctx context.Context, ticketID int64) (map[int64]EmailDetail, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT e.message_id, e.authenticated, e.automatic, e.sealed, e.at, c.key_id
		FROM email_messages e JOIN messages m ON m.id = e.message_id JOIN tickets t ON t.id = m.ticket_id
		JOIN customers c ON c.id = t.customer_id WHERE m.ticket_id = ? ORDER BY e.message_id`, ticketID)
	if err != nil {
		return nil, fmt.Errorf("store: email details: %w", err)
	}
	var ds []EmailDetail
	var sealed []sealedRow
	for rows.Next() {
		var d EmailDetail
		var r sealedRow
		var at int64
		if err := rows.Scan(&d.MessageID, &d.Authenticated, &d.Automatic, &r.sealed, &at, &r.keyID); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: email details: %w", err)
		}
		d.At, r.id = fromNanos(at), d.MessageID
		ds, sealed = append(ds, d), append(sealed, r)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return nil, fmt.Errorf("store: email details: %w", err)
	}
	opened, err := db.openEmail(ctx, sealed, emailMessageLoc)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]EmailDetail, len(ds))
	for i, d := range ds {
		s := opened[i]
		d.Sender, d.Verdict, d.FullText, d.HeaderID, d.Headers, d.NotStored = s.Sender, s.Verdict, s.FullText, s.HeaderID, s.Headers, s.NotStored
		d.Lookalike = s.Lookalike
		out[d.MessageID] = d
	}
	return out, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
