package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"safedesk/security"
)

// TicketUpdate changes a ticket; nil fields stay as they are. An AssigneeID
// of 0 unassigns.
type TicketUpdate struct {
	Status     *string
	Priority   *string
	AssigneeID *int64
}

// Validate checks the values that are set.
func (u TicketUpdate) Validate() error {
	var v ValidationError
	if u.Status != nil && !slices.Contains(TicketStatuses, *u.Status) {
		v.add("status", "Choose one of "+strings.Join(TicketStatuses, ", ")+".")
	}
	if u.Priority != nil && !slices.Contains(TicketPriorities, *u.Priority) {
		v.add("priority", "Choose one of "+strings.Join(TicketPriorities, ", ")+".")
	}
	if u.AssigneeID != nil && *u.AssigneeID < 0 {
		v.add("assignee", "Choose a staff member.")
	}
	return v.err()
}

// UpdateTicket applies u and records the changed fields (names only) in a
// ticket.updated audit entry, in one transaction. An assignee must be an
// active staff member who may work tickets. It returns the ticket as it is
// afterwards and the names of the fields that changed; when nothing changed
// nothing is written.
func (db *DB) UpdateTicket(ctx context.Context, id int64, u TicketUpdate, a Actor) (Ticket, []string, error) {
	if err := u.Validate(); err != nil {
		return Ticket{}, nil, err
	}
	var changed []string
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var status, priority string
		var assignee int64
		err := tx.QueryRowContext(ctx, "SELECT status, priority, COALESCE(assignee_id, 0) FROM tickets WHERE id = ?", id).Scan(&status, &priority, &assignee)
		from := status
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("store: update ticket: %w", err)
		}
		if u.Status != nil && *u.Status != status {
			status, changed = *u.Status, append(changed, "status")
		}
		if u.Priority != nil && *u.Priority != priority {
			priority, changed = *u.Priority, append(changed, "priority")
		}
		if u.AssigneeID != nil && *u.AssigneeID != assignee {
			if *u.AssigneeID != 0 {
				var role string
				var disabled sql.NullInt64
				err := tx.QueryRowContext(ctx, "SELECT role, disabled_at FROM staff WHERE id = ?", *u.AssigneeID).Scan(&role, &disabled)
				if errors.Is(err, sql.ErrNoRows) || (err == nil && (disabled.Valid || !security.Role(role).Can(security.PermTicketsWrite))) {
					return &ValidationError{Fields: map[string]string{"assignee": "No active staff member who works tickets has this id."}}
				}
				if err != nil {
					return fmt.Errorf("store: update ticket: %w", err)
				}
			}
			assignee, changed = *u.AssigneeID, append(changed, "assignee")
		}
		if len(changed) == 0 {
			return nil
		}
		var assigneeArg any
		if assignee != 0 {
			assigneeArg = assignee
		}
		if _, err := tx.ExecContext(ctx, "UPDATE tickets SET status = ?, priority = ?, assignee_id = ?, updated_at = ? WHERE id = ?",
			status, priority, assigneeArg, nanos(db.now()), id); err != nil {
			return fmt.Errorf("store: update ticket: %w", err)
		}
		if err := db.ticketMoved(ctx, tx, id, from, status); err != nil {
			return err
		}
		if err := db.refreshDue(ctx, tx, id); err != nil {
			return err
		}
		return db.appendAudit(ctx, tx, a, "ticket.updated", TicketTarget(id), updateDetails(changed, assignee))
	})
	if err != nil {
		return Ticket{}, nil, err
	}
	t, err := db.GetTicket(ctx, id)
	return t, changed, err
}

// SearchTickets is ListTickets with a free-text query and a cursor for the
// next page (0 when there is none). Subjects are sealed, so text matching
// happens here after opening them: q matches subjects case-insensitively
// as plain text (no pattern syntax of any kind). An email address is text
// like any other here: finding the tickets of an address reveals who is
// behind a masked customer, which is SearchTicketsByEmail's, audited. At
// most searchScanCap tickets are looked at per call; the cursor then
// continues.
func (db *DB) SearchTickets(ctx context.Context, f TicketFilter, q string) ([]Ticket, int64, error) {
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	q = strings.TrimSpace(q)
	if q == "" {
		ts, err := db.ListTickets(ctx, f)
		if err != nil || len(ts) < f.Limit {
			return ts, 0, err
		}
		return ts, ts[len(ts)-1].ID, nil
	}
	needle := strings.ToLower(q)
	want, scanned := f.Limit, 0
	f.Limit = 200
	var out []Ticket
	for scanned < searchScanCap {
		batch, err := db.ListTickets(ctx, f)
		if err != nil {
			return nil, 0, err
		}
		for _, t := range batch {
			scanned++
			f.moveTo(t.ID)
			if strings.Contains(strings.ToLower(t.Subject), needle) {
				out = append(out, t)
				if len(out) == want {
					return out, t.ID, nil
				}
			}
		}
		if len(batch) < f.Limit {
			return out, 0, nil
		}
	}
	return out, f.cursorID(), nil
}

const searchScanCap = 2000

// SearchTicketsByEmail lists, like SearchTickets without a query, the
// tickets of the customer with this address, found by the blind index;
// none when there is no such customer or f names another one. Whether an
// address is a customer, and which, is personal data: the search is
// recorded as a customer.pii_revealed audit entry by a (naming the customer
// found, or "customer:none"), whatever it finds. Callers let only those
// who may reveal personal data search this way.
func (db *DB) SearchTicketsByEmail(ctx context.Context, f TicketFilter, email string, a Actor) ([]Ticket, int64, error) {
	target := "customer:none"
	c, err := db.GetCustomerByEmail(ctx, strings.TrimSpace(email))
	switch {
	case err == nil:
		target = "customer:" + strconv.FormatInt(c.ID, 10)
	case !errors.Is(err, ErrNotFound):
		return nil, 0, err
	}
	if err := db.RecordAudit(ctx, a, "customer.pii_revealed", target, map[string]any{"via": "ticket search by email"}); err != nil {
		return nil, 0, err
	}
	if c.ID == 0 || f.CustomerID != 0 && f.CustomerID != c.ID {
		return nil, 0, nil
	}
	f.CustomerID = c.ID
	return db.SearchTickets(ctx, f, "")
}
