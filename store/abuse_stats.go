package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// TrafficMinute is one minute of request counts for the security dashboard.
type TrafficMinute struct {
	Minute       int64 // Unix time / 60
	Requests     int64
	ClientErrors int64 // 4xx other than the guard's own refusals
	ServerErrors int64 // 5xx
	Limited      int64 // 429 from a rate limit or a throttle
	Blocked      int64 // 403 to a blocked client
}

// AddTraffic adds counts to their minutes in one transaction.
func (db *DB) AddTraffic(ctx context.Context, ms []TrafficMinute) error {
	if len(ms) == 0 {
		return nil
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		for _, m := range ms {
			_, err := tx.ExecContext(ctx, `INSERT INTO traffic_minutes (minute, requests, client_errors, server_errors, limited, blocked)
				VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (minute) DO UPDATE SET
				requests = requests + excluded.requests, client_errors = client_errors + excluded.client_errors,
				server_errors = server_errors + excluded.server_errors, limited = limited + excluded.limited,
				blocked = blocked + excluded.blocked`,
				m.Minute, m.Requests, m.ClientErrors, m.ServerErrors, m.Limited, m.Blocked)
			if err != nil {
				return fmt.Errorf("store: add traffic: %w", err)
			}
		}
		return nil
	})
}

// ListTraffic returns the stored minutes from since on, oldest first.
func (db *DB) ListTraffic(ctx context.Context, since time.Time) ([]TrafficMinute, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT minute, requests, client_errors, server_errors, limited, blocked
		FROM traffic_minutes WHERE minute >= ? ORDER BY minute`, since.Unix()/60)
	if err != nil {
		return nil, fmt.Errorf("store: traffic: %w", err)
	}
	defer rows.Close()
	var out []TrafficMinute
	for rows.Next() {
		var m TrafficMinute
		if err := rows.Scan(&m.Minute, &m.Requests, &m.ClientErrors, &m.ServerErrors, &m.Limited, &m.Blocked); err != nil {
			return nil, fmt.Errorf("store: traffic: %w", err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// EventCount is how many security events of one kind fell in one bucket.
type EventCount struct {
	Bucket int64 // the bucket's start in Unix nanoseconds
	Kind   string
	N      int64
}

// CountSecurityEvents counts the events since since by kind in buckets of
// the given width, oldest bucket first.
func (db *DB) CountSecurityEvents(ctx context.Context, since time.Time, width time.Duration) ([]EventCount, error) {
	if width <= 0 {
		width = time.Hour
	}
	w := int64(width)
	rows, err := db.read.QueryContext(ctx, `SELECT (at / ?) * ? AS bucket, kind, COUNT(*) FROM security_events
		WHERE at >= ? GROUP BY bucket, kind ORDER BY bucket, kind`, w, w, nanos(since))
	if err != nil {
		return nil, fmt.Errorf("store: count events: %w", err)
	}
	defer rows.Close()
	var out []EventCount
	for rows.Next() {
		var c EventCount
		if err := rows.Scan(&c.Bucket, &c.Kind, &c.N); err != nil {
			return nil, fmt.Errorf("store: count events: %w", err)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// CriticalEventsAfter returns up to limit critical security events with an
// id above after, oldest first: the alert mailer's feed.
func (db *DB) CriticalEventsAfter(ctx context.Context, after int64, limit int) ([]SecurityEvent, error) {
	return db.querySecurityEvents(ctx, "critical events", `SELECT id, at, kind, severity, client_ip, actor, details FROM security_events
		WHERE id > ? AND severity = 'critical' ORDER BY id LIMIT ?`, after, limit)
}

// LastSecurityEventID is the id of the newest security event, 0 if none.
func (db *DB) LastSecurityEventID(ctx context.Context) (int64, error) {
	var id int64
	if err := db.read.QueryRowContext(ctx, "SELECT COALESCE(MAX(id), 0) FROM security_events").Scan(&id); err != nil {
		return 0, fmt.Errorf("store: last event: %w", err)
	}
	return id, nil
}

// PruneSecurityData drops traffic counts older than keep, blocks that ended
// or were lifted more than keep ago, and the client records of sessions
// that no longer exist. Security events and the audit log are kept.
func (db *DB) PruneSecurityData(ctx context.Context, keep time.Duration) error {
	now := db.now()
	cut := now.Add(-keep)
	return db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "DELETE FROM traffic_minutes WHERE minute < ?", cut.Unix()/60); err != nil {
			return fmt.Errorf("store: prune: %w", err)
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM security_blocks WHERE until < ? OR lifted_at < ?", nanos(cut), nanos(cut)); err != nil {
			return fmt.Errorf("store: prune: %w", err)
		}
		// A client is bound to a session while its request runs, before scs
		// commits the session row, so only old orphans are certain.
		if _, err := tx.ExecContext(ctx, `DELETE FROM session_clients WHERE seen_at < ?
			AND NOT EXISTS (SELECT 1 FROM sessions s WHERE s.token_hash = session_clients.token_hash)`, nanos(now.Add(-time.Hour))); err != nil {
			return fmt.Errorf("store: prune: %w", err)
		}
		return nil
	})
}
