package store

import (
	"context"
	"crypto/hmac"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"safedesk/security"
)

// The email channel's storage: ImportEmail turns one message read from the
// support mailbox into a ticket, a reply or a quarantined reply, in one
// transaction with its audit entry, its row in the email log (which makes
// a second delivery of the same message a no-op) and the mailbox position.
// Who the sender is was decided before (security.AuthenticateSender); this
// file decides where the message belongs:
//
//   - a reply finds its ticket by a reply token of ours (Reply-To:
//     support+TOKEN@…, an HMAC of the ticket id) or by a Message-ID in its
//     In-Reply-To or References that we sent or received on a ticket, never
//     by a number in the subject;
//   - a reply joins its ticket only when it is authenticated and its sender
//     is the ticket's customer; otherwise it is quarantined until a person
//     accepts it (email_quarantine.go);
//   - anything else opens a new ticket for the sender, unconfirmed ("sender
//     not verified", Ticket.Confirmed) when the sender was not
//     authenticated.
//
// The files that came with the message are linked to it, or held with the
// held reply (email_files.go).

// Channels of tickets and messages besides ChannelPortal and ChannelEmail
// (privacy.go, the same words as the erasure request channels).
const (
	ChannelChat = "chat"
	ChannelAPI  = "api"
)

// Outcomes of a message read from the mailbox (EmailResult.Outcome).
const (
	EmailTicket      = "ticket"      // a new ticket
	EmailReply       = "reply"       // a message on its ticket
	EmailQuarantined = "quarantined" // held for a person to accept
	EmailBounce      = "bounce"      // a delivery status notification
	EmailTooLarge    = "too_large"   // over --email-max-size: not imported
	EmailUnreadable  = "unreadable"  // no usable sender or not a message
	EmailDuplicate   = "duplicate"   // imported before: nothing stored
	EmailIgnored     = "ignored"     // an auto-reply that answers no ticket
)

// Limits of automatic mail (acknowledgments): per recipient address per
// hour and per ticket per day.
const (
	AutoMailPerAddressHour = 3
	AutoMailPerTicketDay   = 3
)

// MailPosition is where a message sits in the mailbox.
type MailPosition struct {
	Mailbox     string
	UIDValidity uint32
	UID         uint32
}

// InboundEmail is one parsed message for ImportEmail.
type InboundEmail struct {
	MailPosition
	// MessageID (without angle brackets) and ContentHash (a hash of the
	// body) make two deliveries of a message the same message.
	MessageID   string
	ContentHash []byte
	Size        int64
	// References are the Message-IDs of In-Reply-To, then of References,
	// newest first; ReplyTokens the tokens of support+TOKEN@ recipients.
	References  []string
	ReplyTokens []string
	From        string
	FromName    string
	Subject     string
	Text        string // quoted history and signature trimmed
	FullText    string // the whole text, for staff
	Headers     string // the header section as received
	// Authenticated is security.AuthenticateSender's verdict, Verdict its
	// reason in words.
	Authenticated bool
	Verdict       string
	// Automatic marks a message sent by a machine: stored, but it never
	// reopens a ticket and is never answered. AutoReply marks an
	// auto-reply (out of office): it joins its ticket, and opens none.
	Automatic bool
	AutoReply bool
	// AutoReplyRefusal says why no acknowledgment may be sent ("" when
	// one may); AckMessageID is the Message-ID it will carry.
	AutoReplyRefusal string
	AckMessageID     string
	// Lookalike marks the first mail of an address that reads like
	// another customer's (IsLookalikeSender).
	Lookalike bool
	// Upload holds the files of the message that were stored (staged),
	// nil for none; NotStored names those that were not, and why.
	Upload    *Upload
	NotStored []AttachmentNote
	// Lang is the language the message is written in (one of Languages),
	// which a ticket it opens is filed in; "" for the site's.
	Lang string
}

// AttachmentNote names a file that came with an email but was not stored,
// with why (Problem): too large, or of a type that is refused.
type AttachmentNote struct {
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
	Problem     string `json:"problem"`
}

// EmailResult says what ImportEmail did.
type EmailResult struct {
	Outcome      string
	TicketID     int64
	MessageID    int64
	QuarantineID int64
	CustomerID   int64
	// Acknowledge: send the acknowledgment, with the AckMessageID of the
	// import; it is recorded (and counted against the limits) already.
	Acknowledge bool
	// Redacted is what was removed from the subject and text.
	Redacted security.KindSet
}

// emailSealed is what email_messages and email_quarantine seal in one
// value with the customer's key.
type emailSealed struct {
	Sender    string           `json:"sender"`
	Verdict   string           `json:"verdict"`
	FullText  string           `json:"full_text"`
	HeaderID  string           `json:"message_id"`
	Headers   string           `json:"headers"`
	NotStored []AttachmentNote `json:"not_stored,omitempty"`
	Lookalike bool             `json:"lookalike,omitempty"`
	Subject   string           `json:"subject,omitempty"` // quarantine only
	Text      string           `json:"text,omitempty"`    // quarantine only
}

