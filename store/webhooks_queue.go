package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Delivery is one queued message for one webhook, ready to send.
type Delivery struct {
	ID        int64
	WebhookID int64
	MsgID     string // the webhook-id header; the same on every retry
	Event     string
	Payload   []byte
	Attempts  int // attempts made before this one
	URL       string
	Secret    string
}

// ClaimDeliveries takes up to limit due deliveries of active webhooks and
// leases them: each is not due again until lease has passed, so one that
// is being sent when the process dies is retried after the lease.
func (db *DB) ClaimDeliveries(ctx context.Context, limit int, lease time.Duration) ([]Delivery, error) {
	var out []Delivery
	type sealed struct{ url, secret []byte }
	var raw []sealed
	err := db.tx(ctx, func(tx *sql.Tx) error {
		now := db.now()
		rows, err := tx.QueryContext(ctx, `SELECT d.id, d.webhook_id, d.msg_id, d.event, d.payload, d.attempts, w.url, w.secret
			FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
			WHERE d.state = 'pending' AND d.next_attempt_at <= ? AND w.active = 1
			ORDER BY d.next_attempt_at, d.id LIMIT ?`, nanos(now), limit)
		if err != nil {
			return fmt.Errorf("store: claim deliveries: %w", err)
		}
		for rows.Next() {
			var d Delivery
			var s sealed
			if err := rows.Scan(&d.ID, &d.WebhookID, &d.MsgID, &d.Event, &d.Payload, &d.Attempts, &s.url, &s.secret); err != nil {
				rows.Close()
				return fmt.Errorf("store: claim deliveries: %w", err)
			}
			out, raw = append(out, d), append(raw, s)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("store: claim deliveries: %w", err)
		}
		for _, d := range out {
			if _, err := tx.ExecContext(ctx, "UPDATE webhook_deliveries SET next_attempt_at = ? WHERE id = ?", nanos(now.Add(lease)), d.ID); err != nil {
				return fmt.Errorf("store: claim deliveries: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for i := range out {
		if out[i].URL, err = db.systemKey.OpenString(raw[i].url, webhookLoc(out[i].WebhookID, "url")); err != nil {
			return nil, err
		}
		if out[i].Secret, err = db.systemKey.OpenString(raw[i].secret, webhookLoc(out[i].WebhookID, "secret")); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// NextDeliveryAt is when the earliest pending delivery of an active webhook
// is due, or the zero time when none is pending.
func (db *DB) NextDeliveryAt(ctx context.Context) (time.Time, error) {
	var next sql.NullInt64
	err := db.read.QueryRowContext(ctx, `SELECT MIN(d.next_attempt_at) FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
		WHERE d.state = 'pending' AND w.active = 1`).Scan(&next)
	if err != nil {
		return time.Time{}, fmt.Errorf("store: next delivery: %w", err)
	}
	return fromNullNanos(next), nil
}

// DeliveryAttempt is the outcome of one attempt.
type DeliveryAttempt struct {
	StatusCode int    // 0 when no response came
	Error      string // short, with no URL in it
	Duration   time.Duration
}

// OK reports a 2xx answer.
func (a DeliveryAttempt) OK() bool { return a.StatusCode >= 200 && a.StatusCode < 300 }

// DeliveryResult is what FinishDelivery decided.
type DeliveryResult struct {
	Final    bool // delivered, or failed for good
	Disabled bool // the webhook was disabled by this failure
}

// FinishDelivery logs an attempt and moves the delivery on: delivered on a
// 2xx; otherwise retried after retryIn, or failed for good when retryIn is
// negative. Each failed attempt counts against the webhook; at disableAfter
// consecutive failures it is disabled, which is audited and recorded as a
// critical security event (so admins are alerted and security.alert fires),
// in the same transaction.
func (db *DB) FinishDelivery(ctx context.Context, id int64, at DeliveryAttempt, retryIn time.Duration, disableAfter int) (DeliveryResult, error) {
	var res DeliveryResult
	err := db.tx(ctx, func(tx *sql.Tx) error {
		now := db.now()
		var webhookID int64
		var attempts int
		err := tx.QueryRowContext(ctx, "SELECT webhook_id, attempts FROM webhook_deliveries WHERE id = ? AND state = 'pending'", id).Scan(&webhookID, &attempts)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound // deleted with its webhook meanwhile
		}
		if err != nil {
			return fmt.Errorf("store: finish delivery: %w", err)
		}
		attempts++
		if _, err := tx.ExecContext(ctx, `INSERT INTO webhook_attempts (delivery_id, webhook_id, attempt, at, status_code, error, duration_ms)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, id, webhookID, attempts, nanos(now), at.StatusCode, shortError(at.Error), at.Duration.Milliseconds()); err != nil {
			return fmt.Errorf("store: finish delivery: %w", err)
		}
		if at.OK() {
			res.Final = true
			if _, err := tx.ExecContext(ctx, "UPDATE webhook_deliveries SET state = 'delivered', attempts = ?, finished_at = ? WHERE id = ?", attempts, nanos(now), id); err != nil {
				return fmt.Errorf("store: finish delivery: %w", err)
			}
			_, err := tx.ExecContext(ctx, "UPDATE webhooks SET failures = 0 WHERE id = ? AND failures != 0", webhookID)
			return err
		}
		if retryIn < 0 {
			res.Final = true
			_, err = tx.ExecContext(ctx, "UPDATE webhook_deliveries SET state = 'failed', attempts = ?, finished_at = ? WHERE id = ?", attempts, nanos(now), id)
		} else {
			_, err = tx.ExecContext(ctx, "UPDATE webhook_deliveries SET attempts = ?, next_attempt_at = ? WHERE id = ?", attempts, nanos(now.Add(retryIn)), id)
		}
		if err != nil {
			return fmt.Errorf("store: finish delivery: %w", err)
		}
		var failures int
		var active bool
		if err := tx.QueryRowContext(ctx, "UPDATE webhooks SET failures = failures + 1 WHERE id = ? RETURNING failures, active", webhookID).Scan(&failures, &active); err != nil {
			return fmt.Errorf("store: finish delivery: %w", err)
		}
		if !active || disableAfter <= 0 || failures < disableAfter {
			return nil
		}
		reason := fmt.Sprintf("%d consecutive failed deliveries", failures)
		if _, err := tx.ExecContext(ctx, "UPDATE webhooks SET active = 0, disabled_at = ?, disabled_reason = ? WHERE id = ?", nanos(now), reason, webhookID); err != nil {
			return fmt.Errorf("store: finish delivery: %w", err)
		}
		res.Disabled = true
		if err := db.appendAudit(ctx, tx, SystemActor, "webhook.disabled", WebhookTarget(webhookID), map[string]any{"failures": failures}); err != nil {
			return err
		}
		return db.insertSecurityEvent(ctx, tx, SecurityEvent{Kind: "webhook.disabled", Severity: SeverityCritical,
			Actor: actorString(SystemActor), Details: map[string]any{"webhook_id": webhookID, "failures": failures}})
	})
	return res, err
}

// shortError keeps an error message to one line of at most 200 characters.
func shortError(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) > 200 {
		s = string([]rune(s)[:200]) + "…"
	}
	return s
}

// DeliveryLogEntry is one attempt in a webhook's delivery log.
type DeliveryLogEntry struct {
	ID         int64 // the attempt
	DeliveryID int64
	MsgID      string
	Event      string
	State      string // of the delivery: pending, delivered, failed
	Attempt    int
	At         time.Time
	StatusCode int
	Error      string
	Duration   time.Duration
}

// ListDeliveryLog returns a webhook's attempts, newest first, with id below
// before when it is positive.
func (db *DB) ListDeliveryLog(ctx context.Context, webhookID, before int64, limit int) ([]DeliveryLogEntry, error) {
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	rows, err := db.read.QueryContext(ctx, `SELECT a.id, a.delivery_id, d.msg_id, d.event, d.state, a.attempt, a.at, a.status_code, a.error, a.duration_ms
		FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id
		WHERE a.webhook_id = ? AND (? <= 0 OR a.id < ?) ORDER BY a.id DESC LIMIT ?`, webhookID, before, before, limit)
	if err != nil {
		return nil, fmt.Errorf("store: delivery log: %w", err)
	}
	defer rows.Close()
	var out []DeliveryLogEntry
	for rows.Next() {
		var e DeliveryLogEntry
		var at, ms int64
		if err := rows.Scan(&e.ID, &e.DeliveryID, &e.MsgID, &e.Event, &e.State, &e.Attempt, &at, &e.StatusCode, &e.Error, &ms); err != nil {
			return nil, fmt.Errorf("store: delivery log: %w", err)
		}
		e.At, e.Duration = fromNanos(at), time.Duration(ms)*time.Millisecond
		out = append(out, e)
	}
	return out, rows.Err()
}

// PruneDeliveries removes finished deliveries (and their log) older than
// age, returning how many went.
func (db *DB) PruneDeliveries(ctx context.Context, age time.Duration) (int64, error) {
	res, err := db.write.ExecContext(ctx, "DELETE FROM webhook_deliveries WHERE state != 'pending' AND finished_at < ?", nanos(db.now().Add(-age)))
	if err != nil {
		return 0, fmt.Errorf("store: prune deliveries: %w", err)
	}
	return res.RowsAffected()
}
