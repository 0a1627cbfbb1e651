package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"
	"unicode/utf8"

	"safedesk/security"
)

// Chat conversation statuses: with the assistant, waiting for an agent,
// with an agent, or over.
const (
	ChatStatusBot     = "bot"
	ChatStatusWaiting = "waiting"
	ChatStatusAgent   = "agent"
	ChatStatusClosed  = "closed"
)

// Chat message authors.
const (
	ChatAuthorVisitor = "visitor"
	ChatAuthorBot     = "bot"
	ChatAuthorAgent   = "agent"
	ChatAuthorSystem  = "system"
)

// Why a conversation was closed.
const (
	ChatClosedVisitor = "visitor"
	ChatClosedAgent   = "agent"
	ChatClosedTicket  = "ticket"
	ChatClosedProbing = "probing"
	ChatClosedExpired = "expired"
)

// MaxChatMessageLen caps a stored chat message, in characters. Visitors are
// held to a much lower limit before anything is stored; this bound is for
// the assistant's replies with their quotes.
const MaxChatMessageLen = 20000

// Conversation is one chat. Its messages are sealed with the system key while
// the visitor is anonymous and with the customer's key once they verify.
type Conversation struct {
	ID              int64
	CustomerID      int64 // 0 until the visitor verifies an address
	Status          string
	AssigneeID      int64 // the staff member who took it over, or 0
	ConsentVersion  string
	ConsentAt       time.Time
	HandoffAt       time.Time // zero unless handed off
	HandoffDeadline time.Time // when an untaken hand-off becomes a ticket
	TimeoutNotified bool      // the visitor was told nobody could take it
	TicketID        int64
	Probes          int
	ClosedReason    string
	// Lang is the visitor's interface language when they consented (one
	// of Languages); "" for chats from before languages were kept.
	Lang      string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Open reports whether messages may still be added.
func (c Conversation) Open() bool { return c.Status != ChatStatusClosed }

// ChatMessage is one message of a conversation, opened.
type ChatMessage struct {
	ID             int64
	ConversationID int64
	Author         string
	StaffID        int64
	Body           string
	// Extra is the assistant's structured reply (its quote, links, ticket
	// summaries), opaque to the store; sealed like the body.
	Extra     []byte
	Intent    string // for a visitor message: what the assistant made of it
	Outcome   string // for a visitor message: what the assistant did
	Article   string // for an assistant message: the slug it cited
	CreatedAt time.Time
	// Feedback is, for an assistant message, the visitor's answer to "did
	// this answer your question?": "yes", "no", or "" while unanswered.
	Feedback string
}

// NewChatMessage is a message to add.
type NewChatMessage struct {
	Author  string
	StaffID int64
	Body    string
	Extra   []byte
	Intent  string
	Outcome string
	Article string
	// Model says, for a visitor message, whether a language model wrote
	// the answer ("used") or why its answer fell back; "" when none was
	// asked. The insight page counts it.
	Model string
}

// Validate checks the author and the body.
func (m NewChatMessage) Validate() error {
	var v ValidationError
	switch m.Author {
	case ChatAuthorVisitor, ChatAuthorBot, ChatAuthorSystem:
	case ChatAuthorAgent:
		if m.StaffID == 0 {
			v.add("author", "An agent message needs the staff member.")
		}
	default:
		v.add("author", "Unknown author.")
	}
	checkText(&v, "message", m.Body, MaxChatMessageLen, true, "a message")
	if len(m.Extra) > 4*MaxChatMessageLen {
		v.add("extra", "Too large.")
	}
	for _, s := range []string{m.Intent, m.Outcome, m.Article, m.Model} {
		if len(s) > 80 || !utf8.ValidString(s) {
			v.add("meta", "Invalid label.")
		}
	}
	return v.err()
}

// ChatProbe is a probing attempt seen in a conversation.
type ChatProbe struct {
	Category string
	Rule     string
}

// ChatTarget is how the audit log names a conversation.
func ChatTarget(id int64) string { return "chat:" + strconv.FormatInt(id, 10) }

func chatLoc(id int64, column string) security.Location {
	return security.Location{Table: "chat_messages", Column: column, Row: id}
}

const conversationColumns = `id, COALESCE(customer_id, 0), status, COALESCE(assignee_id, 0), consent_version, consent_at,
	handoff_at, handoff_deadline, timeout_notified, COALESCE(ticket_id, 0), probes, closed_reason, created_at, updated_at, lang`

// scanConversation reads conversationColumns, then any extra columns into
// extra.
func scanConversation(row interface{ Scan(...any) error }, extra ...any) (Conversation, error) {
	var c Conversation
	var consent, created, updated int64
	var handoff, deadline sql.NullInt64
	err := row.Scan(append([]any{&c.ID, &c.CustomerID, &c.Status, &c.AssigneeID, &c.ConsentVersion, &consent,
		&handoff, &deadline, &c.TimeoutNotified, &c.TicketID, &c.Probes, &c.ClosedReason, &created, &updated, &c.Lang}, extra...)...)
	if errors.Is(err, sql.ErrNoRows) {
		return Conversation{}, ErrNotFound
	}
	if err != nil {
		return Conversation{}, fmt.Errorf("store: conversation: %w", err)
	}
	c.ConsentAt, c.CreatedAt, c.UpdatedAt = fromNanos(consent), fromNanos(created), fromNanos(updated)
	c.HandoffAt, c.HandoffDeadline = fromNullNanos(handoff), fromNullNanos(deadline)
	return c, nil
}

// StartConversation records the visitor's consent and opens their
// conversation. visitorHash is the SHA-256 of the visitor's chat token;
// customerID is the verified customer of the session, or 0; lang is the
// visitor's interface language (one of Languages, or "").
func (db *DB) StartConversation(ctx context.Context, visitorHash []byte, customerID int64, consentVersion, lang string, a Actor) (Conversation, error) {
	if len(visitorHash) != 32 || consentVersion == "" || len(consentVersion) > 40 {
		return Conversation{}, fmt.Errorf("store: start conversation: bad visitor hash or consent version")
	}
	if lang != "" && !ValidLanguage(lang) {
		return Conversation{}, fmt.Errorf("store: start conversation: unknown language %q", lang)
	}
	now := db.now()
	var out Conversation
	err := db.tx(ctx, func(tx *sql.Tx) error {
		keyID := db.systemKey.ID()
		var customer any
		if customerID != 0 {
			if err := tx.QueryRowContext(ctx, "SELECT key_id FROM customers WHERE id = ?", customerID).Scan(&keyID); err != nil {
				return fmt.Errorf("store: start conversation: customer %d: %w", customerID, notFound(err))
			}
			customer = customerID
		}
		id, err := inserted(tx.ExecContext(ctx, `INSERT INTO chat_conversations
			(visitor_hash, customer_id, key_id, status, consent_version, consent_at, created_at, updated_at, lang)
			VALUES (?, ?, ?, 'bot', ?, ?, ?, ?, ?)`, visitorHash, customer, keyID, consentVersion, nanos(now), nanos(now), nanos(now), lang))
		if err != nil {
			if violates(err, uniqueViolation) {
				return ErrConflict
			}
			return fmt.Errorf("store: start conversation: %w", err)
		}
		out = Conversation{ID: id, CustomerID: customerID, Status: ChatStatusBot, ConsentVersion: consentVersion,
			ConsentAt: now, Lang: lang, CreatedAt: now, UpdatedAt: now}
		return db.appendAudit(ctx, tx, a, "chat.consented", ChatTarget(id), map[string]any{"consent_version": consentVersion})
	})
	return out, err
}

// FindConversation returns the conversation of a visitor token's hash.
func (db *DB) FindConversation(ctx context.Context, visitorHash []byte) (Conversation, error) {
	return scanConversation(db.read.QueryRowContext(ctx,
		"SELECT "+conversationColumns+" FROM chat_conversations WHERE visitor_hash = ?", visitorHash))
}

// GetConversation returns a conversation by id.
func (db *DB) GetConversation(ctx context.Context, id int64) (Conversation, error) {
	return scanConversation(db.read.QueryRowContext(ctx,
		"SELECT "+conversationColumns+" FROM chat_conversations WHERE id = ?", id))
}

// lockConversation reads a conversation inside tx with the key its messages
// are sealed with.
func (db *DB) lockConversation(ctx context.Context, tx *sql.Tx, id int64) (Conversation, *security.DataKey, error) {
	var keyID int64
	c, err := scanConversation(tx.QueryRowContext(ctx,
		"SELECT "+conversationColumns+", key_id FROM chat_conversations WHERE id = ?", id), &keyID)
	if err != nil {
		return Conversation{}, nil, err
	}
	key, err := db.dataKey(ctx, tx, keyID)
	return c, key, err
}

// insertChatMessages seals and inserts msgs and touches the conversation.
func (db *DB) insertChatMessages(ctx context.Context, tx *sql.Tx, c Conversation, key *security.DataKey, msgs []NewChatMessage) ([]ChatMessage, error) {
	now := db.now()
	out := make([]ChatMessage, 0, len(msgs))
	for _, m := range msgs {
		if err := m.Validate(); err != nil {
			return nil, err
		}
		id, err := nextID(ctx, tx, "chat_messages")
		if err != nil {
			return nil, err
		}
		var staff any
		if m.StaffID != 0 {
			staff = m.StaffID
		}
		var extra []byte
		if len(m.Extra) > 0 {
			extra = key.Seal(m.Extra, chatLoc(id, "extra"))
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO chat_messages
			(id, conversation_id, author, staff_id, body, extra, intent, outcome, article, model, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, id, c.ID, m.Author, staff,
			key.SealString(m.Body, chatLoc(id, "body")), extra, m.Intent, m.Outcome, m.Article, m.Model, nanos(now)); err != nil {
			return nil, fmt.Errorf("store: add chat message: %w", err)
		}
		out = append(out, ChatMessage{ID: id, ConversationID: c.ID, Author: m.Author, StaffID: m.StaffID, Body: m.Body,
			Extra: m.Extra, Intent: m.Intent, Outcome: m.Outcome, Article: m.Article, CreatedAt: now})
	}
	if _, err := tx.ExecContext(ctx, "UPDATE chat_conversations SET updated_at = ? WHERE id = ?", nanos(now), c.ID); err != nil {
		return nil, fmt.Errorf("store: touch conversation: %w", err)
	}
	return out, nil
}

func messageIDs(ms []ChatMessage) []int64 {
	ids := make([]int64, len(ms))
	for i, m := range ms {
		ids[i] = m.ID
	}
	return ids
}

// AddChatMessages appends messages to an open conversation in one
// transaction with their audit entry. A closed conversation is ErrConflict.
func (db *DB) AddChatMessages(ctx context.Context, id int64, msgs []NewChatMessage, a Actor) ([]ChatMessage, error) {
	_, out, err := db.changeConversation(ctx, id, msgs, a, func(*sql.Tx, *Conversation) (string, map[string]any, error) {
		return "", nil, nil
	})
	return out, err
}

// ListChatMessages returns a conversation's messages with ids above after,
// in order.
func (db *DB) ListChatMessages(ctx context.Context, id, after int64) ([]ChatMessage, error) {
	var keyID int64
	if err := db.read.QueryRowContext(ctx, "SELECT key_id FROM chat_conversations WHERE id = ?", id).Scan(&keyID); err != nil {
		return nil, fmt.Errorf("store: chat messages: %w", notFound(err))
	}
	rows, err := db.read.QueryContext(ctx, `SELECT id, author, COALESCE(staff_id, 0), body, extra, intent, outcome, article,
		CASE feedback WHEN 1 THEN 'yes' WHEN 0 THEN 'no' ELSE '' END, created_at
		FROM chat_messages WHERE conversation_id = ? AND id > ? ORDER BY id`, id, after)
	if err != nil {
		return nil, fmt.Errorf("store: chat messages: %w", err)
	}
	type sealed struct {
		m           ChatMessage
		body, extra []byte
	}
	var all []sealed
	for rows.Next() {
		s := sealed{m: ChatMessage{ConversationID: id}}
		var created int64
		if err := rows.Scan(&s.m.ID, &s.m.Author, &s.m.StaffID, &s.body, &s.extra, &s.m.Intent, &s.m.Outcome, &s.m.Article, &s.m.Feedback, &created); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: chat messages: %w", err)
		}
		s.m.CreatedAt = fromNanos(created)
		all = append(all, s)
	}
	err = rows.Err()
	rows.Close()
	if err != nil {
		return nil, fmt.Errorf("store: chat messages: %w", err)
	}
	// As in scanTickets: the rows are closed before a key may be read.
	key, err := db.dataKey(ctx, db.read, keyID)
	if err != nil {
		return nil, err
	}
	out := make([]ChatMessage, 0, len(all))
	for _, s := range all {
		if s.m.Body, err = key.OpenString(s.body, chatLoc(s.m.ID, "body")); err != nil {
			return nil, err
		}
		if len(s.extra) > 0 {
			if s.m.Extra, err = key.Open(s.extra, chatLoc(s.m.ID, "extra")); err != nil {
				return nil, err
			}
		}
		out = append(out, s.m)
	}
	return out, nil
}

// HandOffConversation puts a conversation in the staff queue until deadline,
// when it becomes a ticket if nobody has taken it, and adds msgs. A
// conversation already waiting or with an agent is left as it is.
func (db *DB) HandOffConversation(ctx context.Context, id int64, deadline time.Time, msgs []NewChatMessage, a Actor) (Conversation, []ChatMessage, error) {
	return db.changeConversation(ctx, id, msgs, a, func(tx *sql.Tx, c *Conversation) (string, map[string]any, error) {
		switch c.Status {
		case ChatStatusClosed:
			return "", nil, ErrConflict
		case ChatStatusWaiting, ChatStatusAgent:
			return "", nil, nil
		}
		now := db.now()
		c.Status, c.HandoffAt, c.HandoffDeadline = ChatStatusWaiting, now, deadline
		_, err := tx.ExecContext(ctx, `UPDATE chat_conversations SET status = 'waiting', handoff_at = ?, handoff_deadline = ?
			WHERE id = ?`, nanos(now), nanos(deadline), id)
		return "chat.handed_off", map[string]any{"deadline": deadline.UTC().Format(time.RFC3339)}, err
	})
}

// TakeConversation assigns a waiting (or bot) conversation to a staff
// member, who then talks with the visitor live. Taking one that another
// agent holds, or a closed one, is ErrConflict; taking one's own again is
// allowed and changes nothing.
func (db *DB) TakeConversation(ctx context.Context, id, staffID int64, msgs []NewChatMessage, a Actor) (Conversation, []ChatMessage, error) {
	return db.changeConversation(ctx, id, msgs, a, func(tx *sql.Tx, c *Conversation) (string, map[string]any, error) {
		switch {
		case c.Status == ChatStatusClosed:
			return "", nil, ErrConflict
		case c.Status == ChatStatusAgent && c.AssigneeID == staffID:
			return "", nil, nil
		case c.Status == ChatStatusAgent:
			return "", nil, ErrConflict
		}
		now := db.now()
		if c.HandoffAt.IsZero() {
			c.HandoffAt = now
		}
		c.Status, c.AssigneeID = ChatStatusAgent, staffID
		_, err := tx.ExecContext(ctx, `UPDATE chat_conversations SET status = 'agent', assignee_id = ?, handoff_at = ? WHERE id = ?`,
			staffID, nanos(c.HandoffAt), id)
		return "chat.taken", map[string]any{"staff": staffID}, err
	})
}

// CloseConversation ends a conversation for reason, adding msgs first.
// Closing a closed conversation changes nothing.
func (db *DB) CloseConversation(ctx context.Context, id int64, reason string, msgs []NewChatMessage, a Actor) (Conversation, []ChatMessage, error) {
	switch reason {
	case ChatClosedVisitor, ChatClosedAgent, ChatClosedProbing, ChatClosedExpired:
	default:
		return Conversation{}, nil, fmt.Errorf("store: close conversation: bad reason %q", reason)
	}
	return db.changeConversation(ctx, id, msgs, a, func(tx *sql.Tx, c *Conversation) (string, map[string]any, error) {
		if c.Status == ChatStatusClosed {
			return "", nil, errUnchanged
		}
		c.Status, c.ClosedReason = ChatStatusClosed, reason
		_, err := tx.ExecContext(ctx, "UPDATE chat_conversations SET status = 'closed', closed_reason = ? WHERE id = ?", reason, id)
		return "chat.closed", map[string]any{"reason": reason}, err
	})
}

// errUnchanged, returned by a change, stops it: nothing is written.
var errUnchanged = errors.New("store: unchanged")

// changeConversation runs one state change of a conversation, with msgs and
// its audit entry, in one transaction. change updates c and the row and
// returns the audit action; an empty action means the state stays as it is,
// and msgs are then added only to an open conversation (ErrConflict on a
// closed one). errUnchanged from change writes nothing at all.
func (db *DB) changeConversation(ctx context.Context, id int64, msgs []NewChatMessage, a Actor,
	change func(*sql.Tx, *Conversation) (string, map[string]any, error)) (Conversation, []ChatMessage, error) {
	var out Conversation
	var added []ChatMessage
	err := db.tx(ctx, func(tx *sql.Tx) error {
		c, key, err := db.lockConversation(ctx, tx, id)
		if err != nil {
			return err
		}
		out = c
		action, details, err := change(tx, &c)
		if errors.Is(err, errUnchanged) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("store: conversation %d: %w", id, err)
		}
		out = c
		if action == "" {
			if len(msgs) == 0 {
				return nil
			}
			if !c.Open() {
				return ErrConflict
			}
			action = "chat.messages_added"
		}
		if len(msgs) > 0 {
			if added, err = db.insertChatMessages(ctx, tx, c, key, msgs); err != nil {
				return err
			}
			if details == nil {
				details = map[string]any{}
			}
			details["messages"] = messageIDs(added)
		} else if _, err := tx.ExecContext(ctx, "UPDATE chat_conversations SET updated_at = ? WHERE id = ?", nanos(db.now()), id); err != nil {
			return fmt.Errorf("store: touch conversation: %w", err)
		}
		return db.appendAudit(ctx, tx, a, action, ChatTarget(id), details)
	})
	if err != nil {
		return Conversation{}, nil, err
	}
	return out, added, nil
}

