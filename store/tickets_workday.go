package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"time"
)

// The parts of tickets that the staff workday added (issue 15): the
// channel a ticket came from, due times kept current as messages arrive,
// and the queue's tag and due filters.

// channel is where a new ticket came from: its Channel, or the API for a
// token, or the portal.
func (t NewTicket) channel(a Actor) string {
	switch {
	case t.Channel != "":
		return t.Channel
	case a.Type == ActorToken:
		return "api"
	}
	return "portal"
}

// messageMoved records inside tx what message m means for the ticket's due
// time: a staff reply (not a note) is the first response when none was
// given since the ticket was opened; a customer reopening a solved ticket
// restarts its targets (ticketMoved).
func (db *DB) messageMoved(ctx context.Context, tx *sql.Tx, id int64, m NewMessage, from, to string) error {
	if m.AuthorType == "staff" && !m.Internal {
		if err := db.staffResponded(ctx, tx, id); err != nil {
			return err
		}
	}
	if err := db.ticketMoved(ctx, tx, id, from, to); err != nil {
		return err
	}
	return db.refreshDue(ctx, tx, id)
}

// workdayFilter adds the conditions of f's tag and due filters to where and
// args and returns the ORDER BY clause: newest first, or soonest due first
// (only tickets with a due time).
func (db *DB) workdayFilter(ctx context.Context, f TicketFilter, where []string, args []any) ([]string, []any, string, error) {
	if f.Tag != "" {
		cond, arg, err := db.tagCondition(ctx, f.Tag, f.ByDue)
		if err != nil {
			return nil, nil, "", err
		}
		where, args = append(where, cond), append(args, arg...)
	}
	if !f.DueBy.IsZero() {
		where, args = append(where, "t.due_at <= ?"), append(args, nanos(f.DueBy))
	}
	if !f.ByDue {
		if f.Before > 0 {
			where, args = append(where, "t.id < ?"), append(args, f.Before)
		}
		return where, args, " ORDER BY t.id DESC", nil
	}
	where = append(where, "t.due_at IS NOT NULL")
	if f.After > 0 {
		where = append(where, "(t.due_at, t.id) > (SELECT due_at, id FROM tickets WHERE id = ?)")
		args = append(args, f.After)
	}
	return where, args, " ORDER BY t.due_at, t.id", nil
}

// manyTagged is how many tickets a tag must carry before the queue sorted
// by due time walks the due index and skips the others, rather than sort
// all the tagged ones.
const manyTagged = 1000

// tagCondition is the condition of the tickets carrying label: none when no
// ticket does. Sorted by due time, a label many tickets carry is checked
// against the due index in order ("+t.id" keeps SQLite from fetching and
// sorting every tagged ticket first), which stops at the first page; one
// few carry is looked up and sorted.
func (db *DB) tagCondition(ctx context.Context, label string, byDue bool) (string, []any, error) {
	t, problem := NormalizeTag(label)
	if problem != "" {
		return "0", nil, nil
	}
	var id, n int64
	err := db.read.QueryRowContext(ctx, "SELECT id, (SELECT COUNT(*) FROM ticket_tags WHERE tag_id = tags.id) FROM tags WHERE label_index = ?",
		db.tagIndex(t)).Scan(&id, &n)
	if errors.Is(err, sql.ErrNoRows) {
		return "0", nil, nil
	}
	if err != nil {
		return "", nil, fmt.Errorf("store: tag filter: %w", err)
	}
	cond := "t.id IN (SELECT ticket_id FROM ticket_tags WHERE tag_id = ?)"
	if byDue && n >= manyTagged {
		cond = "+" + cond
	}
	return cond, []any{id}, nil
}

// updateDetails are the details of a ticket.updated audit entry: the
// fields changed and, when it changed, the assignee by id (whom web/notify
// tells).
func updateDetails(changed []string, assignee int64) map[string]any {
	d := map[string]any{"changed": changed}
	if slices.Contains(changed, "assignee") {
		d["assignee"] = assignee
	}
	return d
}

// moveTo sets f's cursor to the ticket with this id, for the next batch.
func (f *TicketFilter) moveTo(id int64) {
	if f.ByDue {
		f.After = id
	} else {
		f.Before = id
	}
}

// cursorID is f's cursor: the ticket the next batch starts after.
func (f TicketFilter) cursorID() int64 {
	if f.ByDue {
		return f.After
	}
	return f.Before
}

// nullTime scans a nullable Unix-nanosecond column into a time.Time, zero
// for NULL.
type nullTime time.Time

// Scan implements sql.Scanner.
func (n *nullTime) Scan(v any) error {
	var x sql.NullInt64
	if err := x.Scan(v); err != nil {
		return err
	}
	*n = nullTime(fromNullNanos(x))
	return nil
}
