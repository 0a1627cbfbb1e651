package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
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

// Invite is a one-time enrolment link: the owner setup link or a staff invite.
type Invite struct {
	ID        int64
	Kind      string // setup or invite
	Email     string // empty for the setup link
	Role      security.Role
	CreatedBy int64
	ExpiresAt time.Time
	UsedAt    time.Time
}

// Invite lifetimes.
const (
	SetupLinkTTL = time.Hour
	InviteTTL    = 24 * time.Hour
)

// TokenHash is the SHA-256 under which tokens (session, invite) are stored.
func TokenHash(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}

func newToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// CreateSetupLink issues a fresh owner setup token, valid for an hour, and
// ends any earlier setup link that was not used.
func (db *DB) CreateSetupLink(ctx context.Context, a Actor) (string, error) {
	token := newToken()
	now := db.now()
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "UPDATE staff_invites SET expires_at = ? WHERE kind = 'setup' AND used_at IS NULL AND expires_at > ?",
			nanos(now), nanos(now)); err != nil {
			return fmt.Errorf("store: setup link: %w", err)
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO staff_invites (token_hash, kind, role, expires_at, created_at)
			VALUES (?, 'setup', 'owner', ?, ?)`, TokenHash(token), nanos(now.Add(SetupLinkTTL)), nanos(now))
		if err != nil {
			return fmt.Errorf("store: setup link: %w", err)
		}
		id, _ := res.LastInsertId()
		return db.appendAudit(ctx, tx, a, "staff.setup_link_created", "invite:"+strconv.FormatInt(id, 10), nil)
	})
	return token, err
}

// CreateInvite issues an invite for email with role, valid for a day.
func (db *DB) CreateInvite(ctx context.Context, email string, role security.Role, createdBy int64, a Actor) (string, error) {
	var v ValidationError
	if msg := ValidateEmail(email); msg != "" {
		v.add("email", msg)
	}
	if !role.Valid() {
		v.add("role", "Choose a role.")
	}
	if err := v.err(); err != nil {
		return "", err
	}
	var exists int
	if err := db.read.QueryRowContext(ctx, "SELECT COUNT(*) FROM staff WHERE email_index = ?", db.bidx.Email(email)).Scan(&exists); err != nil {
		return "", fmt.Errorf("store: invite: %w", err)
	}
	if exists > 0 {
		return "", &ValidationError{Fields: map[string]string{"email": "A staff member with this address already exists."}}
	}
	token := newToken()
	now := db.now()
	err := db.tx(ctx, func(tx *sql.Tx) error {
		id, err := nextID(ctx, tx, "staff_invites")
		if err != nil {
			return err
		}
		sealed := db.systemKey.SealString(security.NormalizeEmail(email), security.Location{Table: "staff_invites", Column: "email", Row: id})
		var by any
		if createdBy != 0 {
			by = createdBy
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO staff_invites (id, token_hash, kind, email, role, created_by, expires_at, created_at)
			VALUES (?, ?, 'invite', ?, ?, ?, ?, ?)`, id, TokenHash(token), sealed, string(role), by,
			nanos(now.Add(InviteTTL)), nanos(now)); err != nil {
			return fmt.Errorf("store: invite: %w", err)
		}
		return db.appendAudit(ctx, tx, a, "staff.invited", "invite:"+strconv.FormatInt(id, 10), map[string]any{"role": role})
	})
	return token, err
}

// GetInvite returns the live invite for token: ErrNotFound for an unknown
// token, ErrInviteUsed or ErrInviteExpire for a dead one.
func (db *DB) GetInvite(ctx context.Context, kind, token string) (Invite, error) {
	return db.getInvite(ctx, db.read, kind, token)
}

func (db *DB) getInvite(ctx context.Context, q querier, kind, token string) (Invite, error) {
	var inv Invite
	var email []byte
	var role string
	var createdBy, used sql.NullInt64
	var expires int64
	err := q.QueryRowContext(ctx, `SELECT id, kind, email, role, created_by, expires_at, used_at FROM staff_invites
		WHERE token_hash = ? AND kind = ?`, TokenHash(token), kind).Scan(&inv.ID, &inv.Kind, &email, &role, &createdBy, &expires, &used)
	if errors.Is(err, sql.ErrNoRows) {
		return Invite{}, ErrNotFound
	}
	if err != nil {
		return Invite{}, fmt.Errorf("store: invite: %w", err)
	}
	inv.Role, inv.CreatedBy, inv.ExpiresAt, inv.UsedAt = security.Role(role), createdBy.Int64, fromNanos(expires), fromNullNanos(used)
	if email != nil {
		if inv.Email, err = db.systemKey.OpenString(email, security.Location{Table: "staff_invites", Column: "email", Row: inv.ID}); err != nil {
			return Invite{}, err
		}
	}
	switch {
	case !inv.UsedAt.IsZero():
		return inv, ErrInviteUsed
	case !inv.ExpiresAt.After(db.now()):
		return inv, ErrInviteExpire
	}
	return inv, nil
}

