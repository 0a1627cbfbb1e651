package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Webhook events come from two append-only sources, each read past its own
// cursor by FanOutEvents:
//
//   - the audit log, for ticket.created, ticket.updated, message.created and
//     customer.erased: an audit entry is written in the same transaction as
//     the change it records, so every committed change gets its event, from
//     whichever part of safedesk made it (API, portal, admin panel, bot);
//   - the security events of severity critical, for security.alert: whatever
//     raises one (abuse detection, a leaked token, a failing webhook) alerts
//     the receivers too.

// webhookEvent turns an audit entry into an event and its data: ids and
// the least else a receiver needs. ok is false for entries that are no
// event.
func webhookEvent(action, target string, details []byte) (event string, data map[string]any, ok bool) {
	var d map[string]any
	if len(details) > 0 {
		json.Unmarshal(details, &d)
	}
	_, idText, _ := strings.Cut(target, ":")
	id, _ := strconv.ParseInt(idText, 10, 64)
	switch action {
	case "ticket.created":
		return EventTicketCreated, map[string]any{"ticket_id": id, "customer_id": d["customer"]}, true
	case "ticket.updated":
		return EventTicketUpdated, map[string]any{"ticket_id": id, "changed": d["changed"]}, true
	case "ticket.message_added":
		return EventMessageCreated, map[string]any{"ticket_id": id, "message_id": d["message"],
			"internal": d["internal"], "author_type": d["author"]}, true
	case "customer.erased":
		return EventCustomerErased, map[string]any{"customer_id": id}, true
	}
	return "", nil, false
}

// RecordSecurityAlert records a security alert: an audit entry and a
// critical security event (which admins are mailed about, and which fires
// security.alert), in one transaction. details must hold no personal data
// beyond the client address in a.
func (db *DB) RecordSecurityAlert(ctx context.Context, kind, target string, details map[string]any, a Actor) error {
	d := map[string]any{"kind": kind}
	for k, v := range details {
		d[k] = v
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		if err := db.appendAudit(ctx, tx, a, "security.alert", target, d); err != nil {
			return err
		}
		return db.insertSecurityEvent(ctx, tx, SecurityEvent{Kind: kind, Severity: SeverityCritical, ClientIP: a.ClientIP,
			Actor: actorString(a), Details: details})
	})
}

// insertSecurityEvent is RecordSecurityEvent inside a transaction.
func (db *DB) insertSecurityEvent(ctx context.Context, tx *sql.Tx, e SecurityEvent) error {
	details := []byte("{}")
	if len(e.Details) > 0 {
		var err error
		if details, err = json.Marshal(e.Details); err != nil {
			return fmt.Errorf("store: security event: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO security_events (at, kind, severity, client_ip, actor, details) VALUES (?, ?, ?, ?, ?, ?)",
		nanos(db.now()), e.Kind, e.Severity, e.ClientIP, e.Actor, string(details)); err != nil {
		return fmt.Errorf("store: security event: %w", err)
	}
	return nil
}

// fanOutBatch bounds how many entries of each source one FanOutEvents call
// reads.
const fanOutBatch = 500

// sourceEvent is one event read from the audit log or the security events.
type sourceEvent struct {
	seq, event int64 // its position in its source (one of them is 0)
	name       string
	payload    []byte
}

// webhookTarget is an active webhook and where its subscription starts.
type webhookTarget struct {
	id, sinceSeq, sinceEvent int64
	events                   []string
}

// FanOutEvents reads the audit log and the security events past the
// dispatcher's cursors and queues a delivery for every event and every
// active webhook subscribed to it, moving the cursors in the same
// transaction, so an event is queued exactly once. It returns how many
// deliveries were queued and whether more entries wait.
func (db *DB) FanOutEvents(ctx context.Context) (queued int, more bool, err error) {
	var seqCursor, eventCursor, seqHead, eventHead int64
	if err := db.read.QueryRowContext(ctx, `SELECT audit_seq, event_id, COALESCE((SELECT MAX(seq) FROM audit_log), 0),
		COALESCE((SELECT MAX(id) FROM security_events), 0) FROM webhook_cursor WHERE id = 1`).
		Scan(&seqCursor, &eventCursor, &seqHead, &eventHead); err != nil {
		return 0, false, fmt.Errorf("store: fan out: %w", err)
	}
	if seqHead <= seqCursor && eventHead <= eventCursor {
		return 0, false, nil
	}
	err = db.tx(ctx, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, "SELECT audit_seq, event_id FROM webhook_cursor WHERE id = 1").Scan(&seqCursor, &eventCursor); err != nil {
			return fmt.Errorf("store: fan out: %w", err)
		}
		hooks, err := activeWebhooks(ctx, tx)
		if err != nil {
			return err
		}
		audit, lastSeq, moreAudit, err := db.auditEvents(ctx, tx, seqCursor)
		if err != nil {
			return err
		}
		alerts, lastEvent, moreAlerts, err := securityAlerts(ctx, tx, eventCursor)
		if err != nil {
			return err
		}
		more = moreAudit || moreAlerts
		now := nanos(db.now())
		for _, e := range append(audit, alerts...) {
			for _, h := range hooks {
				if !slices.Contains(h.events, e.name) || (e.seq != 0 && e.seq <= h.sinceSeq) || (e.event != 0 && e.event <= h.sinceEvent) {
					continue
				}
				if _, err := tx.ExecContext(ctx, `INSERT INTO webhook_deliveries (webhook_id, msg_id, event, payload, next_attempt_at, created_at)
					VALUES (?, ?, ?, ?, ?, ?)`, h.id, "msg_"+rand.Text(), e.name, e.payload, now, now); err != nil {
					return fmt.Errorf("store: fan out: %w", err)
				}
				queued++
			}
		}
		if _, err := tx.ExecContext(ctx, "UPDATE webhook_cursor SET audit_seq = ?, event_id = ? WHERE id = 1",
			max(lastSeq, seqCursor), max(lastEvent, eventCursor)); err != nil {
			return fmt.Errorf("store: fan out: %w", err)
		}
		return nil
	})
	return queued, more, err
}

