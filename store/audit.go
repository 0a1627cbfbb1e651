package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"safedesk/security"
)

// Actor types recorded in the audit log.
const (
	ActorSystem   = "system"
	ActorCustomer = "customer"
	ActorStaff    = "staff"
	ActorVisitor  = "visitor"
	ActorToken    = "token"
)

// Actor is who did something: a type and an id (never an email address).
type Actor struct {
	Type     string
	ID       string
	ClientIP string
}

// SystemActor is the server itself (migrations, schedules, the command line).
var SystemActor = Actor{Type: ActorSystem, ID: "safedesk"}

// AuditEntry is one row of the audit log as read back.
type AuditEntry struct {
	Seq      int64
	At       time.Time
	Actor    Actor
	Action   string
	Target   string
	Details  map[string]any
	PrevHash []byte
	Hash     []byte
}

// appendAudit writes one audit entry inside tx, chained to the entry before
// it. Details must hold no personal data in the clear: refer to customers by
// id. Because it runs in the caller's transaction, the entry exists exactly
// when the change it records does.
func (db *DB) appendAudit(ctx context.Context, tx *sql.Tx, a Actor, action, target string, details map[string]any) error {
	var detailBytes []byte
	if len(details) > 0 {
		b, err := json.Marshal(details)
		if err != nil {
			return fmt.Errorf("store: audit details: %w", err)
		}
		detailBytes = b
	}
	var prevSeq int64
	var prevHash []byte
	err := tx.QueryRowContext(ctx, "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").Scan(&prevSeq, &prevHash)
	if errors.Is(err, sql.ErrNoRows) {
		prevHash = security.GenesisHash()
	} else if err != nil {
		return fmt.Errorf("store: audit head: %w", err)
	}
	rec := security.AuditRecord{
		Seq: prevSeq + 1, At: db.now().UTC(),
		ActorType: a.Type, ActorID: a.ID, Action: action, Target: target, ClientIP: a.ClientIP,
		Details: detailBytes, PrevHash: prevHash,
	}
	hash := security.HashAuditRecord(rec)
	_, err = tx.ExecContext(ctx, `INSERT INTO audit_log
		(seq, at, actor_type, actor_id, action, target, client_ip, details, prev_hash, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		rec.Seq, nanos(rec.At), rec.ActorType, rec.ActorID, rec.Action, rec.Target, rec.ClientIP,
		detailBytes, rec.PrevHash, hash)
	if err != nil {
		return fmt.Errorf("store: append audit: %w", err)
	}
	return nil
}

// RecordAudit appends an entry that records no other change (a sign-in
// failure, a PII reveal, an export).
func (db *DB) RecordAudit(ctx context.Context, a Actor, action, target string, details map[string]any) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		return db.appendAudit(ctx, tx, a, action, target, details)
	})
}

// AuditFilter narrows ListAudit. Zero fields match everything.
type AuditFilter struct {
	After  int64 // only entries with seq > After
	Action string
	Limit  int
}

// ListAudit returns entries in seq order.
func (db *DB) ListAudit(ctx context.Context, f AuditFilter) ([]AuditEntry, error) {
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 100
	}
	rows, err := db.read.QueryContext(ctx, `SELECT seq, at, actor_type, actor_id, action, target, client_ip, details, prev_hash, hash
		FROM audit_log WHERE seq > ? AND (? = '' OR action = ?) ORDER BY seq LIMIT ?`,
		f.After, f.Action, f.Action, f.Limit)
	if err != nil {
		return nil, fmt.Errorf("store: list audit: %w", err)
	}
	defer rows.Close()
	var out []AuditEntry
	for rows.Next() {
		var e AuditEntry
		var at int64
		var details []byte
		if err := rows.Scan(&e.Seq, &at, &e.Actor.Type, &e.Actor.ID, &e.Action, &e.Target, &e.Actor.ClientIP, &details, &e.PrevHash, &e.Hash); err != nil {
			return nil, fmt.Errorf("store: list audit: %w", err)
		}
		e.At = fromNanos(at)
		if len(details) > 0 {
			json.Unmarshal(details, &e.Details)
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// VerifyAudit recomputes the hash chain over the whole log and returns the
// number of entries, or an error naming the first bad seq.
func (db *DB) VerifyAudit(ctx context.Context) (int64, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT seq, at, actor_type, actor_id, action, target, client_ip, details, prev_hash, hash
		FROM audit_log ORDER BY seq`)
	if err != nil {
		return 0, fmt.Errorf("store: verify audit: %w", err)
	}
	defer rows.Close()
	v := security.NewChainVerifier()
	var n int64
	for rows.Next() {
		var r security.AuditRecord
		var at int64
		var hash []byte
		if err := rows.Scan(&r.Seq, &at, &r.ActorType, &r.ActorID, &r.Action, &r.Target, &r.ClientIP, &r.Details, &r.PrevHash, &hash); err != nil {
			return n, fmt.Errorf("store: verify audit: %w", err)
		}
		r.At = fromNanos(at)
		if err := v.Add(r, hash); err != nil {
			return n, err
		}
		n++
	}
	if err := rows.Err(); err != nil {
		return n, fmt.Errorf("store: verify audit: %w", err)
	}
	return n, v.Finish()
}
