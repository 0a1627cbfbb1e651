package store

import (
	"context"
	"database/sql"
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
func (db *DB) workdayFilter(f TicketFilter, where []string, args []any) ([]string, []any, string) {
	if f.Tag != "" {
		t, problem := NormalizeTag(f.Tag)
		if problem != "" {
			where = append(where, "0")
		} else {
			where = append(where, "t.id IN (SELECT tt.ticket_id FROM ticket_tags tt JOIN tags g ON g.id = tt.tag_id WHERE g.label_index = ?)")
			args = append(args, db.tagIndex(t))
		}
	}
	if !f.DueBy.IsZero() {
		where, args = append(where, "t.due_at <= ?"), append(args, nanos(f.DueBy))
	}
	if !f.ByDue {
		if f.Before > 0 {
			where, args = append(where, "t.id < ?"), append(args, f.Before)
		}
		return where, args, " ORDER BY t.id DESC"
	}
	where = append(where, "t.due_at IS NOT NULL")
	if f.After > 0 {
		where = append(where, "(t.due_at, t.id) > (SELECT due_at, id FROM tickets WHERE id = ?)")
		args = append(args, f.After)
	}
	return where, args, " ORDER BY t.due_at, t.id"
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