// Enrollment is a new staff member with their first passkey.
type Enrollment struct {
	Name       string
	Email      string
	UserHandle []byte
	Passkey    NewPasskey
}

// Validate checks the name and address.
func (e Enrollment) Validate() error {
	var v ValidationError
	checkText(&v, "name", e.Name, MaxNameLen, true, "your name")
	if msg := ValidateEmail(e.Email); msg != "" {
		v.add("email", msg)
	}
	return v.err()
}

// EnrollStaff spends the invite or setup token and creates the staff member
// with their first passkey, in one transaction: a token can be used once.
func (db *DB) EnrollStaff(ctx context.Context, kind, token string, e Enrollment, a Actor) (Staff, error) {
	if err := e.Validate(); err != nil {
		return Staff{}, err
	}
	now := db.now()
	var id int64
	err := db.tx(ctx, func(tx *sql.Tx) error {
		inv, err := db.getInvite(ctx, tx, kind, token)
		if err != nil {
			return err
		}
		if inv.Email != "" {
			e.Email = inv.Email // an invite is for its address only
		}
		if _, err := tx.ExecContext(ctx, "UPDATE staff_invites SET used_at = ? WHERE id = ? AND used_at IS NULL", nanos(now), inv.ID); err != nil {
			return fmt.Errorf("store: enrol: %w", err)
		}
		if id, err = nextID(ctx, tx, "staff"); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO staff (id, email_index, email, name, role, user_handle, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, id, db.bidx.Email(e.Email),
			db.systemKey.SealString(security.NormalizeEmail(e.Email), staffLoc(id, "email")),
			db.systemKey.SealString(strings.TrimSpace(e.Name), staffLoc(id, "name")), string(inv.Role), e.UserHandle, nanos(now))
		if err != nil {
			if violates(err, uniqueViolation) {
				return ErrStaffExists
			}
			return fmt.Errorf("store: enrol: %w", err)
		}
		if err := db.insertPasskey(ctx, tx, id, e.Passkey); err != nil {
			return err
		}
		a.Type, a.ID = ActorStaff, strconv.FormatInt(id, 10)
		return db.appendAudit(ctx, tx, a, "staff.enrolled", StaffTarget(id), map[string]any{"role": inv.Role, "via": kind})
	})
	if err != nil {
		return Staff{}, err
	}
	return db.GetStaff(ctx, id)
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
		res, err := tx.ExecContext(ctx, "UPDATE passkeys SET name = ? WHERE id = ? AND staff_id = ?", name, passkeyID, staffID)
		if err != nil {
			return fmt.Errorf("store: rename passkey: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return db.appendAudit(ctx, tx, a, "passkey.renamed", StaffTarget(staffID), map[string]any{"passkey": passkeyID})
	})
}

// RemovePasskey removes one of the staff member's passkeys, never the last.
func (db *DB) RemovePasskey(ctx context.Context, staffID, passkeyID int64, a Actor) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM passkeys WHERE staff_id = ?", staffID).Scan(&n); err != nil {
			return fmt.Errorf("store: remove passkey: %w", err)
		}
		res, err := tx.ExecContext(ctx, "DELETE FROM passkeys WHERE id = ? AND staff_id = ?", passkeyID, staffID)
		if err != nil {
			return fmt.Errorf("store: remove passkey: %w", err)
		}
		if k, _ := res.RowsAffected(); k == 0 {
			return ErrNotFound
		}
		if n <= 1 {
			return ErrLastPasskey
		}
		return db.appendAudit(ctx, tx, a, "passkey.removed", StaffTarget(staffID), map[string]any{"passkey": passkeyID})
	})
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
		res, err := tx.ExecContext(ctx, "UPDATE staff SET disabled_at = ? WHERE id = ?", at, id)
		if err != nil {
			return fmt.Errorf("store: disable staff: %w", err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
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
