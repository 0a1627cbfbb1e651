package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"safedesk/security"
)

// Ticket statuses and priorities.
var (
	TicketStatuses   = []string{"open", "pending", "solved", "closed"}
	TicketPriorities = []string{"low", "normal", "high", "urgent"}
)

// Ticket is a customer's request. Subject is plaintext here, sealed in the
// database with the customer's key.
type Ticket struct {
	ID         int64
	CustomerID int64
	Subject    string
	Status     string
	Priority   string
	AssigneeID int64 // 0 when unassigned
	// Confirmed is false while nobody has proven that the customer filed
	// the ticket: someone who had not proven the address did (in the
	// portal), or mail came in the customer's name from a sender that was
	// not authenticated ("sender not verified", store/email.go). Such a
	// ticket is in staff views, marked, but in none of the customer's own.
	Confirmed bool
	// Channel is where the ticket came from: portal, chat, api or email.
	Channel string
	// Lang is the language the ticket was filed in (one of Languages),
	// which mail to the customer about it speaks; "" when it came without
	// one (the site's language applies).
	Lang      string
	CreatedAt time.Time
	UpdatedAt time.Time
	// DueAt is when the next due-time target falls due (store/due.go);
	// zero when nothing is due from the team.
	DueAt time.Time
	// FirstResponseAt is the first staff reply since the ticket was
	// opened or reopened; SolvedAt when it was solved or closed. Zero when
	// not (yet).
	FirstResponseAt, SolvedAt time.Time
	// Tags are the ticket's labels, sorted (store/tags.go).
	Tags []string
	// DeliveryFailedAt is when mail to the customer about this ticket
	// last bounced (zero when none did), with the bounce's status code.
	DeliveryFailedAt time.Time
	DeliveryStatus   string
	// Redacted is what CreateTicket removed from the customer's name,
	// subject and message; only CreateTicket sets it.
	Redacted security.KindSet
}

// Message is one entry of a ticket's conversation.
type Message struct {
	ID         int64
	TicketID   int64
	AuthorType string // customer, staff, bot, system
	AuthorID   int64
	Internal   bool // an internal note: never shown to the customer
	Body       string
	CreatedAt  time.Time
	// Channel is where the message was written (ChannelEmail for mail);
	// a staff message written in the panel has its ticket's channel.
	Channel string
	// SenderAuthenticated is set for a customer's email only: whether its
	// sender passed authentication (store/email.go).
	SenderAuthenticated *bool
	// Redacted is what AddMessage removed from a customer's message; only
	// AddMessage sets it.
	Redacted security.KindSet
	// Attachments are the message's files (ListMessages fills them).
	Attachments []Attachment
}

// NewTicket is what a customer submits.
type NewTicket struct {
	Email   string
	Name    string
	Subject string
	Body    string
	// Upload holds staged files for the first message; nil for none.
	Upload *Upload
	// Channel is where it came from; "" is the API's for a token's
	// actor, else the portal's.
	Channel string
	// Lang is the language it was filed in ("" for none: the site's).
	Lang string
}

// Validate checks every field and reports all problems at once.
func (t NewTicket) Validate() error {
	var v ValidationError
	if msg := ValidateEmail(t.Email); msg != "" {
		v.add("email", msg)
	}
	checkText(&v, "name", t.Name, MaxNameLen, false, "your name")
	checkText(&v, "subject", t.Subject, MaxSubjectLen, true, "a subject")
	checkText(&v, "body", t.Body, MaxBodyLen, true, "a message")
	if t.Lang != "" && !ValidLanguage(t.Lang) {
		v.add("lang", "Choose one of the languages offered.")
	}
	return v.err()
}

func checkText(v *ValidationError, field, s string, max int, required bool, what string) {
	switch {
	case required && strings.TrimSpace(s) == "":
		v.add(field, "Enter "+what+".")
	case !utf8.ValidString(s):
		v.add(field, "This text is not valid UTF-8.")
	case utf8.RuneCountInString(s) > max:
		v.add(field, fmt.Sprintf("Keep this under %d characters (it has %d).", max, utf8.RuneCountInString(s)))
	case strings.ContainsRune(s, 0):
		v.add(field, "This text contains a null character.")
	}
}