func (e *InboundEmail) sealed() emailSealed {
	return emailSealed{Sender: e.From, Verdict: e.Verdict, FullText: e.FullText,
		HeaderID: e.MessageID, Headers: e.Headers, NotStored: e.NotStored, Lookalike: e.Lookalike}
}

func sealJSON(key *security.DataKey, v any, loc security.Location) ([]byte, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("store: seal: %w", err)
	}
	return key.Seal(b, loc), nil
}

// sealedRow is a row of email_messages or email_quarantine as read, before
// its sealed value is opened: rows are read first, then opened, because a
// key missing from the cache is read on the reader pool (see scanTickets).
type sealedRow struct {
	id, keyID int64
	sealed    []byte
}

// openEmail opens the sealed values of rows, each at loc(id).
func (db *DB) openEmail(ctx context.Context, rows []sealedRow, loc func(int64) security.Location) ([]emailSealed, error) {
	out := make([]emailSealed, len(rows))
	for i, r := range rows {
		key, err := db.dataKey(ctx, db.read, r.keyID)
		if err != nil {
			return nil, err
		}
		if err := openJSON(key, r.sealed, loc(r.id), &out[i]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func openJSON(key *security.DataKey, sealed []byte, loc security.Location, v any) error {
	b, err := key.Open(sealed, loc)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("store: open %s.%s: %w", loc.Table, loc.Column, err)
	}
	return nil
}

// ImportEmail stores one message read from the mailbox (see the comment at
// the top of this file) and moves the mailbox position past it. The same
// message (Message-ID and content hash) a second time stores nothing and
// is EmailDuplicate. Secrets in the subject, name and text are redacted as
// in every customer text.
func (db *DB) ImportEmail(ctx context.Context, e InboundEmail) (EmailResult, error) {
	if msg := ValidateEmail(e.From); msg != "" {
		return EmailResult{}, &ValidationError{Fields: map[string]string{"from": msg}}
	}
	removed, err := e.prepare()
	if err != nil {
		return EmailResult{}, err
	}
	msgIdx, contentIdx := db.emailIndex(e.MessageID), db.bidx.Hash("email-content", e.ContentHash)
	var res EmailResult
	var newKey *security.DataKey
	err = db.tx(ctx, func(tx *sql.Tx) error {
		res, newKey = EmailResult{}, nil
		var id int64
		err := tx.QueryRowContext(ctx, "SELECT id FROM email_log WHERE msgid_index = ? AND content_index = ?", msgIdx, contentIdx).Scan(&id)
		if err == nil {
			res.Outcome = EmailDuplicate
			return db.advanceMailbox(ctx, tx, e.MailPosition, false)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("store: import email: %w", err)
		}
		ticketID, err := db.threadTicket(ctx, tx, e.ReplyTokens, e.References)
		if err != nil {
			return err
		}
		switch {
		case ticketID != 0:
			res, err = db.importReply(ctx, tx, ticketID, &e, msgIdx)
		case e.AutoReply:
			res.Outcome = EmailIgnored
		default:
			res, newKey, err = db.importTicket(ctx, tx, &e, msgIdx)
		}
		if err != nil {
			return err
		}
		if err := db.logEmail(ctx, tx, e.MailPosition, msgIdx, contentIdx, res.Outcome, res.TicketID, e.Size); err != nil {
			return err
		}
		return db.advanceMailbox(ctx, tx, e.MailPosition, true)
	})
	if err != nil {
		return EmailResult{}, err
	}
	if newKey != nil {
		db.remember(newKey)
	}
	res.Redacted = removed
	return res, nil
}

// importTicket opens a ticket for the sender inside tx. It returns the
// customer's key when it was made here, to be cached after the commit.
func (db *DB) importTicket(ctx context.Context, tx *sql.Tx, e *InboundEmail, msgIdx []byte) (EmailResult, *security.DataKey, error) {
	cid, key, created, err := db.findOrCreateCustomer(ctx, tx, e.From, e.FromName)
	if err != nil {
		return EmailResult{}, nil, err
	}
	now := db.now()
	t := Ticket{CustomerID: cid, Subject: e.Subject, Status: "open", Priority: "normal", CreatedAt: now, UpdatedAt: now,
		Channel: ChannelEmail, Confirmed: e.Authenticated, Lang: e.Lang}
	first, err := db.insertTicket(ctx, tx, key, &t, Message{AuthorType: "customer", AuthorID: cid, Body: e.Text})
	if err != nil {
		return EmailResult{}, nil, err
	}
	if err := db.insertEmailMessage(ctx, tx, key, first.ID, e, msgIdx); err != nil {
		return EmailResult{}, nil, err
	}
	a := emailActor(e.Authenticated, cid)
	if err := db.appendAudit(ctx, tx, a, "ticket.created", TicketTarget(t.ID),
		map[string]any{"customer": cid, "channel": ChannelEmail, "confirmed": t.Confirmed}); err != nil {
		return EmailResult{}, nil, err
	}
	if err := db.linkUpload(ctx, tx, e.Upload, key, t.ID, first.ID, a); err != nil {
		return EmailResult{}, nil, err
	}
	res := EmailResult{Outcome: EmailTicket, TicketID: t.ID, MessageID: first.ID, CustomerID: cid}
	// Only an authenticated sender is acknowledged: mail to whoever a
	// forger named would be backscatter.
	if e.Authenticated && e.AutoReplyRefusal == "" && e.AckMessageID != "" {
		if res.Acknowledge, err = db.recordSent(ctx, tx, SentEmail{TicketID: t.ID, HeaderID: e.AckMessageID, Kind: "acknowledgment",
			To: e.From, Automatic: true}); err != nil {
			return EmailResult{}, nil, err
		}
	}
	if !created {
		key = nil
	}
	return res, key, nil
}

// importReply adds e to ticket ticketID inside tx when it may join the
// conversation, or quarantines it.
func (db *DB) importReply(ctx context.Context, tx *sql.Tx, ticketID int64, e *InboundEmail, msgIdx []byte) (EmailResult, error) {
	var cid, keyID int64
	var customerIndex []byte
	if err := tx.QueryRowContext(ctx, `SELECT t.customer_id, c.key_id, c.email_index FROM tickets t
		JOIN customers c ON c.id = t.customer_id WHERE t.id = ?`, ticketID).Scan(&cid, &keyID, &customerIndex); err != nil {
		return EmailResult{}, fmt.Errorf("store: import reply: %w", err)
	}
	key, err := db.dataKey(ctx, tx, keyID)
	if err != nil {
		return EmailResult{}, err
	}
	fromCustomer := hmac.Equal(customerIndex, db.bidx.Email(e.From))
	if !e.Authenticated || !fromCustomer {
		return db.quarantine(ctx, tx, key, ticketID, cid, e, msgIdx, fromCustomer)
	}
	m, err := db.insertMessage(ctx, tx, key, Message{TicketID: ticketID, AuthorType: "customer", AuthorID: cid, Body: e.Text, Channel: ChannelEmail})
	if err != nil {
		return EmailResult{}, err
	}
	if err := db.insertEmailMessage(ctx, tx, key, m.ID, e, msgIdx); err != nil {
		return EmailResult{}, err
	}
	if err := db.customerWrote(ctx, tx, m, e.Automatic); err != nil {
		return EmailResult{}, err
	}
	// The customer's mail arrives, so their address works again.
	if _, err := tx.ExecContext(ctx, "UPDATE tickets SET delivery_failed_at = NULL, delivery_status = '' WHERE id = ?", ticketID); err != nil {
		return EmailResult{}, fmt.Errorf("store: import reply: %w", err)
	}
	a := emailActor(true, cid)
	if err := db.appendAudit(ctx, tx, a, "ticket.message_added", TicketTarget(ticketID),
		map[string]any{"message": m.ID, "internal": false, "author": "customer", "channel": ChannelEmail}); err != nil {
		return EmailResult{}, err
	}
	if err := db.linkUpload(ctx, tx, e.Upload, key, ticketID, m.ID, a); err != nil {
		return EmailResult{}, err
	}
	return EmailResult{Outcome: EmailReply, TicketID: ticketID, MessageID: m.ID, CustomerID: cid}, nil
}

// customerWrote moves ticket m.TicketID on for customer message m by mail,
// inside tx, as AddMessage does for one written in the portal: a solved or
// pending ticket opens again, and its due times follow; an automatic
// message (out of office) changes no status.
func (db *DB) customerWrote(ctx context.Context, tx *sql.Tx, m Message, automatic bool) error {
	var status string
	if err := tx.QueryRowContext(ctx, "SELECT status FROM tickets WHERE id = ?", m.TicketID).Scan(&status); err != nil {
		return fmt.Errorf("store: customer reply: %w", err)
	}
	next := status
	if !automatic && (status == "solved" || status == "pending") {
		next = "open"
	}
	if _, err := tx.ExecContext(ctx, "UPDATE tickets SET updated_at = ?, status = ? WHERE id = ?", nanos(m.CreatedAt), next, m.TicketID); err != nil {
		return fmt.Errorf("store: customer reply: %w", err)
	}
	return db.messageMoved(ctx, tx, m.TicketID, NewMessage{AuthorType: "customer"}, status, next)
}

// insertEmailMessage stores what an emailed message carried besides its
// text, sealed with key.
func (db *DB) insertEmailMessage(ctx context.Context, tx *sql.Tx, key *security.DataKey, messageID int64, e *InboundEmail, msgIdx []byte) error {
	sealed, err := sealJSON(key, e.sealed(), emailMessageLoc(messageID))
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO email_messages (message_id, authenticated, automatic, msgid_index, sealed, at)
		VALUES (?, ?, ?, ?, ?, ?)`, messageID, e.Authenticated, e.Automatic, msgIdx, sealed, nanos(db.now())); err != nil {
		return fmt.Errorf("store: email message: %w", err)
	}
	return nil
}

func emailMessageLoc(id int64) security.Location {
	return security.Location{Table: "email_messages", Column: "sealed", Row: id}
}

// emailActor is who the audit log says wrote a message: the customer when
// authenticated, else an unknown sender (a visitor, like someone who typed
// an address into the portal).
func emailActor(authenticated bool, customerID int64) Actor {
	if authenticated {
		return Actor{Type: ActorCustomer, ID: strconv.FormatInt(customerID, 10)}
	}
	return Actor{Type: ActorVisitor, ID: "email"}
}

// logEmail records a message read from the mailbox in the email log.
func (db *DB) logEmail(ctx context.Context, tx *sql.Tx, p MailPosition, msgIdx, contentIdx []byte, outcome string, ticketID, size int64) error {
	var ticket any
	if ticketID != 0 {
		ticket = ticketID
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO email_log (mailbox, uid_validity, uid, msgid_index, content_index, outcome, ticket_id, size, at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, p.Mailbox, p.UIDValidity, p.UID, msgIdx, contentIdx, outcome, ticket, size, nanos(db.now())); err != nil {
		return fmt.Errorf("store: email log: %w", err)
	}
	return nil
}

// emailIndex is the keyed hash of a Message-ID, for the log and threading.
func (db *DB) emailIndex(messageID string) []byte {
	return db.bidx.Hash("email-message-id", []byte(NormalizeMessageID(messageID)))
}

// NormalizeMessageID removes the angle brackets and spaces around a
// Message-ID.
func NormalizeMessageID(id string) string {
	return strings.TrimSpace(strings.Trim(strings.TrimSpace(id), "<>"))
}

// prepare fits e to what a ticket holds: the From address in its canonical
// form (security.CanonicalEmail), no display name holding an address
// (senderName), valid UTF-8 without NULs, secrets
// redacted (subject, name, both texts, the headers, the names of files not
// stored), the subject and text within their limits. It returns what was
// redacted.
func (e *InboundEmail) prepare() (security.KindSet, error) {
	from, err := security.CanonicalEmail(e.From)
	if err != nil {
		return 0, fmt.Errorf("store: import email: %w", err)
	}
	e.From = from
	if !ValidLanguage(e.Lang) {
		e.Lang = "" // the site's
	}
	var removed security.KindSet
	clean := func(s string) string {
		return strings.ReplaceAll(strings.ToValidUTF8(s, "\uFFFD"), "\x00", "")
	}
	e.Subject = strings.Join(strings.Fields(clean(e.Subject)), " ")
	e.Subject = clip(redactCustomerText(e.Subject, &removed), MaxSubjectLen, "…")
	if e.Subject == "" {
		e.Subject = "(no subject)"
	}
	e.FromName = clip(redactCustomerText(senderName(clean(e.FromName)), &removed), MaxNameLen, "")
	e.Text = strings.TrimSpace(redactCustomerText(clean(e.Text), &removed))
	e.Text = clip(e.Text, MaxBodyLen, "\n\n[… the message goes on: staff see the whole text]")
	if e.Text == "" {
		e.Text = "(no text)"
	}
	e.FullText = redactCustomerText(clean(e.FullText), &removed)
	e.Headers = redactCustomerText(clean(e.Headers), &removed)
	e.Verdict = clean(e.Verdict)
	for i := range e.NotStored {
		e.NotStored[i].Name = redactCustomerText(clean(e.NotStored[i].Name), &removed)
	}
	return removed, nil
}

// senderName is the display name of a From header as a customer's name:
// none when it holds an address. "anna@example.com" <mallory@evil.example>
// is a classic trick (a mail program shows only the name); the address that
// really wrote stands instead, as staff see it everywhere.
func senderName(name string) string {
	name = strings.TrimSpace(name)
	if strings.ContainsRune(security.Skeleton(name), '@') {
		return ""
	}
	return name
}

// clip shortens s to at most max characters, ending with tail when cut.
func clip(s string, max int, tail string) string {
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:max-utf8.RuneCountInString(tail)])) + tail
}
