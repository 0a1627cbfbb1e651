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

// Invite is a one-time enrolment link: the owner setup link or a staff invite.
type Invite struct {
	ID         int64
	Kind       string // setup or invite
	Email      string // empty for the setup link
	Role       security.Role
	CreatedBy  int64
	CreatedAt  time.Time
	ExpiresAt  time.Time
	UsedAt     time.Time
	ReplacedAt time.Time // a setup link replaced by a newer one
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

// ErrInviteReplaced refuses a setup link after a newer one was issued.
var ErrInviteReplaced = errors.New("store: this link was replaced by a newer link")

// CreateSetupLink issues a fresh owner setup token, valid for an hour, and
// ends any earlier setup link that was not used: it is replaced.
func (db *DB) CreateSetupLink(ctx context.Context, a Actor) (string, error) {
	token := newToken()
	now := db.now()
	err := db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE staff_invites SET expires_at = ?, replaced_at = ?
			WHERE kind = 'setup' AND used_at IS NULL AND expires_at > ?`, nanos(now), nanos(now), nanos(now)); err != nil {
			return fmt.Errorf("store: setup link: %w", err)
		}
		id, err := inserted(tx.ExecContext(ctx, `INSERT INTO staff_invites (token_hash, kind, role, expires_at, created_at)
			VALUES (?, 'setup', 'owner', ?, ?)`, TokenHash(token), nanos(now.Add(SetupLinkTTL)), nanos(now)))
		if err != nil {
			return fmt.Errorf("store: setup link: %w", err)
		}
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

// LiveSetupLink returns the newest setup link that is neither used nor
// expired nor replaced, or ErrNotFound. Only its hash is stored, so the
// link itself cannot be shown again.
func (db *DB) LiveSetupLink(ctx context.Context) (Invite, error) {
	var id int64
	err := db.read.QueryRowContext(ctx, `SELECT id FROM staff_invites
		WHERE kind = 'setup' AND used_at IS NULL AND expires_at > ? ORDER BY id DESC LIMIT 1`, nanos(db.now())).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return Invite{}, ErrNotFound
	}
	if err != nil {
		return Invite{}, fmt.Errorf("store: setup link: %w", err)
	}
	return db.scanInvite(ctx, db.read, "id = ?", id)
}

// GetInvite returns the live invite for token: ErrNotFound for an unknown
// token, ErrInviteUsed, ErrInviteReplaced or ErrInviteExpire for a dead one.
func (db *DB) GetInvite(ctx context.Context, kind, token string) (Invite, error) {
	return db.getInvite(ctx, db.read, kind, token)
}

func (db *DB) getInvite(ctx context.Context, q querier, kind, token string) (Invite, error) {
	inv, err := db.scanInvite(ctx, q, "token_hash = ? AND kind = ?", TokenHash(token), kind)
	if err != nil {
		return Invite{}, err
	}
	switch {
	case !inv.UsedAt.IsZero():
		return inv, ErrInviteUsed
	case !inv.ReplacedAt.IsZero():
		return inv, ErrInviteReplaced
	case !inv.ExpiresAt.After(db.now()):
		return inv, ErrInviteExpire
	}
	return inv, nil
}

// scanInvite reads the one invite matching where with args, or ErrNotFound.
func (db *DB) scanInvite(ctx context.Context, q querier, where string, args ...any) (Invite, error) {
	var inv Invite
	var email []byte
	var role string
	var createdBy, used, replaced sql.NullInt64
	var expires, created int64
	err := q.QueryRowContext(ctx, `SELECT id, kind, email, role, created_by, expires_at, used_at, replaced_at, created_at
		FROM staff_invites WHERE `+where, args...).Scan(&inv.ID, &inv.Kind, &email, &role, &createdBy, &expires, &used, &replaced, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return Invite{}, ErrNotFound
	}
	if err != nil {
		return Invite{}, fmt.Errorf("store: invite: %w", err)
	}
	inv.Role, inv.CreatedBy, inv.ExpiresAt, inv.UsedAt = security.Role(role), createdBy.Int64, fromNanos(expires), fromNullNanos(used)
	inv.ReplacedAt, inv.CreatedAt = fromNullNanos(replaced), fromNanos(created)
	if email != nil {
		if inv.Email, err = db.systemKey.OpenString(email, security.Location{Table: "staff_invites", Column: "email", Row: inv.ID}); err != nil {
			return Invite{}, err
		}
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

// ListInvites returns the staff invites that can still be used (not the
// owner setup link), newest first.
func (db *DB) ListInvites(ctx context.Context) ([]Invite, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT id, email, role, created_by, expires_at FROM staff_invites
		WHERE kind = 'invite' AND used_at IS NULL AND expires_at > ? ORDER BY id DESC`, nanos(db.now()))
	if err != nil {
		return nil, fmt.Errorf("store: list invites: %w", err)
	}
	defer rows.Close()
	var out []Invite
	for rows.Next() {
		inv := Invite{Kind: "invite"}
		var email []byte
		var role string
		var createdBy sql.NullInt64
		var expires int64
		if err := rows.Scan(&inv.ID, &email, &role, &createdBy, &expires); err != nil {
			return nil, fmt.Errorf("store: list invites: %w", err)
		}
		inv.Role, inv.CreatedBy, inv.ExpiresAt = security.Role(role), createdBy.Int64, fromNanos(expires)
		if inv.Email, err = db.systemKey.OpenString(email, security.Location{Table: "staff_invites", Column: "email", Row: inv.ID}); err != nil {
			return nil, err
		}
		out = append(out, inv)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list invites: %w", err)
	}
	return out, nil
}

// RevokeInvite ends a staff invite that can still be used, audited
// (staff.invite_revoked): it is spent as if used, so its link answers as
// a used one does. ErrNotFound when no such live invite exists (an unknown
// id, the setup link, or an invite already used, revoked or expired).
func (db *DB) RevokeInvite(ctx context.Context, id int64, a Actor) error {
	now := db.now()
	return db.tx(ctx, func(tx *sql.Tx) error {
		var role string
		err := tx.QueryRowContext(ctx, `UPDATE staff_invites SET used_at = ?
			WHERE id = ? AND kind = 'invite' AND used_at IS NULL AND expires_at > ? RETURNING role`,
			nanos(now), id, nanos(now)).Scan(&role)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("store: revoke invite: %w", err)
		}
		return db.appendAudit(ctx, tx, a, "staff.invite_revoked", "invite:"+strconv.FormatInt(id, 10), map[string]any{"role": role})
	})
}
