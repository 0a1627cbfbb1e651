package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"safedesk/security"
)

// The quarantine: replies that found their ticket but may not join its
// conversation, because their sender was not authenticated or is not the
// ticket's customer. They appear in no conversation (portal, panel, API,
// export) until a person accepts one, which makes it a message of the
// ticket, or dismisses it; both are audited. They go with their ticket.

// Quarantine reasons.
const (
	QuarantineNotAuthenticated = "not_authenticated" // the customer's address, but not authenticated
	QuarantineNotCustomer      = "not_customer"      // authenticated, but someone else
	QuarantineNeither          = "neither"           // neither authenticated nor the customer
)

// Quarantine decisions.
const (
	QuarantineAccepted  = "accepted"
	QuarantineDismissed = "dismissed"
)

// QuarantinedEmail is a reply held in the quarantine.
type QuarantinedEmail struct {
	ID            int64
	TicketID      int64
	CustomerID    int64
	Reason        string
	Authenticated bool
	Automatic     bool
	Sender        string
	Subject       string
	Text          string
	FullText      string
	Verdict       string
	Headers       string
	NotStored     []AttachmentNote // files that came with it but were not stored
	Files         []Attachment     // files held with it, linked to its message when accepted
	ReceivedAt    time.Time
	Decision      string // "" while pending
	DecidedAt     time.Time
	DecidedBy     string
	MessageID     int64 // the message it became when accepted
}

func quarantineLoc(id int64) security.Location {
	return security.Location{Table: "email_quarantine", Column: "sealed", Row: id}
}

// quarantine holds e back on ticket ticketID inside tx.
func (db *DB) quarantine(ctx context.Context, tx *sql.Tx, key *security.DataKey, ticketID, cid int64, e *InboundEmail, msgIdx []byte, fromCustomer bool) (EmailResult, error) {
	reason := QuarantineNeither
	switch {
	case fromCustomer:
		reason = QuarantineNotAuthenticated
	case e.Authenticated:
		reason = QuarantineNotCustomer
	}
	id, err := nextID(ctx, tx, "email_quarantine")
	if err != nil {
		return EmailResult{}, err
	}
	s := e.sealed()
	s.Subject, s.Text = e.Subject, e.Text
	sealed, err := sealJSON(key, s, quarantineLoc(id))
	if err != nil {
		return EmailResult{}, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO email_quarantine (id, ticket_id, reason, authenticated, automatic, msgid_index, sealed, received_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, id, ticketID, reason, e.Authenticated, e.Automatic, msgIdx, sealed, nanos(db.now())); err != nil {
		return EmailResult{}, fmt.Errorf("store: quarantine: %w", err)
	}
	if err := db.holdUpload(ctx, tx, e.Upload, key, id); err != nil {
		return EmailResult{}, err
	}
	if err := db.appendAudit(ctx, tx, Actor{Type: ActorVisitor, ID: "email"}, "email.quarantined", TicketTarget(ticketID),
		map[string]any{"quarantine": id, "reason": reason}); err != nil {
		return EmailResult{}, err
	}
	return EmailResult{Outcome: EmailQuarantined, TicketID: ticketID, QuarantineID: id, CustomerID: cid}, nil
}

// QuarantineFilter narrows ListQuarantine; the zero value lists the
// pending replies of every ticket.
type QuarantineFilter struct {
	TicketID int64 // 0: every ticket
	All      bool  // decided ones too
	Limit    int
}

// ListQuarantine returns quarantined replies, newest first, opened.
func (db *DB) ListQuarantine(ctx context.Context, f QuarantineFilter) ([]QuarantinedEmail, error) {
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	rows, err := db.read.QueryContext(ctx, `SELECT q.id, q.ticket_id, t.customer_id, c.key_id, q.reason, q.authenticated, q.automatic,
		q.sealed, q.received_at, COALESCE(q.decision, ''), q.decided_at, COALESCE(q.decided_by, ''), COALESCE(q.message_id, 0)
		FROM email_quarantine q JOIN tickets t ON t.id = q.ticket_id JOIN customers c ON c.id = t.customer_id
		WHERE (?1 = 0 OR q.ticket_id = ?1) AND (?2 OR q.decision IS NULL) ORDER BY q.id DESC LIMIT ?3`, f.TicketID, f.All, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("store: quarantine: %w", err)
	}
	var qs []QuarantinedEmail
	var sealed []sealedRow
	for rows.Next() {
		var q QuarantinedEmail
		var r sealedRow
		var received int64
		var decided sql.NullInt64
		if err := rows.Scan(&q.ID, &q.TicketID, &q.CustomerID, &r.keyID, &q.Reason, &q.Authenticated, &q.Automatic,
			&r.sealed, &received, &q.Decision, &decided, &q.DecidedBy, &q.MessageID); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: quarantine: %w", err)
		}
		q.ReceivedAt, q.DecidedAt, r.id = fromNanos(received), fromNullNanos(decided), q.ID
		qs, sealed = append(qs, q), append(sealed, r)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return nil, fmt.Errorf("store: quarantine: %w", err)
	}
	opened, err := db.openEmail(ctx, sealed, quarantineLoc)
	if err != nil {
		return nil, err
	}
	out := qs[:0]
	for i, q := range qs {
		s := opened[i]
		q.Sender, q.Subject, q.Text, q.FullText = s.Sender, s.Subject, s.Text, s.FullText
		q.Verdict, q.Headers, q.NotStored = s.Verdict, s.Headers, s.NotStored
		if q.Files, err = db.heldFiles(ctx, db.read, q.ID); err != nil {
			return nil, err
		}
		for i := range q.Files {
			q.Files[i].TicketID = q.TicketID
		}
		out = append(out, q)
	}
	return out, nil
}

