package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"unicode/utf8"

	"safedesk/security"
)

// LinkConversation gives a conversation to the customer who has just
// verified their address in it, re-sealing every message with the customer's
// own key in the same transaction. A conversation of another customer is
// ErrConflict.
func (db *DB) LinkConversation(ctx context.Context, id, customerID int64, a Actor) (Conversation, error) {
	c, _, err := db.changeConversation(ctx, id, nil, a, func(tx *sql.Tx, c *Conversation) (string, map[string]any, error) {
		switch c.CustomerID {
		case customerID:
			return "", nil, errUnchanged
		case 0:
		default:
			return "", nil, ErrConflict
		}
		var keyID int64
		if err := tx.QueryRowContext(ctx, "SELECT key_id FROM customers WHERE id = ?", customerID).Scan(&keyID); err != nil {
			return "", nil, notFound(err)
		}
		n, err := db.resealChat(ctx, tx, id, keyID)
		if err != nil {
			return "", nil, err
		}
		c.CustomerID = customerID
		_, err = tx.ExecContext(ctx, "UPDATE chat_conversations SET customer_id = ?, key_id = ? WHERE id = ?", customerID, keyID, id)
		return "chat.linked", map[string]any{"customer": customerID, "resealed": n}, err
	})
	return c, err
}

// resealChat opens every message of a conversation with its current key and
// seals it again with newKeyID.
func (db *DB) resealChat(ctx context.Context, tx *sql.Tx, id, newKeyID int64) (int, error) {
	var oldKeyID int64
	if err := tx.QueryRowContext(ctx, "SELECT key_id FROM chat_conversations WHERE id = ?", id).Scan(&oldKeyID); err != nil {
		return 0, err
	}
	if oldKeyID == newKeyID {
		return 0, nil
	}
	oldKey, err := db.dataKey(ctx, tx, oldKeyID)
	if err != nil {
		return 0, err
	}
	newKey, err := db.dataKey(ctx, tx, newKeyID)
	if err != nil {
		return 0, err
	}
	rows, err := tx.QueryContext(ctx, "SELECT id, body, extra FROM chat_messages WHERE conversation_id = ?", id)
	if err != nil {
		return 0, err
	}
	type sealed struct {
		id          int64
		body, extra []byte
	}
	var all []sealed
	for rows.Next() {
		var s sealed
		if err := rows.Scan(&s.id, &s.body, &s.extra); err != nil {
			rows.Close()
			return 0, err
		}
		all = append(all, s)
	}
	rows.Close()
	for _, s := range all {
		body, err := oldKey.Open(s.body, chatLoc(s.id, "body"))
		if err != nil {
			return 0, err
		}
		var extra []byte
		if len(s.extra) > 0 {
			x, err := oldKey.Open(s.extra, chatLoc(s.id, "extra"))
			if err != nil {
				return 0, err
			}
			extra = newKey.Seal(x, chatLoc(s.id, "extra"))
		}
		if _, err := tx.ExecContext(ctx, "UPDATE chat_messages SET body = ?, extra = ? WHERE id = ?",
			newKey.Seal(body, chatLoc(s.id, "body")), extra, s.id); err != nil {
			return 0, err
		}
	}
	return len(all), nil
}

