package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"safedesk/security"
)

// BindCustomerSession records that the session with this token belongs to
// the customer, so that erasing the customer (by any route: the portal, the
// admin panel, the API, retention) ends the session in the same
// transaction. Call it whenever a session becomes a customer's, after the
// token has been renewed.
func (db *DB) BindCustomerSession(ctx context.Context, token string, customerID int64) error {
	h := sha256.Sum256([]byte(token))
	_, err := db.write.ExecContext(ctx, `INSERT INTO customer_sessions (token_hash, customer_id, created_at) VALUES (?, ?, ?)
		ON CONFLICT (token_hash) DO UPDATE SET customer_id = excluded.customer_id`, h[:], customerID, nanos(db.now()))
	if err != nil {
		return fmt.Errorf("store: bind session: %w", err)
	}
	return nil
}

// SubjectExport is everything held about one customer, for their access
// request: profile, tickets with the conversation, chat transcripts, the
// consents they gave, and the audit records about them. Internal notes are
// included only when asked for (an owner's setting).
type SubjectExport struct {
	Customer Customer
	Tickets  []TicketExport
	Chats    []ChatExport
	Records  []SubjectRecord
	// Devices are the live devices the customer stays signed in on.
	Devices []CustomerDevice
}

// TicketExport is one ticket with its messages; for mail, what each
// emailed message carried besides its text, and the replies from the
// customer's address that are held back (exportEmail).
type TicketExport struct {
	Ticket   Ticket
	Messages []Message
	Email    map[int64]EmailDetail // by message id
	Held     []QuarantinedEmail
}

// ChatExport is one conversation with its messages.
type ChatExport struct {
	Conversation Conversation
	Messages     []ChatMessage
}

// SubjectRecord is one audit entry about the customer. Who acted is given
// by kind only (the customer, staff, the system, an API client), never by
// name or staff number; the client only when it was the customer's own
// (ClientIP as the audit log keeps it: a ClientPseudonym, or in older
// entries the address).
type SubjectRecord struct {
	At       time.Time
	Action   string
	Target   string
	By       string
	ClientIP string
}

// ExportSubject gathers a customer's data for an access request. The caller
// records the export in the audit log.
func (db *DB) ExportSubject(ctx context.Context, id int64, internalNotes bool) (SubjectExport, error) {
	c, err := db.GetCustomer(ctx, id)
	if err != nil {
		return SubjectExport{}, err
	}
	out := SubjectExport{Customer: c}
	targets := []string{customerTarget(id)}
	f := TicketFilter{CustomerID: id, Confirmed: true, Limit: 200} // not what others filed under the address
	for {
		ts, err := db.ListTickets(ctx, f)
		if err != nil {
			return SubjectExport{}, err
		}
		for _, t := range ts {
			msgs, err := db.ListMessages(ctx, t.ID, internalNotes)
			if err != nil {
				return SubjectExport{}, err
			}
			te := TicketExport{Ticket: t, Messages: msgs}
			if te.Email, te.Held, err = db.exportEmail(ctx, t.ID); err != nil {
				return SubjectExport{}, err
			}
			out.Tickets = append(out.Tickets, te)
			targets = append(targets, TicketTarget(t.ID))
		}
		if len(ts) < f.Limit {
			break
		}
		f.Before = ts[len(ts)-1].ID
	}
	convs, err := db.customerConversations(ctx, id)
	if err != nil {
		return SubjectExport{}, err
	}
	for _, conv := range convs {
		msgs, err := db.ListChatMessages(ctx, conv.ID, 0)
		if err != nil {
			return SubjectExport{}, err
		}
		out.Chats = append(out.Chats, ChatExport{Conversation: conv, Messages: msgs})
		targets = append(targets, ChatTarget(conv.ID))
	}
	if out.Records, err = db.subjectRecords(ctx, id, targets); err != nil {
		return SubjectExport{}, err
	}
	if out.Devices, err = db.ListCustomerDevices(ctx, id); err != nil {
		return SubjectExport{}, err
	}
	return out, nil
}

// customerConversations returns the conversations linked to a customer,
// oldest first.
func (db *DB) customerConversations(ctx context.Context, id int64) ([]Conversation, error) {
	return db.queryConversations(ctx, "export chats", "SELECT "+conversationColumns+" FROM chat_conversations WHERE customer_id = ? ORDER BY id", id)
}

const subjectRecordsSQL = `SELECT at, actor_type, actor_id, action, target, client_ip FROM audit_log
	WHERE (actor_type = ? AND actor_id = ?) OR target IN (SELECT value FROM json_each(?)) ORDER BY seq`