// CountQuarantine returns how many replies wait for a decision.
func (db *DB) CountQuarantine(ctx context.Context) (int, error) {
	var n int
	if err := db.read.QueryRowContext(ctx, "SELECT COUNT(*) FROM email_quarantine WHERE decision IS NULL").Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count quarantine: %w", err)
	}
	return n, nil
}

// AcceptQuarantined makes a pending quarantined reply a customer message of
// its ticket (channel email, its sender's verdict kept), in one transaction
// with two audit entries: the decision, and the message as any message. A
// reply already decided is ErrConflict.
func (db *DB) AcceptQuarantined(ctx context.Context, id int64, a Actor) (Message, error) {
	var out Message
	err := db.decideQuarantined(ctx, id, QuarantineAccepted, a, func(tx *sql.Tx, q quarantineRow, key *security.DataKey, s emailSealed) (map[string]any, error) {
		m, err := db.insertMessage(ctx, tx, key, Message{TicketID: q.ticketID, AuthorType: "customer", AuthorID: q.customerID, Body: s.Text, Channel: ChannelEmail})
		if err != nil {
			return nil, err
		}
		e := InboundEmail{From: s.Sender, Verdict: s.Verdict, FullText: s.FullText, MessageID: s.HeaderID, Headers: s.Headers,
			NotStored: s.NotStored, Authenticated: q.authenticated, Automatic: q.automatic}
		if err := db.insertEmailMessage(ctx, tx, key, m.ID, &e, q.msgIdx); err != nil {
			return nil, err
		}
		if err := db.linkHeld(ctx, tx, id, m, a); err != nil {
			return nil, err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE email_quarantine SET message_id = ? WHERE id = ?", m.ID, id); err != nil {
			return nil, fmt.Errorf("store: accept quarantined: %w", err)
		}
		if err := db.customerWrote(ctx, tx, m, q.automatic); err != nil {
			return nil, err
		}
		if err := db.appendAudit(ctx, tx, a, "ticket.message_added", TicketTarget(q.ticketID),
			map[string]any{"message": m.ID, "internal": false, "author": "customer", "channel": ChannelEmail, "quarantine": id}); err != nil {
			return nil, err
		}
		out = m
		return map[string]any{"quarantine": id, "message": m.ID}, nil
	})
	return out, err
}