// ConvertConversationToTicket turns a conversation of a verified customer
// into a ticket whose first message is the transcript, adds note's messages
// (told the new ticket's id), closes the conversation and links the two, in
// one transaction. A conversation without a verified customer, or one
// already closed, is ErrConflict.
func (db *DB) ConvertConversationToTicket(ctx context.Context, id int64, subject string, note func(ticketID int64) []NewChatMessage, a Actor) (Ticket, []ChatMessage, error) {
	subject = strings.TrimSpace(subject)
	var v ValidationError
	checkText(&v, "subject", subject, MaxSubjectLen, true, "a subject")
	if err := v.err(); err != nil {
		return Ticket{}, nil, err
	}
	var t Ticket
	var added []ChatMessage
	_, _, err := db.changeConversation(ctx, id, nil, a, func(tx *sql.Tx, c *Conversation) (string, map[string]any, error) {
		if c.CustomerID == 0 || !c.Open() {
			return "", nil, ErrConflict
		}
		var keyID int64
		if err := tx.QueryRowContext(ctx, "SELECT key_id FROM customers WHERE id = ?", c.CustomerID).Scan(&keyID); err != nil {
			return "", nil, notFound(err)
		}
		key, err := db.dataKey(ctx, tx, keyID)
		if err != nil {
			return "", nil, err
		}
		// The conversation of a verified customer is sealed with their key,
		// but read its own key_id rather than assume it.
		var chatKeyID int64
		if err := tx.QueryRowContext(ctx, "SELECT key_id FROM chat_conversations WHERE id = ?", id).Scan(&chatKeyID); err != nil {
			return "", nil, err
		}
		chatKey, err := db.dataKey(ctx, tx, chatKeyID)
		if err != nil {
			return "", nil, err
		}
		transcript, err := db.chatTranscript(ctx, tx, *c, chatKey)
		if err != nil {
			return "", nil, err
		}
		now := db.now()
		t = Ticket{CustomerID: c.CustomerID, Subject: subject, Status: "open", Priority: "normal", Confirmed: true, Channel: ChannelChat,
			Lang: c.Lang, CreatedAt: now, UpdatedAt: now}
		if _, err := db.insertTicket(ctx, tx, key, &t, Message{AuthorType: "system", Body: transcript}); err != nil {
			return "", nil, err
		}
		if err := db.appendAudit(ctx, tx, a, "ticket.created", TicketTarget(t.ID),
			map[string]any{"customer": c.CustomerID, "from_chat": c.ID}); err != nil {
			return "", nil, err
		}
		if note != nil {
			if added, err = db.insertChatMessages(ctx, tx, *c, chatKey, note(t.ID)); err != nil {
				return "", nil, err
			}
		}
		c.Status, c.ClosedReason, c.TicketID = ChatStatusClosed, ChatClosedTicket, t.ID
		_, err = tx.ExecContext(ctx, "UPDATE chat_conversations SET status = 'closed', closed_reason = 'ticket', ticket_id = ? WHERE id = ?", t.ID, id)
		return "chat.ticket_created", map[string]any{"ticket": t.ID, "messages": messageIDs(added)}, err
	})
	if err != nil {
		return Ticket{}, nil, err
	}
	return t, added, nil
}

// TranscriptAuthors names message authors in a transcript. The
// transcript is written in English for staff; web reads its fixed parts
// back (these names, TranscriptHead, TranscriptTime, TranscriptOmitted) to
// show it to the customer in their language.
var TranscriptAuthors = map[string]string{
	ChatAuthorVisitor: "Customer", ChatAuthorBot: "Assistant (automated)", ChatAuthorAgent: "Agent", ChatAuthorSystem: "System",
}

// The fixed parts of a transcript: its heading (with the chat's start in
// TranscriptTime, UTC), and the line that stands for messages left out.
const (
	TranscriptHead    = "Transcript of the chat that started %s. Card numbers, passwords and similar secrets were removed before anything was stored."
	TranscriptTime    = "2 Jan 2006, 15:04 MST"
	TranscriptOmitted = "[… earlier messages omitted …]"
)