// subjectRecords returns the audit entries by the customer or about them
// or their tickets and chats, in order: one pass over the log, which has no
// index by actor or target (migration 0008).
func (db *DB) subjectRecords(ctx context.Context, id int64, targets []string) ([]SubjectRecord, error) {
	list, err := json.Marshal(targets)
	if err != nil {
		return nil, fmt.Errorf("store: subject records: %w", err)
	}
	self := strconv.FormatInt(id, 10)
	rows, err := db.read.QueryContext(ctx, subjectRecordsSQL, ActorCustomer, self, list)
	if err != nil {
		return nil, fmt.Errorf("store: subject records: %w", err)
	}
	defer rows.Close()
	var out []SubjectRecord
	for rows.Next() {
		var r SubjectRecord
		var at int64
		var actorID, ip string
		if err := rows.Scan(&at, &r.By, &actorID, &r.Action, &r.Target, &ip); err != nil {
			return nil, fmt.Errorf("store: subject records: %w", err)
		}
		r.At = fromNanos(at)
		if r.By == ActorCustomer && actorID == self {
			r.By, r.ClientIP = "you", ip
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: subject records: %w", err)
	}
	return out, nil
}

// Erasure request channels: how a request reached us.
const (
	ChannelPortal   = "portal"
	ChannelEmail    = "email"
	ChannelPhone    = "phone"
	ChannelLetter   = "letter"
	ChannelInPerson = "in_person"
	ChannelOther    = "other"
)

// ErasureChannels lists the channels staff may record, in display order.
var ErasureChannels = []string{ChannelEmail, ChannelPhone, ChannelLetter, ChannelInPerson, ChannelOther}

// MaxReferenceLen caps an erasure request's reference, in characters.
const MaxReferenceLen = 80

// ErasureRequest is one entry of the register of erasure requests.
type ErasureRequest struct {
	ID         int64
	Tombstone  string
	Channel    string
	Reference  string // a short note without personal data, like "letter 2026-014"
	ReceivedAt time.Time
	ErasedAt   time.Time
	HandledBy  string // "portal" or "staff:ID"
}

// Validate checks the channel, the date and the reference, which must not
// carry an email address, phone number or other personal data: the
// register outlives the customer.
func (e ErasureRequest) Validate(now time.Time) error {
	var v ValidationError
	if e.Channel != ChannelPortal && !slices.Contains(ErasureChannels, e.Channel) {
		v.add("channel", "Choose how the request reached you.")
	}
	switch {
	case e.ReceivedAt.IsZero():
		v.add("received", "Enter the day the request reached you.")
	case e.ReceivedAt.After(now.Add(24 * time.Hour)): // a day's slack for time zones ahead of UTC
		v.add("received", "The day the request reached you cannot be in the future.")
	case e.ReceivedAt.Before(now.AddDate(-1, 0, 0)):
		v.add("received", "That is more than a year ago: check the date.")
	}
	checkText(&v, "reference", e.Reference, MaxReferenceLen, false, "a reference")
	if _, ok := v.Fields["reference"]; !ok && len(security.Scan(e.Reference)) > 0 {
		v.add("reference", "Keep personal data (addresses, phone numbers) out of the reference: the register outlives the customer.")
	}
	return v.err()
}

// RecordErasureRequest adds an erasure that has been carried out to the
// register, with an audit entry, in one transaction. Validate first: the
// erasure cannot be undone, so a request that fails to validate must be
// refused before it.
func (db *DB) RecordErasureRequest(ctx context.Context, e ErasureRequest, a Actor) (ErasureRequest, error) {
	if e.ErasedAt.IsZero() {
		e.ErasedAt = db.now()
	}
	e.Reference = strings.TrimSpace(e.Reference)
	if e.HandledBy == "" {
		e.HandledBy = actorString(a)
	}
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var err error
		e.ID, err = inserted(tx.ExecContext(ctx, `INSERT INTO erasure_requests (tombstone_id, channel, reference, received_at, erased_at, handled_by)
			VALUES (?, ?, ?, ?, ?, ?)`, e.Tombstone, e.Channel, e.Reference, nanos(e.ReceivedAt), nanos(e.ErasedAt), e.HandledBy))
		if err != nil {
			if violates(err, foreignKeyViolation) {
				return ErrNotFound // no such tombstone
			}
			if violates(err, uniqueViolation) {
				return ErrConflict
			}
			return fmt.Errorf("store: record erasure: %w", err)
		}
		return db.appendAudit(ctx, tx, a, "customer.erasure_recorded", "tombstone:"+e.Tombstone,
			map[string]any{"channel": e.Channel, "received": e.ReceivedAt.UTC().Format(time.DateOnly)})
	})
	if err != nil {
		return ErasureRequest{}, err
	}
	return e, nil
}

// ListErasureRequests returns the register, newest first.
func (db *DB) ListErasureRequests(ctx context.Context, limit int) ([]ErasureRequest, error) {
	if limit <= 0 || limit > 500 {
		limit = 50
	}
	rows, err := db.read.QueryContext(ctx, `SELECT id, tombstone_id, channel, reference, received_at, erased_at, handled_by
		FROM erasure_requests ORDER BY id DESC LIMIT ?`, limit)
	if err != nil {
		return nil, fmt.Errorf("store: erasure requests: %w", err)
	}
	defer rows.Close()
	var out []ErasureRequest
	for rows.Next() {
		var e ErasureRequest
		var received, erased int64
		if err := rows.Scan(&e.ID, &e.Tombstone, &e.Channel, &e.Reference, &received, &erased, &e.HandledBy); err != nil {
			return nil, fmt.Errorf("store: erasure requests: %w", err)
		}
		e.ReceivedAt, e.ErasedAt = fromNanos(received), fromNanos(erased)
		out = append(out, e)
	}
	return out, rows.Err()
}