// RecordChatProbe counts a probing attempt against a conversation, adds msgs
// (the refused message and the refusal), and closes the conversation once
// it has closeAfter probes, with the audit entry (which carries the client
// address). The caller records the security event. It returns the
// conversation as it now is.
func (db *DB) RecordChatProbe(ctx context.Context, id int64, p ChatProbe, closeAfter int, msgs []NewChatMessage, a Actor) (Conversation, []ChatMessage, error) {
	if p.Category == "" || len(p.Category) > 40 || len(p.Rule) > 120 {
		return Conversation{}, nil, fmt.Errorf("store: chat probe: bad category or rule")
	}
	return db.changeConversation(ctx, id, msgs, a, func(tx *sql.Tx, c *Conversation) (string, map[string]any, error) {
		c.Probes++
		closing := c.Open() && closeAfter > 0 && c.Probes >= closeAfter
		if closing {
			c.Status, c.ClosedReason = ChatStatusClosed, ChatClosedProbing
		}
		_, err := tx.ExecContext(ctx, "UPDATE chat_conversations SET probes = ?, status = ?, closed_reason = ? WHERE id = ?",
			c.Probes, c.Status, c.ClosedReason, id)
		return "chat.probe", map[string]any{"category": p.Category, "rule": p.Rule, "probes": c.Probes, "closed": closing}, err
	})
}
