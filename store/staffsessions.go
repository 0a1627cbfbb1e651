package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"safedesk/security"
)

// ErrSessionExists refuses a sign-in under the "block" policy while another
// session of the same person lives.
var ErrSessionExists = errors.New("store: already signed in elsewhere")

// Concurrent-session policies.
const (
	SessionsReplace = "replace" // a new sign-in ends the person's other sessions
	SessionsBlock   = "block"   // a new sign-in is refused while another session lives
)

// StaffSession is one signed-in browser of a staff member.
type StaffSession struct {
	TokenHash    []byte
	StaffID      int64
	Device       string
	ClientIP     string
	CreatedAt    time.Time
	LastSeenAt   time.Time
	RevokedAt    time.Time
	RevokeReason string
}

// Live reports whether the session was not revoked.
func (s StaffSession) Live() bool { return s.RevokedAt.IsZero() }

// StartStaffSession records a sign-in. Sessions idle for longer than idle
// or older than lifetime no longer count as living for the policy.
func (db *DB) StartStaffSession(ctx context.Context, sess StaffSession, policy string, idle, lifetime time.Duration, a Actor) (replaced int64, err error) {
	now := db.now()
	err = db.tx(ctx, func(tx *sql.Tx) error {
		if policy == SessionsBlock {
			var n int
			if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM staff_sessions WHERE staff_id = ? AND revoked_at IS NULL
				AND last_seen_at > ? AND created_at > ?`, sess.StaffID, nanos(now.Add(-idle)), nanos(now.Add(-lifetime))).Scan(&n); err != nil {
				return fmt.Errorf("store: start session: %w", err)
			}
			if n > 0 {
				return ErrSessionExists
			}
		} else {
			if replaced, err = db.revokeStaffSessions(ctx, tx, sess.StaffID, sess.TokenHash, "signed in on another device"); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO staff_sessions (token_hash, staff_id, device, client_ip, created_at, last_seen_at)
			VALUES (?, ?, ?, ?, ?, ?)`, sess.TokenHash, sess.StaffID, sess.Device, sess.ClientIP, nanos(now), nanos(now)); err != nil {
			return fmt.Errorf("store: start session: %w", err)
		}
		return db.appendAudit(ctx, tx, a, "staff.signed_in", StaffTarget(sess.StaffID), map[string]any{"replaced_sessions": replaced})
	})
	return replaced, err
}

// GetStaffSession returns the staff session with this token hash.
func (db *DB) GetStaffSession(ctx context.Context, tokenHash []byte) (StaffSession, error) {
	var s StaffSession
	var created, seen int64
	var revoked sql.NullInt64
	var reason sql.NullString
	err := db.read.QueryRowContext(ctx, `SELECT token_hash, staff_id, device, client_ip, created_at, last_seen_at, revoked_at, revoke_reason
		FROM staff_sessions WHERE token_hash = ?`, tokenHash).Scan(&s.TokenHash, &s.StaffID, &s.Device, &s.ClientIP, &created, &seen, &revoked, &reason)
	if errors.Is(err, sql.ErrNoRows) {
		return StaffSession{}, ErrNotFound
	}
	if err != nil {
		return StaffSession{}, fmt.Errorf("store: staff session: %w", err)
	}
	s.CreatedAt, s.LastSeenAt, s.RevokedAt, s.RevokeReason = fromNanos(created), fromNanos(seen), fromNullNanos(revoked), reason.String
	return s, nil
}

// TouchStaffSession records activity of the person (not of background
// polling, which never calls this).
func (db *DB) TouchStaffSession(ctx context.Context, tokenHash []byte, clientIP string) error {
	_, err := db.write.ExecContext(ctx, "UPDATE staff_sessions SET last_seen_at = ?, client_ip = ? WHERE token_hash = ?",
		nanos(db.now()), clientIP, tokenHash)
	if err != nil {
		return fmt.Errorf("store: touch session: %w", err)
	}
	return nil
}

