package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
)

// filedByOwner reports whether a ticket of customer cid filed by a is
// confirmed from the start: a is that customer, or acts for the business.
func filedByOwner(a Actor, cid int64) bool {
	switch a.Type {
	case ActorCustomer:
		return a.ID == strconv.FormatInt(cid, 10)
	case ActorVisitor, "":
		return false
	}
	return true
}

// ConfirmTicket marks a ticket as filed by its customer (a staff member
// decided so), so that it joins the customer's own views; the audit entry
// names a. It reports whether anything changed: a confirmed ticket stays
// as it is. A missing ticket is ErrNotFound.
func (db *DB) ConfirmTicket(ctx context.Context, id int64, a Actor) (bool, error) {
	var changed bool
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var customerID int64
		var confirmed bool
		err := tx.QueryRowContext(ctx, "SELECT customer_id, confirmed FROM tickets WHERE id = ?", id).Scan(&customerID, &confirmed)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("store: confirm ticket: %w", err)
		}
		if confirmed {
			return nil
		}
		changed = true
		return db.confirmTicket(ctx, tx, id, customerID, "staff", a)
	})
	return changed, err
}

// confirmTicket confirms ticket id inside tx when it belongs to customerID
// and is not confirmed yet, and audits how (by: "code" or "staff").
func (db *DB) confirmTicket(ctx context.Context, tx *sql.Tx, id, customerID int64, by string, a Actor) error {
	n, err := changed(tx.ExecContext(ctx, "UPDATE tickets SET confirmed = 1 WHERE id = ? AND customer_id = ? AND confirmed = 0", id, customerID))
	if err != nil {
		return fmt.Errorf("store: confirm ticket: %w", err)
	}
	if n == 0 {
		return nil
	}
	return db.appendAudit(ctx, tx, a, "ticket.confirmed", TicketTarget(id), map[string]any{"customer": customerID, "by": by})
}
