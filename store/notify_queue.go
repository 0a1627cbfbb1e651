package store

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"safedesk/security"
)

// QueueDueSoon queues a due_soon notification for every open ticket whose
// due time falls within the next window (not yet passed): to its assignee,
// or to everyone who works tickets when nobody is assigned. A ticket is
// announced once per due time, however often this runs. It returns how
// many were queued.
func (db *DB) QueueDueSoon(ctx context.Context, window time.Duration) (int, error) {
	now := db.now()
	n := 0
	err := db.tx(ctx, func(tx *sql.Tx) error {
		staff, err := recipients(ctx, tx)
		if err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT id, due_at, COALESCE(assignee_id, 0) FROM tickets
			WHERE status = 'open' AND due_at > ? AND due_at <= ? ORDER BY due_at`, nanos(now), nanos(now.Add(window)))
		if err != nil {
			return fmt.Errorf("store: due soon: %w", err)
		}
		type due struct{ id, at, assignee int64 }
		var all []due
		for rows.Next() {
			var d due
			if err := rows.Scan(&d.id, &d.at, &d.assignee); err != nil {
				rows.Close()
				return fmt.Errorf("store: due soon: %w", err)
			}
			all = append(all, d)
		}
		if err := rows.Close(); err != nil {
			return fmt.Errorf("store: due soon: %w", err)
		}
		for _, d := range all {
			who := only(staff, d.assignee)
			if d.assignee == 0 {
				who = withPerm(staff, security.PermTicketsWrite)
			}
			source := "due:" + strconv.FormatInt(d.id, 10) + ":" + strconv.FormatInt(d.at, 10)
			for _, r := range who {
				ok, err := db.queue(ctx, tx, r, NotifyDueSoon, source, d.id, 0)
				if err != nil {
					return err
				}
				if ok {
					n++
				}
			}
		}
		return nil
	})
	return n, err
}

// ClaimNotifications takes the waiting notifications, those of the daily
// digest or the others, and marks them sent in the same statement, so
// that no two senders (and no second call) ever take the same one. They
// come ordered by person, then as they arrived. A sender that could not
// deliver gives them back with ReleaseNotifications.
func (db *DB) ClaimNotifications(ctx context.Context, digest bool) ([]Notification, error) {
	var out []Notification
	err := db.tx(ctx, func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `UPDATE staff_notifications SET sent_at = ? WHERE sent_at IS NULL AND digest = ?
			RETURNING id, staff_id, event, COALESCE(ticket_id, 0), COALESCE(chat_id, 0), created_at`, nanos(db.now()), digest)
		if err != nil {
			return fmt.Errorf("store: claim notifications: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var n Notification
			var created int64
			if err := rows.Scan(&n.ID, &n.StaffID, &n.Event, &n.TicketID, &n.ChatID, &created); err != nil {
				return fmt.Errorf("store: claim notifications: %w", err)
			}
			n.CreatedAt = fromNanos(created)
			out = append(out, n)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b Notification) int { return cmp.Or(cmp.Compare(a.StaffID, b.StaffID), cmp.Compare(a.ID, b.ID)) })
	return out, nil
}

// ReleaseNotifications puts claimed notifications back in the queue, for a
// mail that the relay could not take for now.
func (db *DB) ReleaseNotifications(ctx context.Context, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	_, err := db.write.ExecContext(ctx, "UPDATE staff_notifications SET sent_at = NULL WHERE id IN ("+strings.Repeat(",?", len(ids))[1:]+")", args...)
	if err != nil {
		return fmt.Errorf("store: release notifications: %w", err)
	}
	return nil
}

// PruneNotifications deletes notifications sent before cut.
func (db *DB) PruneNotifications(ctx context.Context, cut time.Time) (int64, error) {
	n, err := changed(db.write.ExecContext(ctx, "DELETE FROM staff_notifications WHERE sent_at IS NOT NULL AND sent_at < ?", nanos(cut)))
	if err != nil {
		return 0, fmt.Errorf("store: prune notifications: %w", err)
	}
	return n, nil
}
