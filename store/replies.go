package store

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// SavedReply is a reply template of the team. Its body may hold the
// placeholders of ReplyPlaceholders, written {{name}}, which FillReply
// replaces with the ticket's values; Status, when set, is what the ticket
// becomes when a reply made from it is sent.
type SavedReply struct {
	ID        int64
	Title     string
	Body      string
	Status    string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// ReplyPlaceholders are the placeholders a saved reply may use.
var ReplyPlaceholders = []string{"customer.first_name", "ticket.id", "agent.name"}

// placeholderRe finds {{ name }} in a template.
var placeholderRe = regexp.MustCompile(`\{\{\s*([^{}]*?)\s*\}\}`)

// MaxReplyTitleLen bounds a saved reply's title.
const MaxReplyTitleLen = 100

// ReplyTarget is how the audit log names a saved reply.
func ReplyTarget(id int64) string { return "reply:" + strconv.FormatInt(id, 10) }

// Validate checks the title, the body, the status and every placeholder: one
// that does not exist is refused with the list of those that do.
func (r SavedReply) Validate() error {
	var v ValidationError
	checkText(&v, "title", r.Title, MaxReplyTitleLen, true, "a title")
	checkText(&v, "body", r.Body, MaxBodyLen, true, "the reply")
	if r.Status != "" && !slices.Contains(TicketStatuses, r.Status) {
		v.add("status", "Choose one of "+strings.Join(TicketStatuses, ", ")+", or leave the status as it is.")
	}
	valid := "{{" + strings.Join(ReplyPlaceholders, "}}, {{") + "}}"
	for _, m := range placeholderRe.FindAllStringSubmatch(r.Body, -1) {
		if !slices.Contains(ReplyPlaceholders, m[1]) {
			v.add("body", fmt.Sprintf("There is no placeholder %s. Use one of %s.", m[0], valid))
		}
	}
	if rest := placeholderRe.ReplaceAllString(r.Body, ""); strings.Contains(rest, "{{") || strings.Contains(rest, "}}") {
		v.add("body", "A placeholder is not closed: write it as {{ticket.id}}. Use one of "+valid+".")
	}
	return v.err()
}

// ReplyValues are what the placeholders become for one ticket.
type ReplyValues struct {
	CustomerFirstName string
	TicketID          int64
	AgentName         string
}

// FillReply replaces the placeholders of body with v. The result is plain
// text, like every reply: whatever a value holds stays text (pages escape
// it when they show it).
func FillReply(body string, v ReplyValues) string {
	return placeholderRe.ReplaceAllStringFunc(body, func(m string) string {
		switch placeholderRe.FindStringSubmatch(m)[1] {
		case "customer.first_name":
			return v.CustomerFirstName
		case "ticket.id":
			return strconv.FormatInt(v.TicketID, 10)
		case "agent.name":
			return v.AgentName
		}
		return m
	})
}

// SaveReply validates r and stores it, new when r.ID is 0, with an audit
// entry. A title that another reply has is a ValidationError.
func (db *DB) SaveReply(ctx context.Context, r SavedReply, a Actor) (SavedReply, error) {
	r.Title, r.Body = strings.TrimSpace(r.Title), strings.TrimSpace(r.Body)
	if err := r.Validate(); err != nil {
		return SavedReply{}, err
	}
	now := db.now()
	r.UpdatedAt = now
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var err error
		if r.ID == 0 {
			r.CreatedAt = now
			err = tx.QueryRowContext(ctx, `INSERT INTO saved_replies (title, body, status, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
				RETURNING id`, r.Title, r.Body, r.Status, nanos(now), nanos(now)).Scan(&r.ID)
		} else {
			var created int64
			err = tx.QueryRowContext(ctx, "UPDATE saved_replies SET title = ?, body = ?, status = ?, updated_at = ? WHERE id = ? RETURNING created_at",
				r.Title, r.Body, r.Status, nanos(now), r.ID).Scan(&created)
			r.CreatedAt = fromNanos(created)
		}
		switch {
		case violates(err, uniqueViolation):
			return &ValidationError{Fields: map[string]string{"title": "Another saved reply has this title."}}
		case err != nil:
			return fmt.Errorf("store: save reply: %w", notFound(err))
		}
		return db.appendAudit(ctx, tx, a, "reply.saved", ReplyTarget(r.ID), nil)
	})
	if err != nil {
		return SavedReply{}, err
	}
	return r, nil
}

const replySelect = "SELECT id, title, body, status, created_at, updated_at FROM saved_replies"

func scanReply(row rowScanner) (SavedReply, error) {
	var r SavedReply
	var created, updated int64
	if err := row.Scan(&r.ID, &r.Title, &r.Body, &r.Status, &created, &updated); err != nil {
		return SavedReply{}, fmt.Errorf("store: saved reply: %w", notFound(err))
	}
	r.CreatedAt, r.UpdatedAt = fromNanos(created), fromNanos(updated)
	return r, nil
}

// GetReply returns a saved reply by id.
func (db *DB) GetReply(ctx context.Context, id int64) (SavedReply, error) {
	return scanReply(db.read.QueryRowContext(ctx, replySelect+" WHERE id = ?", id))
}

// ListReplies returns every saved reply by title.
func (db *DB) ListReplies(ctx context.Context) ([]SavedReply, error) {
	rows, err := db.read.QueryContext(ctx, replySelect+" ORDER BY title COLLATE NOCASE")
	if err != nil {
		return nil, fmt.Errorf("store: list replies: %w", err)
	}
	defer rows.Close()
	var out []SavedReply
	for rows.Next() {
		r, err := scanReply(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// DeleteReply deletes a saved reply, audited.
func (db *DB) DeleteReply(ctx context.Context, id int64, a Actor) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		n, err := changed(tx.ExecContext(ctx, "DELETE FROM saved_replies WHERE id = ?", id))
		if err != nil {
			return fmt.Errorf("store: delete reply: %w", err)
		}
		if n == 0 {
			return ErrNotFound
		}
		return db.appendAudit(ctx, tx, a, "reply.deleted", ReplyTarget(id), nil)
	})
}