func ticketLoc(id int64) security.Location {
	return security.Location{Table: "tickets", Column: "subject", Row: id}
}

func messageLoc(id int64) security.Location {
	return security.Location{Table: "messages", Column: "body", Row: id}
}

// TicketTarget is how the audit log names a ticket.
func TicketTarget(id int64) string { return "ticket:" + strconv.FormatInt(id, 10) }

// CreateTicket validates t and stores the customer (new or known by the
// address), the ticket, its first message and the audit entry in one
// transaction. The audit entry names a as who filed it. The ticket is
// confirmed when a has proven the address (the customer themselves) or
// acts for the business (staff, an API client, the system); a visitor's
// ticket, or one a customer files for another address, is not. Secrets in
// the customer's text are replaced by placeholders first (see
// Ticket.Redacted).
func (db *DB) CreateTicket(ctx context.Context, t NewTicket, a Actor) (Ticket, error) {
	if err := t.Validate(); err != nil {
		return Ticket{}, err
	}
	removed := t.redact()
	now := db.now()
	var out Ticket
	var key *security.DataKey
	err := db.tx(ctx, func(tx *sql.Tx) error {
		cid, k, _, err := db.findOrCreateCustomer(ctx, tx, t.Email, t.Name)
		if err != nil {
			return err
		}
		key = k
		out = Ticket{CustomerID: cid, Subject: strings.TrimSpace(t.Subject), Status: "open", Priority: "normal",
			Confirmed: filedByOwner(a, cid), Channel: t.channel(a), Lang: t.Lang, CreatedAt: now, UpdatedAt: now}
		if _, err := db.insertTicket(ctx, tx, key, &out, Message{AuthorType: "customer", AuthorID: cid, Body: t.Body}); err != nil {
			return err
		}
		if err := db.appendAudit(ctx, tx, a, "ticket.created", TicketTarget(out.ID),
			map[string]any{"customer": cid, "confirmed": out.Confirmed}); err != nil {
			return err
		}
		return db.linkUpload(ctx, tx, t.Upload, key, out.ID, 0, a)
	})
	if err != nil {
		return Ticket{}, err
	}
	// Committed, so the key is in the database whether it was read or made
	// in the transaction: keep it for the customer's next ticket.
	db.remember(key)
	out.Redacted = removed
	return out, nil
}

// insertTicket stores t, open and of normal priority, with its first
// message inside tx, both sealed with key and of t's channel (ChannelPortal
// when unset), and its due time. It sets t.ID and returns the first
// message.
func (db *DB) insertTicket(ctx context.Context, tx *sql.Tx, key *security.DataKey, t *Ticket, first Message) (Message, error) {
	// Both ids in one read (see nextID).
	if err := tx.StmtContext(ctx, db.stmts.ticketMessageIDs).QueryRowContext(ctx).Scan(&t.ID, &first.ID); err != nil {
		return Message{}, fmt.Errorf("store: next ticket id: %w", err)
	}
	t.Channel = cmp.Or(t.Channel, ChannelPortal)
	if _, err := tx.StmtContext(ctx, db.stmts.insertTicket).ExecContext(ctx, t.ID, t.CustomerID,
		key.SealString(t.Subject, ticketLoc(t.ID)), t.Confirmed, t.Channel, nanos(t.CreatedAt), nanos(t.UpdatedAt), t.Lang); err != nil {
		return Message{}, fmt.Errorf("store: create ticket: %w", err)
	}
	first.TicketID, first.Channel = t.ID, t.Channel
	m, err := db.insertMessage(ctx, tx, key, first)
	if err != nil {
		return Message{}, err
	}
	if err := db.refreshDue(ctx, tx, t.ID); err != nil {
		return Message{}, err
	}
	return m, tx.QueryRowContext(ctx, "SELECT due_at FROM tickets WHERE id = ?", t.ID).Scan((*nullTime)(&t.DueAt))
}