// chatTranscript renders a conversation as plain text for a ticket, keeping
// the end when it is longer than a ticket message may be. The messages are
// already redacted; key opens them (the conversation's key).
func (db *DB) chatTranscript(ctx context.Context, tx *sql.Tx, c Conversation, key *security.DataKey) (string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, author, body, article, created_at FROM chat_messages
		WHERE conversation_id = ? ORDER BY id`, c.ID)
	if err != nil {
		return "", fmt.Errorf("store: transcript: %w", err)
	}
	defer rows.Close()
	var lines []string
	for rows.Next() {
		var id, at int64
		var author, article string
		var body []byte
		if err := rows.Scan(&id, &author, &body, &article, &at); err != nil {
			return "", fmt.Errorf("store: transcript: %w", err)
		}
		text, err := key.OpenString(body, chatLoc(id, "body"))
		if err != nil {
			return "", err
		}
		line := fmt.Sprintf("[%s] %s: %s", fromNanos(at).Format("15:04"), TranscriptAuthors[author], text)
		if article != "" {
			line += "\n    (article: /kb/" + article + ")"
		}
		lines = append(lines, line)
	}
	if err := rows.Err(); err != nil {
		return "", fmt.Errorf("store: transcript: %w", err)
	}
	head := fmt.Sprintf(TranscriptHead+"\n\n", c.CreatedAt.UTC().Format(TranscriptTime))
	const omitted = TranscriptOmitted + "\n"
	body := strings.Join(lines, "\n")
	for utf8.RuneCountInString(head+body) > MaxBodyLen && len(lines) > 1 {
		lines = lines[1:]
		body = omitted + strings.Join(lines, "\n")
	}
	if n := utf8.RuneCountInString(head + body); n > MaxBodyLen {
		r := []rune(body)
		body = string(r[n-MaxBodyLen:])
	}
	return head + body, nil
}

// ChatFilter narrows ListConversations. Zero fields match everything.
type ChatFilter struct {
	Statuses   []string
	AssigneeID int64
	Limit      int
}

// ListConversations returns conversations, those waiting longest first,
// then the most recently active.
func (db *DB) ListConversations(ctx context.Context, f ChatFilter) ([]Conversation, error) {
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	var where []string
	var args []any
	if len(f.Statuses) > 0 {
		where = append(where, "status IN (?"+strings.Repeat(", ?", len(f.Statuses)-1)+")")
		for _, st := range f.Statuses {
			args = append(args, st)
		}
	}
	if f.AssigneeID != 0 {
		where, args = append(where, "assignee_id = ?"), append(args, f.AssigneeID)
	}
	q := "SELECT " + conversationColumns + " FROM chat_conversations"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY status = 'waiting' DESC, CASE WHEN status = 'waiting' THEN handoff_at END, updated_at DESC LIMIT ?"
	return db.queryConversations(ctx, "list conversations", q, append(args, f.Limit)...)
}

// queryConversations runs q, which selects conversationColumns, and scans
// every row; what names the query in errors.
func (db *DB) queryConversations(ctx context.Context, what, q string, args ...any) ([]Conversation, error) {
	rows, err := db.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: %s: %w", what, err)
	}
	defer rows.Close()
	var out []Conversation
	for rows.Next() {
		c, err := scanConversation(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// DueHandoffs returns waiting conversations whose deadline has passed and
// that still need action: those of a verified customer (to become tickets)
// and those whose visitor has not yet been told that nobody is free.
func (db *DB) DueHandoffs(ctx context.Context) ([]Conversation, error) {
	return db.queryConversations(ctx, "due hand-offs", "SELECT "+conversationColumns+` FROM chat_conversations
		WHERE status = 'waiting' AND handoff_deadline <= ? AND (customer_id IS NOT NULL OR timeout_notified = 0)
		ORDER BY handoff_deadline LIMIT 200`, nanos(db.now()))
}

// MarkHandoffTimedOut records that the visitor of a waiting conversation was
// told (msgs) that no agent is free and how to get an answer by email.
func (db *DB) MarkHandoffTimedOut(ctx context.Context, id int64, msgs []NewChatMessage, a Actor) (Conversation, []ChatMessage, error) {
	return db.changeConversation(ctx, id, msgs, a, func(tx *sql.Tx, c *Conversation) (string, map[string]any, error) {
		if c.Status != ChatStatusWaiting || c.TimeoutNotified {
			return "", nil, errUnchanged
		}
		c.TimeoutNotified = true
		_, err := tx.ExecContext(ctx, "UPDATE chat_conversations SET timeout_notified = 1 WHERE id = ?", id)
		return "chat.handoff_timed_out", nil, err
	})
}