// DismissQuarantined decides that a pending quarantined reply stays out of
// the conversation; it stays listed, decided, with its ticket, whose id it
// returns. The files held with it are deleted. A reply already decided is
// ErrConflict.
func (db *DB) DismissQuarantined(ctx context.Context, id int64, a Actor) (ticketID int64, err error) {
	err = db.decideQuarantined(ctx, id, QuarantineDismissed, a, func(tx *sql.Tx, q quarantineRow, _ *security.DataKey, _ emailSealed) (map[string]any, error) {
		ticketID = q.ticketID
		n, err := db.dropHeld(ctx, tx, id)
		return map[string]any{"quarantine": id, "files_deleted": n}, err
	})
	return ticketID, err
}

type quarantineRow struct {
	ticketID, customerID     int64
	authenticated, automatic bool
	msgIdx                   []byte
}

// decideQuarantined records decision on the pending reply id, runs act in
// the same transaction and audits email.quarantine_<decision> with the
// details act returns.
func (db *DB) decideQuarantined(ctx context.Context, id int64, decision string, a Actor,
	act func(*sql.Tx, quarantineRow, *security.DataKey, emailSealed) (map[string]any, error)) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		var q quarantineRow
		var keyID int64
		var sealed []byte
		var decided sql.NullString
		err := tx.QueryRowContext(ctx, `SELECT q.ticket_id, t.customer_id, c.key_id, q.authenticated, q.automatic, q.msgid_index, q.sealed, q.decision
			FROM email_quarantine q JOIN tickets t ON t.id = q.ticket_id JOIN customers c ON c.id = t.customer_id WHERE q.id = ?`, id).
			Scan(&q.ticketID, &q.customerID, &keyID, &q.authenticated, &q.automatic, &q.msgIdx, &sealed, &decided)
		if err != nil {
			return notFound(err)
		}
		if decided.Valid {
			return ErrConflict
		}
		key, err := db.dataKey(ctx, tx, keyID)
		if err != nil {
			return err
		}
		var s emailSealed
		if err := openJSON(key, sealed, quarantineLoc(id), &s); err != nil {
			return err
		}
		details, err := act(tx, q, key, s)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE email_quarantine SET decision = ?, decided_at = ?, decided_by = ? WHERE id = ?",
			decision, nanos(db.now()), actorString(a), id); err != nil {
			return fmt.Errorf("store: quarantine decision: %w", err)
		}
		return db.appendAudit(ctx, tx, a, "email.quarantine_"+decision, TicketTarget(q.ticketID), details)
	})
}

// exportEmail is what an access request holds of a ticket's mail: the
// details of its emailed messages, and the replies held back that came
// from the customer's address (unauthenticated) and were not accepted
// (those became messages), with their files. Replies from other addresses
// are not the customer's.
func (db *DB) exportEmail(ctx context.Context, ticketID int64) (map[int64]EmailDetail, []QuarantinedEmail, error) {
	details, err := db.EmailDetails(ctx, ticketID)
	if err != nil {
		return nil, nil, err
	}
	all, err := db.ListQuarantine(ctx, QuarantineFilter{TicketID: ticketID, All: true, Limit: 200})
	if err != nil {
		return nil, nil, err
	}
	held := slices.DeleteFunc(all, func(q QuarantinedEmail) bool {
		return q.Reason != QuarantineNotAuthenticated || q.Decision == QuarantineAccepted
	})
	slices.Reverse(held) // oldest first, as the conversation
	return details, held, nil
}

// QuarantineReasonText says a reason in words for staff.
func QuarantineReasonText(reason string) string {
	switch reason {
	case QuarantineNotAuthenticated:
		return "from the ticket's customer's address, but the sender was not authenticated"
	case QuarantineNotCustomer:
		return "authenticated, but from someone other than the ticket's customer"
	case QuarantineNeither:
		return "not authenticated, and not from the ticket's customer's address"
	}
	return strings.ReplaceAll(reason, "_", " ")
}