func activeWebhooks(ctx context.Context, tx *sql.Tx) ([]webhookTarget, error) {
	rows, err := tx.QueryContext(ctx, "SELECT id, created_seq, created_event, events FROM webhooks WHERE active = 1")
	if err != nil {
		return nil, fmt.Errorf("store: fan out: %w", err)
	}
	defer rows.Close()
	var out []webhookTarget
	for rows.Next() {
		var h webhookTarget
		var events string
		if err := rows.Scan(&h.id, &h.sinceSeq, &h.sinceEvent, &events); err != nil {
			return nil, fmt.Errorf("store: fan out: %w", err)
		}
		h.events = strings.Fields(events)
		out = append(out, h)
	}
	return out, rows.Err()
}

// eventPayload is the JSON body of a webhook event.
func eventPayload(name string, at int64, data map[string]any) ([]byte, error) {
	return json.Marshal(map[string]any{"type": name, "timestamp": fromNanos(at).Format(time.RFC3339Nano), "data": data})
}

// auditEvents reads up to fanOutBatch audit entries after seq and returns
// the events among them and the last seq read.
func (db *DB) auditEvents(ctx context.Context, tx *sql.Tx, after int64) ([]sourceEvent, int64, bool, error) {
	const q = "SELECT seq, at, action, target, details FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?"
	return readEvents(ctx, tx, q, after, func(rows *sql.Rows) (int64, *sourceEvent, error) {
		var seq, at int64
		var action, target string
		var details []byte
		if err := rows.Scan(&seq, &at, &action, &target, &details); err != nil {
			return 0, nil, err
		}
		name, data, ok := webhookEvent(action, target, details)
		if !ok {
			return seq, nil, nil
		}
		payload, err := eventPayload(name, at, data)
		return seq, &sourceEvent{seq: seq, name: name, payload: payload}, err
	})
}

// securityAlerts reads up to fanOutBatch security events after id and
// returns the critical ones as security.alert events, and the last id read.
func securityAlerts(ctx context.Context, tx *sql.Tx, after int64) ([]sourceEvent, int64, bool, error) {
	const q = "SELECT id, at, kind, severity, client_ip, details FROM security_events WHERE id > ? ORDER BY id LIMIT ?"
	return readEvents(ctx, tx, q, after, func(rows *sql.Rows) (int64, *sourceEvent, error) {
		var id, at int64
		var kind, severity, clientIP, details string
		if err := rows.Scan(&id, &at, &kind, &severity, &clientIP, &details); err != nil {
			return 0, nil, err
		}
		if severity != SeverityCritical {
			return id, nil, nil
		}
		var d map[string]any
		if err := json.Unmarshal([]byte(details), &d); err != nil {
			return 0, nil, fmt.Errorf("security event %d details: %w", id, err)
		}
		payload, err := eventPayload(EventSecurityAlert, at, map[string]any{
			"event_id": id, "kind": kind, "client_ip": clientIP, "details": d})
		return id, &sourceEvent{event: id, name: EventSecurityAlert, payload: payload}, err
	})
}

// readEvents runs q, which selects up to fanOutBatch rows after the cursor
// after, and turns each row into an event with scan, which returns the
// row's cursor and its event (nil for a row that makes none). It returns
// the events, the last cursor read and whether the batch was full.
func readEvents(ctx context.Context, tx *sql.Tx, q string, after int64, scan func(*sql.Rows) (int64, *sourceEvent, error)) ([]sourceEvent, int64, bool, error) {
	rows, err := tx.QueryContext(ctx, q, after, fanOutBatch)
	if err != nil {
		return nil, 0, false, fmt.Errorf("store: fan out: %w", err)
	}
	defer rows.Close()
	var out []sourceEvent
	last, n := after, 0
	for rows.Next() {
		cur, ev, err := scan(rows)
		if err != nil {
			return nil, 0, false, fmt.Errorf("store: fan out: %w", err)
		}
		last, n = cur, n+1
		if ev != nil {
			out = append(out, *ev)
		}
	}
	return out, last, n == fanOutBatch, rows.Err()
}