// insertMessage stores m inside tx with the id m.ID, or with the next
// message id when m.ID is 0.
func (db *DB) insertMessage(ctx context.Context, tx *sql.Tx, key *security.DataKey, m Message) (Message, error) {
	if m.ID == 0 {
		if err := tx.StmtContext(ctx, db.stmts.messageID).QueryRowContext(ctx).Scan(&m.ID); err != nil {
			return Message{}, fmt.Errorf("store: next messages id: %w", err)
		}
	}
	m.CreatedAt = db.now()
	var author any
	if m.AuthorID != 0 {
		author = m.AuthorID
	}
	m.Channel = cmp.Or(m.Channel, ChannelPortal)
	if _, err := tx.StmtContext(ctx, db.stmts.insertMessage).ExecContext(ctx, m.ID, m.TicketID, m.AuthorType, author, m.Internal,
		key.SealString(m.Body, messageLoc(m.ID)), nanos(m.CreatedAt), m.Channel); err != nil {
		return Message{}, fmt.Errorf("store: add message: %w", err)
	}
	return m, nil
}

// NewMessage is a reply or note added to a ticket.
type NewMessage struct {
	AuthorType string
	AuthorID   int64
	Internal   bool
	Body       string
	// Channel is where it was written; empty takes the ticket's channel
	// (a staff reply in the panel).
	Channel string
	// Upload holds staged files for the message; nil for none.
	Upload *Upload
}

// Validate checks the message body.
func (m NewMessage) Validate() error {
	var v ValidationError
	checkText(&v, "body", m.Body, MaxBodyLen, true, "a message")
	if m.Internal && m.AuthorType != "staff" {
		v.add("internal", "Only staff can write internal notes.")
	}
	return v.err()
}

// AddMessage appends a message to a ticket, reopens a solved ticket when the
// customer writes, and records it in the audit log, in one transaction.
// Secrets in a customer's message are replaced by placeholders first (see
// Message.Redacted).
func (db *DB) AddMessage(ctx context.Context, ticketID int64, m NewMessage, a Actor) (Message, error) {
	if err := m.Validate(); err != nil {
		return Message{}, err
	}
	var removed security.KindSet
	if m.AuthorType == "customer" {
		m.Body = redactCustomerText(m.Body, &removed)
	}
	var out Message
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var keyID int64
		var status, channel string
		err := tx.QueryRowContext(ctx, `SELECT c.key_id, t.status, t.channel FROM tickets t JOIN customers c ON c.id = t.customer_id
			WHERE t.id = ?`, ticketID).Scan(&keyID, &status, &channel)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("store: add message: %w", err)
		}
		key, err := db.dataKey(ctx, tx, keyID)
		if err != nil {
			return err
		}
		out, err = db.insertMessage(ctx, tx, key, Message{TicketID: ticketID, AuthorType: m.AuthorType, AuthorID: m.AuthorID, Internal: m.Internal, Body: m.Body,
			Channel: cmp.Or(m.Channel, channel)})
		if err != nil {
			return err
		}
		if err := db.linkUpload(ctx, tx, m.Upload, key, ticketID, out.ID, a); err != nil {
			return err
		}
		out.Attachments = m.Upload.Files()
		newStatus := status
		if m.AuthorType == "customer" && (status == "solved" || status == "pending") {
			newStatus = "open"
		}
		if _, err := tx.ExecContext(ctx, "UPDATE tickets SET updated_at = ?, status = ? WHERE id = ?",
			nanos(out.CreatedAt), newStatus, ticketID); err != nil {
			return fmt.Errorf("store: add message: %w", err)
		}
		if err := db.messageMoved(ctx, tx, ticketID, m, status, newStatus); err != nil {
			return err
		}
		return db.appendAudit(ctx, tx, a, "ticket.message_added", TicketTarget(ticketID),
			map[string]any{"message": out.ID, "internal": m.Internal, "author": m.AuthorType})
	})
	out.Redacted = removed
	return out, err
}

// GetTicket returns a ticket by id.
func (db *DB) GetTicket(ctx context.Context, id int64) (Ticket, error) {
	rows, err := db.read.QueryContext(ctx, ticketSelect+" WHERE t.id = ?", id)
	if err != nil {
		return Ticket{}, fmt.Errorf("store: get ticket: %w", err)
	}
	ts, err := db.scanTickets(ctx, rows)
	if err != nil {
		return Ticket{}, err
	}
	if len(ts) == 0 {
		return Ticket{}, ErrNotFound
	}
	return ts[0], nil
}