// ListStaffSessions returns a staff member's live sessions, newest first.
func (db *DB) ListStaffSessions(ctx context.Context, staffID int64) ([]StaffSession, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT token_hash, staff_id, device, client_ip, created_at, last_seen_at
		FROM staff_sessions WHERE staff_id = ? AND revoked_at IS NULL ORDER BY last_seen_at DESC`, staffID)
	if err != nil {
		return nil, fmt.Errorf("store: list sessions: %w", err)
	}
	defer rows.Close()
	var out []StaffSession
	for rows.Next() {
		var s StaffSession
		var created, seen int64
		if err := rows.Scan(&s.TokenHash, &s.StaffID, &s.Device, &s.ClientIP, &created, &seen); err != nil {
			return nil, fmt.Errorf("store: list sessions: %w", err)
		}
		s.CreatedAt, s.LastSeenAt = fromNanos(created), fromNanos(seen)
		out = append(out, s)
	}
	return out, rows.Err()
}

// RevokeStaffSession ends one of the staff member's sessions.
func (db *DB) RevokeStaffSession(ctx context.Context, staffID int64, tokenHash []byte, reason string, a Actor) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		n, err := changed(tx.ExecContext(ctx, "UPDATE staff_sessions SET revoked_at = ?, revoke_reason = ? WHERE token_hash = ? AND staff_id = ? AND revoked_at IS NULL",
			nanos(db.now()), reason, tokenHash, staffID))
		if err != nil {
			return fmt.Errorf("store: revoke session: %w", err)
		}
		if n == 0 {
			return ErrNotFound
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM sessions WHERE token_hash = ?", tokenHash); err != nil {
			return fmt.Errorf("store: revoke session: %w", err)
		}
		return db.appendAudit(ctx, tx, a, "session.revoked", StaffTarget(staffID), map[string]any{"reason": reason})
	})
}

// RevokeStaffSessions ends all of the staff member's sessions except keep
// (which may be nil) and returns how many ended.
func (db *DB) RevokeStaffSessions(ctx context.Context, staffID int64, keep []byte, reason string, a Actor) (int64, error) {
	var n int64
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var err error
		if n, err = db.revokeStaffSessions(ctx, tx, staffID, keep, reason); err != nil {
			return err
		}
		return db.appendAudit(ctx, tx, a, "session.revoked_all", StaffTarget(staffID), map[string]any{"count": n, "reason": reason})
	})
	return n, err
}

func (db *DB) revokeStaffSessions(ctx context.Context, tx *sql.Tx, staffID int64, keep []byte, reason string) (int64, error) {
	if keep == nil {
		keep = []byte{}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE token_hash IN (
		SELECT token_hash FROM staff_sessions WHERE staff_id = ? AND revoked_at IS NULL AND token_hash != ?)`, staffID, keep); err != nil {
		return 0, fmt.Errorf("store: revoke sessions: %w", err)
	}
	res, err := tx.ExecContext(ctx, `UPDATE staff_sessions SET revoked_at = ?, revoke_reason = ?
		WHERE staff_id = ? AND revoked_at IS NULL AND token_hash != ?`, nanos(db.now()), reason, staffID, keep)
	if err != nil {
		return 0, fmt.Errorf("store: revoke sessions: %w", err)
	}
	return res.RowsAffected()
}

// RekeyStaffSession moves a session's record to its renewed token after a
// step-up (a passkey assertion that raises the session's privilege),
// audited as staff.stepped_up by the session's owner.
func (db *DB) RekeyStaffSession(ctx context.Context, oldHash, newHash []byte) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		var staffID int64
		var ip string
		err := tx.QueryRowContext(ctx, "UPDATE staff_sessions SET token_hash = ? WHERE token_hash = ? RETURNING staff_id, client_ip",
			newHash, oldHash).Scan(&staffID, &ip)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("store: rekey session: %w", err)
		}
		a := Actor{Type: ActorStaff, ID: strconv.FormatInt(staffID, 10), ClientIP: ip}
		return db.appendAudit(ctx, tx, a, "staff.stepped_up", StaffTarget(staffID), nil)
	})
}

// EndStaffSession marks a session signed out (by its owner, or timed out),
// audited as session.ended: by the staff member for "signed out", by the
// system otherwise.
func (db *DB) EndStaffSession(ctx context.Context, tokenHash []byte, reason string) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		var staffID int64
		var ip string
		err := tx.QueryRowContext(ctx, `UPDATE staff_sessions SET revoked_at = ?, revoke_reason = ? WHERE token_hash = ? AND revoked_at IS NULL
			RETURNING staff_id, client_ip`, nanos(db.now()), reason, tokenHash).Scan(&staffID, &ip)
		if errors.Is(err, sql.ErrNoRows) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("store: end session: %w", err)
		}
		a := Actor{Type: ActorSystem, ID: "safedesk", ClientIP: ip}
		if reason == "signed out" {
			a = Actor{Type: ActorStaff, ID: strconv.FormatInt(staffID, 10), ClientIP: ip}
		}
		return db.appendAudit(ctx, tx, a, "session.ended", StaffTarget(staffID), map[string]any{"reason": reason})
	})
}

// CeremonyTTL bounds how long a WebAuthn ceremony may take.
const CeremonyTTL = 5 * time.Minute

func ceremonyLoc(id []byte) security.Location {
	return security.Location{Table: "webauthn_ceremonies", Column: string(id), Row: 0}
}

// SaveCeremony stores a WebAuthn ceremony's state (sealed) and returns its id.
func (db *DB) SaveCeremony(ctx context.Context, kind string, data []byte) ([]byte, error) {
	id := make([]byte, 16)
	rand.Read(id)
	now := db.now()
	if _, err := db.write.ExecContext(ctx, "DELETE FROM webauthn_ceremonies WHERE expires_at <= ?", nanos(now)); err != nil {
		return nil, fmt.Errorf("store: ceremony: %w", err)
	}
	if _, err := db.write.ExecContext(ctx, "INSERT INTO webauthn_ceremonies (id, kind, data, expires_at) VALUES (?, ?, ?, ?)",
		id, kind, db.systemKey.Seal(data, ceremonyLoc(id)), nanos(now.Add(CeremonyTTL))); err != nil {
		return nil, fmt.Errorf("store: ceremony: %w", err)
	}
	return id, nil
}

