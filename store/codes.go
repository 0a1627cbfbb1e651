package store

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"time"

	"safedesk/security"
)

// Verification code policy.
const (
	CodeTTL         = 10 * time.Minute
	CodeMaxAttempts = 5
	CodesPerHour    = 3
)

// ErrCodeInvalid reports a wrong, expired, used or exhausted code. It says
// nothing about whether the address has tickets.
var ErrCodeInvalid = errors.New("store: code is wrong or has expired")

// codeTarget is how the audit log names a one-time code: by its row, as
// the address it went to is personal data.
func codeTarget(id int64) string { return "code:" + strconv.FormatInt(id, 10) }

// codeHash is a keyed hash of the code bound to the address's blind index, so
// a copy of the database cannot be brute-forced offline.
func (db *DB) codeHash(emailIndex []byte, code string) []byte {
	return db.bidx.Hash("verification-code", emailIndex, []byte(code))
}

// IssueCode creates a new 6-digit code for the address and returns it for
// mailing. At most CodesPerHour codes are issued per address per hour.
func (db *DB) IssueCode(ctx context.Context, email string, a Actor) (string, error) {
	idx := db.bidx.Email(email)
	now := db.now()
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", fmt.Errorf("store: code: %w", err)
	}
	code := fmt.Sprintf("%06d", n.Int64())
	err = db.tx(ctx, func(tx *sql.Tx) error {
		var recent int
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM verification_codes WHERE email_index = ? AND created_at > ?",
			idx, nanos(now.Add(-time.Hour))).Scan(&recent); err != nil {
			return fmt.Errorf("store: code: %w", err)
		}
		if recent >= CodesPerHour {
			return ErrRateLimited
		}
		// A new code replaces any older one still alive.
		if _, err := tx.ExecContext(ctx, "UPDATE verification_codes SET used_at = ? WHERE email_index = ? AND used_at IS NULL",
			nanos(now), idx); err != nil {
			return fmt.Errorf("store: code: %w", err)
		}
		id, err := inserted(tx.ExecContext(ctx, `INSERT INTO verification_codes (email_index, code_hash, expires_at, created_at)
			VALUES (?, ?, ?, ?)`, idx, db.codeHash(idx, code), nanos(now.Add(CodeTTL)), nanos(now)))
		if err != nil {
			return fmt.Errorf("store: code: %w", err)
		}
		return db.appendAudit(ctx, tx, a, "customer.code_sent", codeTarget(id), nil)
	})
	return code, err
}

// CheckCode verifies a code for the address. On success the code is spent and
// the customer with this address is returned, created if new (they have just
// proved the address is theirs) and marked verified.
func (db *DB) CheckCode(ctx context.Context, email, code string, a Actor) (Customer, error) {
	idx := db.bidx.Email(email)
	now := db.now()
	var customerID int64
	var wrong bool
	var newKey *security.DataKey
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var id int64
		var hash []byte
		var attempts int
		err := tx.QueryRowContext(ctx, `SELECT id, code_hash, attempts FROM verification_codes
			WHERE email_index = ? AND used_at IS NULL AND expires_at > ? ORDER BY created_at DESC LIMIT 1`,
			idx, nanos(now)).Scan(&id, &hash, &attempts)
		// A failed try is committed with its audit entry (a sign-in failure)
		// even though the caller sees an error.
		if errors.Is(err, sql.ErrNoRows) {
			wrong = true
			return db.appendAudit(ctx, tx, a, "customer.verify_failed", "code:-", map[string]any{"reason": "no live code"})
		}
		if err != nil {
			return fmt.Errorf("store: check code: %w", err)
		}
		if attempts >= CodeMaxAttempts {
			wrong = true
			return db.appendAudit(ctx, tx, a, "customer.verify_failed", codeTarget(id), map[string]any{"reason": "attempts exhausted"})
		}
		if len(code) != 6 || !hmac.Equal(hash, db.codeHash(idx, code)) {
			wrong = true
			if _, err := tx.ExecContext(ctx, "UPDATE verification_codes SET attempts = attempts + 1 WHERE id = ?", id); err != nil {
				return fmt.Errorf("store: check code: %w", err)
			}
			return db.appendAudit(ctx, tx, a, "customer.verify_failed", codeTarget(id), map[string]any{"reason": "wrong code", "attempt": attempts + 1})
		}
		if _, err := tx.ExecContext(ctx, "UPDATE verification_codes SET used_at = ? WHERE id = ?", nanos(now), id); err != nil {
			return fmt.Errorf("store: check code: %w", err)
		}
		cid, key, created, err := db.findOrCreateCustomer(ctx, tx, email, "")
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, "UPDATE customers SET verified_at = ? WHERE id = ?", nanos(now), cid); err != nil {
			return fmt.Errorf("store: check code: %w", err)
		}
		if created {
			newKey = key
		}
		customerID = cid
		a.Type, a.ID = ActorCustomer, fmt.Sprint(cid)
		return db.appendAudit(ctx, tx, a, "customer.verified", customerTarget(cid), nil)
	})
	if err != nil {
		return Customer{}, err
	}
	if wrong {
		return Customer{}, ErrCodeInvalid
	}
	if newKey != nil {
		db.remember(newKey)
	}
	return db.GetCustomer(ctx, customerID)
}