// GetCustomerTicket returns a ticket only when it belongs to customerID and
// is confirmed; a ticket of someone else, or one not yet confirmed (such as
// mail whose sender was not authenticated), is ErrNotFound, exactly like
// one that does not exist.
func (db *DB) GetCustomerTicket(ctx context.Context, customerID, id int64) (Ticket, error) {
	t, err := db.GetTicket(ctx, id)
	if err != nil {
		return Ticket{}, err
	}
	if t.CustomerID != customerID || customerID == 0 || !t.Confirmed {
		return Ticket{}, ErrNotFound
	}
	return t, nil
}

// TicketFilter narrows ListTickets. It names one customer, or sets
// AllCustomers for a staff view: a zero CustomerID alone is refused, so that
// no caller lists every customer's tickets by forgetting to name one. The
// other zero fields match everything.
type TicketFilter struct {
	CustomerID int64
	// Confirmed keeps only confirmed tickets (Ticket.Confirmed): what a
	// customer's own views show.
	Confirmed bool
	Status    string
	Priority  string
	Assignee  int64 // 0: anyone; AssigneeNone: unassigned; otherwise a staff id
	Channel   string
	Before    int64 // cursor: only tickets with id < Before
	Limit     int
	// Tag keeps the tickets that carry this label.
	Tag string
	// DueBy keeps the tickets due at or before it, breached ones included.
	DueBy time.Time
	// ByDue lists the tickets that have a due time, soonest first, instead
	// of newest first; After is its cursor: only tickets after the ticket
	// with this id in that order (Before is not used).
	ByDue bool
	After int64

	// AllCustomers lists every customer's tickets (staff and API views).
	AllCustomers bool
}

// AssigneeNone in TicketFilter.Assignee selects unassigned tickets.
const AssigneeNone = -1

const ticketSelect = `SELECT t.id, t.customer_id, c.key_id, t.subject, t.status, t.priority,
	COALESCE(t.assignee_id, 0), t.confirmed, t.channel, t.created_at, t.updated_at, t.due_at, t.first_response_at, t.solved_at,
	t.delivery_failed_at, t.delivery_status, t.lang
	FROM tickets t JOIN customers c ON c.id = t.customer_id`

// ErrNoCustomer is returned by ListTickets for a filter that names no
// customer and does not ask for all of them.
var ErrNoCustomer = errors.New("store: list tickets: no customer given")

// ListTickets returns tickets newest first.
func (db *DB) ListTickets(ctx context.Context, f TicketFilter) ([]Ticket, error) {
	if f.CustomerID == 0 && !f.AllCustomers {
		return nil, ErrNoCustomer
	}
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	var where []string
	var args []any
	if f.CustomerID != 0 {
		where, args = append(where, "t.customer_id = ?"), append(args, f.CustomerID)
	}
	if f.Confirmed {
		where = append(where, "t.confirmed = 1")
	}
	if f.Status != "" {
		where, args = append(where, "t.status = ?"), append(args, f.Status)
	}
	if f.Priority != "" {
		where, args = append(where, "t.priority = ?"), append(args, f.Priority)
	}
	if f.Channel != "" {
		where, args = append(where, "t.channel = ?"), append(args, f.Channel)
	}
	switch {
	case f.Assignee == AssigneeNone:
		where = append(where, "t.assignee_id IS NULL")
	case f.Assignee > 0:
		where, args = append(where, "t.assignee_id = ?"), append(args, f.Assignee)
	}
	where, args, order, err := db.workdayFilter(ctx, f, where, args)
	if err != nil {
		return nil, err
	}
	q := ticketSelect
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	rows, err := db.read.QueryContext(ctx, q+order+" LIMIT ?", append(args, f.Limit)...)
	if err != nil {
		return nil, fmt.Errorf("store: list tickets: %w", err)
	}
	return db.scanTickets(ctx, rows)
}