// TakeCeremony returns a ceremony's state and deletes it in the same
// statement, so of two requests carrying the same ceremony only one gets it:
// an assertion cannot be replayed. Expired or unknown: ErrNotFound.
func (db *DB) TakeCeremony(ctx context.Context, id []byte, kind string) ([]byte, error) {
	var sealed []byte
	err := db.write.QueryRowContext(ctx, "DELETE FROM webauthn_ceremonies WHERE id = ? AND kind = ? AND expires_at > ? RETURNING data",
		id, kind, nanos(db.now())).Scan(&sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: ceremony: %w", err)
	}
	return db.systemKey.Open(sealed, ceremonyLoc(id))
}

// Security event severities.
const (
	SeverityInfo     = "info"
	SeverityWarning  = "warning"
	SeverityCritical = "critical"
)

// SecurityEvent is something a defender should see: a refused sign-in, a
// replayed challenge, a probe. Details hold no personal data.
type SecurityEvent struct {
	ID       int64
	At       time.Time
	Kind     string
	Severity string
	ClientIP string
	Actor    string
	Details  map[string]any
}

// RecordSecurityEvent stores an event.
func (db *DB) RecordSecurityEvent(ctx context.Context, e SecurityEvent) error {
	if e.Severity == "" {
		e.Severity = SeverityWarning
	}
	if e.At.IsZero() {
		e.At = db.now()
	}
	details := []byte("{}")
	if len(e.Details) > 0 {
		var err error
		if details, err = json.Marshal(e.Details); err != nil {
			return fmt.Errorf("store: security event: %w", err)
		}
	}
	_, err := db.write.ExecContext(ctx, "INSERT INTO security_events (at, kind, severity, client_ip, actor, details) VALUES (?, ?, ?, ?, ?, ?)",
		nanos(e.At), e.Kind, e.Severity, e.ClientIP, e.Actor, string(details))
	if err != nil {
		return fmt.Errorf("store: security event: %w", err)
	}
	return nil
}

// EventFilter narrows ListSecurityEvents.
type EventFilter struct {
	Kind   string
	Since  time.Time
	Before int64 // cursor: id < Before
	Limit  int
}

// ListSecurityEvents returns events newest first.
func (db *DB) ListSecurityEvents(ctx context.Context, f EventFilter) ([]SecurityEvent, error) {
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 100
	}
	var where []string
	var args []any
	if f.Kind != "" {
		where, args = append(where, "kind = ?"), append(args, f.Kind)
	}
	if !f.Since.IsZero() {
		where, args = append(where, "at >= ?"), append(args, nanos(f.Since))
	}
	if f.Before > 0 {
		where, args = append(where, "id < ?"), append(args, f.Before)
	}
	q := "SELECT id, at, kind, severity, client_ip, actor, details FROM security_events"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	return db.querySecurityEvents(ctx, "list events", q+" ORDER BY id DESC LIMIT ?", append(args, f.Limit)...)
}

// querySecurityEvents runs q, which selects the columns of SecurityEvent in
// order, and scans every row; what names the query in errors.
func (db *DB) querySecurityEvents(ctx context.Context, what, q string, args ...any) ([]SecurityEvent, error) {
	rows, err := db.read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: %s: %w", what, err)
	}
	defer rows.Close()
	var out []SecurityEvent
	for rows.Next() {
		var e SecurityEvent
		var at int64
		var details string
		if err := rows.Scan(&e.ID, &at, &e.Kind, &e.Severity, &e.ClientIP, &e.Actor, &details); err != nil {
			return nil, fmt.Errorf("store: %s: %w", what, err)
		}
		e.At = fromNanos(at)
		json.Unmarshal([]byte(details), &e.Details)
		out = append(out, e)
	}
	return out, rows.Err()
}

// GetSetting returns a site setting, or def when unset.
func (db *DB) GetSetting(ctx context.Context, key, def string) (string, error) {
	var v string
	err := db.read.QueryRowContext(ctx, "SELECT value FROM settings WHERE key = ?", key).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return def, nil
	}
	if err != nil {
		return "", fmt.Errorf("store: setting %s: %w", key, err)
	}
	return v, nil
}

// SetSetting changes a site setting, audited.
func (db *DB) SetSetting(ctx context.Context, key, value string, a Actor) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		if err := db.putSetting(ctx, tx, key, value); err != nil {
			return err
		}
		return db.appendAudit(ctx, tx, a, "settings.changed", "setting:"+key, nil)
	})
}
