package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"safedesk/security"
)

// Errors of staff management.
var (
	ErrLastOwner    = errors.New("store: there must always be at least one active owner")
	ErrLastPasskey  = errors.New("store: a staff member's last passkey cannot be removed")
	ErrInviteUsed   = errors.New("store: this link has already been used")
	ErrInviteExpire = errors.New("store: this link has expired")
	ErrStaffExists  = errors.New("store: a staff member with this email address exists")
)

// Staff is a member of the support team. Email and Name are sealed in the
// database with the system key.
type Staff struct {
	ID         int64
	Email      string
	Name       string
	Role       security.Role
	UserHandle []byte // WebAuthn user id
	DisabledAt time.Time
	CreatedAt  time.Time
}

// Active reports whether the staff member may sign in.
func (s Staff) Active() bool { return s.DisabledAt.IsZero() }

func staffLoc(id int64, col string) security.Location {
	return security.Location{Table: "staff", Column: col, Row: id}
}

// StaffTarget is how the audit log names a staff member.
func StaffTarget(id int64) string { return "staff:" + strconv.FormatInt(id, 10) }

// CountStaff returns how many staff members exist.
func (db *DB) CountStaff(ctx context.Context) (int, error) {
	var n int
	if err := db.read.QueryRowContext(ctx, "SELECT COUNT(*) FROM staff").Scan(&n); err != nil {
		return 0, fmt.Errorf("store: count staff: %w", err)
	}
	return n, nil
}

const staffSelect = "SELECT id, email, name, role, user_handle, disabled_at, created_at FROM staff"

// GetStaff returns a staff member by id.
func (db *DB) GetStaff(ctx context.Context, id int64) (Staff, error) {
	return db.scanStaff(db.read.QueryRowContext(ctx, staffSelect+" WHERE id = ?", id))
}

// GetStaffByHandle returns the staff member with this WebAuthn user handle.
func (db *DB) GetStaffByHandle(ctx context.Context, handle []byte) (Staff, error) {
	return db.scanStaff(db.read.QueryRowContext(ctx, staffSelect+" WHERE user_handle = ?", handle))
}

type rowScanner interface{ Scan(dest ...any) error }

func (db *DB) scanStaff(row rowScanner) (Staff, error) {
	var s Staff
	var email, name []byte
	var role string
	var disabled sql.NullInt64
	var created int64
	err := row.Scan(&s.ID, &email, &name, &role, &s.UserHandle, &disabled, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return Staff{}, ErrNotFound
	}
	if err != nil {
		return Staff{}, fmt.Errorf("store: staff: %w", err)
	}
	if s.Email, err = db.systemKey.OpenString(email, staffLoc(s.ID, "email")); err != nil {
		return Staff{}, err
	}
	if s.Name, err = db.systemKey.OpenString(name, staffLoc(s.ID, "name")); err != nil {
		return Staff{}, err
	}
	s.Role, s.DisabledAt, s.CreatedAt = security.Role(role), fromNullNanos(disabled), fromNanos(created)
	return s, nil
}

// ListStaff returns every staff member, oldest first.
func (db *DB) ListStaff(ctx context.Context) ([]Staff, error) {
	rows, err := db.read.QueryContext(ctx, staffSelect+" ORDER BY id")
	if err != nil {
		return nil, fmt.Errorf("store: list staff: %w", err)
	}
	defer rows.Close()
	var out []Staff
	for rows.Next() {
		s, err := db.scanStaff(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// activeOwners counts owners who are not disabled.
func activeOwners(ctx context.Context, tx *sql.Tx) (int, error) {
	var n int
	err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM staff WHERE role = 'owner' AND disabled_at IS NULL").Scan(&n)
	return n, err
}

// SetStaffRole changes a staff member's role; the last active owner keeps
// theirs. Unless a is the staff member themself, their sessions end in the
// same transaction, so that the new role starts with a fresh sign-in (and a
// fresh token). The caller checks who may change whom.
func (db *DB) SetStaffRole(ctx context.Context, id int64, role security.Role, a Actor) error {
	if !role.Valid() {
		return &ValidationError{Fields: map[string]string{"role": "Choose a role."}}
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		var old string
		if err := tx.QueryRowContext(ctx, "SELECT role FROM staff WHERE id = ?", id).Scan(&old); errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		} else if err != nil {
			return fmt.Errorf("store: set role: %w", err)
		}
		if _, err := tx.ExecContext(ctx, "UPDATE staff SET role = ? WHERE id = ?", string(role), id); err != nil {
			return fmt.Errorf("store: set role: %w", err)
		}
		if n, err := activeOwners(ctx, tx); err != nil || n == 0 {
			if err != nil {
				return fmt.Errorf("store: set role: %w", err)
			}
			return ErrLastOwner
		}
		if err := db.appendAudit(ctx, tx, a, "staff.role_changed", StaffTarget(id), map[string]any{"from": old, "to": role}); err != nil {
			return err
		}
		if a.Type == ActorStaff && a.ID == strconv.FormatInt(id, 10) {
			return nil // their own role: they stay signed in here
		}
		n, err := db.revokeStaffSessions(ctx, tx, id, nil, "role changed")
		if err != nil {
			return err
		}
		return db.appendAudit(ctx, tx, a, "session.revoked_all", StaffTarget(id), map[string]any{"count": n, "reason": "role changed"})
	})
}

// SetStaffDisabled disables (ending every session at once) or re-enables a
// staff member. The last active owner cannot be disabled.
func (db *DB) SetStaffDisabled(ctx context.Context, id int64, disabled bool, a Actor) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		var at any
		action := "staff.enabled"
		if disabled {
			at, action = nanos(db.now()), "staff.disabled"
		}
		n, err := changed(tx.ExecContext(ctx, "UPDATE staff SET disabled_at = ? WHERE id = ?", at, id))
		if err != nil {
			return fmt.Errorf("store: disable staff: %w", err)
		}
		if n == 0 {
			return ErrNotFound
		}
		if n, err := activeOwners(ctx, tx); err != nil || n == 0 {
			if err != nil {
				return fmt.Errorf("store: disable staff: %w", err)
			}
			return ErrLastOwner
		}
		if disabled {
			if _, err := db.revokeStaffSessions(ctx, tx, id, nil, "account disabled"); err != nil {
				return err
			}
		}
		return db.appendAudit(ctx, tx, a, action, StaffTarget(id), nil)
	})
}