// scanTickets reads every row before opening any subject: a key missing from
// the cache is read on the reader pool, which must not wait for the
// connection that these rows still hold.
func (db *DB) scanTickets(ctx context.Context, rows *sql.Rows) ([]Ticket, error) {
	defer rows.Close()
	type sealedTicket struct {
		t       Ticket
		keyID   int64
		subject []byte
	}
	var sealed []sealedTicket
	for rows.Next() {
		var s sealedTicket
		var created, updated int64
		var failed sql.NullInt64
		if err := rows.Scan(&s.t.ID, &s.t.CustomerID, &s.keyID, &s.subject, &s.t.Status, &s.t.Priority, &s.t.AssigneeID, &s.t.Confirmed,
			&s.t.Channel, &created, &updated, (*nullTime)(&s.t.DueAt), (*nullTime)(&s.t.FirstResponseAt), (*nullTime)(&s.t.SolvedAt),
			&failed, &s.t.DeliveryStatus, &s.t.Lang); err != nil {
			return nil, fmt.Errorf("store: tickets: %w", err)
		}
		s.t.CreatedAt, s.t.UpdatedAt, s.t.DeliveryFailedAt = fromNanos(created), fromNanos(updated), fromNullNanos(failed)
		sealed = append(sealed, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: tickets: %w", err)
	}
	rows.Close()
	ids := make([]int64, len(sealed))
	for i, s := range sealed {
		ids[i] = s.t.ID
	}
	tags, err := db.ticketTags(ctx, db.read, ids)
	if err != nil {
		return nil, err
	}
	var out []Ticket
	for _, s := range sealed {
		key, err := db.dataKey(ctx, db.read, s.keyID)
		if err != nil {
			return nil, err
		}
		if s.t.Subject, err = key.OpenString(s.subject, ticketLoc(s.t.ID)); err != nil {
			return nil, err
		}
		s.t.Tags = tags[s.t.ID]
		out = append(out, s.t)
	}
	return out, nil
}

// ListMessages returns a ticket's conversation in order. Internal notes are
// included only when withInternal is set (staff views).
func (db *DB) ListMessages(ctx context.Context, ticketID int64, withInternal bool) ([]Message, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT m.id, m.author_type, COALESCE(m.author_id, 0), m.internal, m.body, m.created_at, c.key_id,
		m.channel, e.authenticated
		FROM messages m JOIN tickets t ON t.id = m.ticket_id JOIN customers c ON c.id = t.customer_id
		LEFT JOIN email_messages e ON e.message_id = m.id
		WHERE m.ticket_id = ? AND (? OR m.internal = 0) ORDER BY m.id`, ticketID, withInternal)
	if err != nil {
		return nil, fmt.Errorf("store: list messages: %w", err)
	}
	defer rows.Close()
	// As in scanTickets: read all rows first, then open them.
	type sealedMessage struct {
		m     Message
		keyID int64
		body  []byte
	}
	var sealed []sealedMessage
	for rows.Next() {
		s := sealedMessage{m: Message{TicketID: ticketID}}
		var created int64
		var authenticated sql.NullBool
		if err := rows.Scan(&s.m.ID, &s.m.AuthorType, &s.m.AuthorID, &s.m.Internal, &s.body, &created, &s.keyID,
			&s.m.Channel, &authenticated); err != nil {
			return nil, fmt.Errorf("store: list messages: %w", err)
		}
		if authenticated.Valid {
			s.m.SenderAuthenticated = &authenticated.Bool
		}
		s.m.CreatedAt = fromNanos(created)
		sealed = append(sealed, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list messages: %w", err)
	}
	rows.Close()
	var out []Message
	for _, s := range sealed {
		key, err := db.dataKey(ctx, db.read, s.keyID)
		if err != nil {
			return nil, err
		}
		if s.m.Body, err = key.OpenString(s.body, messageLoc(s.m.ID)); err != nil {
			return nil, err
		}
		out = append(out, s.m)
	}
	return out, db.fillAttachments(ctx, ticketID, out, withInternal)
}

// CountOpenTickets returns how many tickets wait for staff (status open),
// for the queue badge.
func (db *DB) CountOpenTickets(ctx context.Context) (int, error) {
	var n int
	if err := db.read.QueryRowContext(ctx, "SELECT COUNT(*) FROM tickets WHERE status = 'open'").Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count tickets: %w", err)
	}
	return n, nil
}
