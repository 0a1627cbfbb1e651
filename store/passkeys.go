package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// Passkey is a staff member's WebAuthn credential.
type Passkey struct {
	ID             int64
	StaffID        int64
	CredentialID   []byte
	Name           string
	Credential     []byte // JSON of the go-webauthn Credential
	SignCount      uint32
	BackupEligible bool // fixed at registration: a synced (multi-device) passkey
	BackupState    bool // currently backed up; may change over time
	CreatedAt      time.Time
	LastUsedAt     time.Time
}

// NewPasskey is a credential just registered.
type NewPasskey struct {
	CredentialID   []byte
	Name           string
	Credential     []byte
	SignCount      uint32
	BackupEligible bool
	BackupState    bool
}

// ListPasskeys returns a staff member's passkeys.
func (db *DB) ListPasskeys(ctx context.Context, staffID int64) ([]Passkey, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT id, staff_id, credential_id, name, credential, sign_count,
		backup_eligible, backup_state, created_at, last_used_at FROM passkeys WHERE staff_id = ? ORDER BY id`, staffID)
	if err != nil {
		return nil, fmt.Errorf("store: list passkeys: %w", err)
	}
	defer rows.Close()
	var out []Passkey
	for rows.Next() {
		var p Passkey
		var created int64
		var used sql.NullInt64
		if err := rows.Scan(&p.ID, &p.StaffID, &p.CredentialID, &p.Name, &p.Credential, &p.SignCount,
			&p.BackupEligible, &p.BackupState, &created, &used); err != nil {
			return nil, fmt.Errorf("store: list passkeys: %w", err)
		}
		p.CreatedAt, p.LastUsedAt = fromNanos(created), fromNullNanos(used)
		out = append(out, p)
	}
	return out, rows.Err()
}

func (db *DB) insertPasskey(ctx context.Context, tx *sql.Tx, staffID int64, p NewPasskey) error {
	name := strings.TrimSpace(p.Name)
	if name == "" {
		name = "Passkey"
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO passkeys (staff_id, credential_id, name, credential, sign_count, backup_eligible, backup_state, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, staffID, p.CredentialID, name, p.Credential, p.SignCount, p.BackupEligible, p.BackupState, nanos(db.now()))
	if err != nil {
		if violates(err, uniqueViolation) {
			return ErrConflict
		}
		return fmt.Errorf("store: add passkey: %w", err)
	}
	return nil
}

// AddPasskey registers another passkey for a staff member.
func (db *DB) AddPasskey(ctx context.Context, staffID int64, p NewPasskey, a Actor) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		if err := db.insertPasskey(ctx, tx, staffID, p); err != nil {
			return err
		}
		return db.appendAudit(ctx, tx, a, "passkey.added", StaffTarget(staffID), map[string]any{"backup_eligible": p.BackupEligible})
	})
}

// RecordPasskeyUse stores the credential after a successful assertion: the
// new sign count and backup state.
func (db *DB) RecordPasskeyUse(ctx context.Context, passkeyID int64, credential []byte, signCount uint32, backupState bool) error {
	_, err := db.write.ExecContext(ctx, `UPDATE passkeys SET credential = ?, sign_count = ?, backup_state = ?, last_used_at = ? WHERE id = ?`,
		credential, signCount, backupState, nanos(db.now()), passkeyID)
	if err != nil {
		return fmt.Errorf("store: passkey use: %w", err)
	}
	return nil
}

// RenamePasskey names one of the staff member's own passkeys.
func (db *DB) RenamePasskey(ctx context.Context, staffID, passkeyID int64, name string, a Actor) error {
	name = strings.TrimSpace(name)
	var v ValidationError
	checkText(&v, "name", name, 60, true, "a name")
	if err := v.err(); err != nil {
		return err
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		n, err := changed(tx.ExecContext(ctx, "UPDATE passkeys SET name = ? WHERE id = ? AND staff_id = ?", name, passkeyID, staffID))
		if err != nil {
			return fmt.Errorf("store: rename passkey: %w", err)
		}
		if n == 0 {
			return ErrNotFound
		}
		return db.appendAudit(ctx, tx, a, "passkey.renamed", StaffTarget(staffID), map[string]any{"passkey": passkeyID})
	})
}

// RemovePasskey removes one of the staff member's passkeys, never the last.
func (db *DB) RemovePasskey(ctx context.Context, staffID, passkeyID int64, a Actor) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		var count int
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM passkeys WHERE staff_id = ?", staffID).Scan(&count); err != nil {
			return fmt.Errorf("store: remove passkey: %w", err)
		}
		n, err := changed(tx.ExecContext(ctx, "DELETE FROM passkeys WHERE id = ? AND staff_id = ?", passkeyID, staffID))
		if err != nil {
			return fmt.Errorf("store: remove passkey: %w", err)
		}
		if n == 0 {
			return ErrNotFound
		}
		if count <= 1 {
			return ErrLastPasskey
		}
		return db.appendAudit(ctx, tx, a, "passkey.removed", StaffTarget(staffID), map[string]any{"passkey": passkeyID})
	})
}
