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

// Verification code policy. Every mail to an address that has not been
// proven carries a code (a ticket's receipt does too), so CodesPerHour also
// caps the mail that anonymous visitors can make us send to an address.
//
// Wrong tries are counted per address and client and per address and
// browser session, never per code: whoever knows an address can spend
// their own tries but not its owner's. CodeMaxTries bounds the guesses for
// one address from everyone together, so that many clients cannot guess a
// code either; only that many clients at once can hold up its owner, and
// for CodeTTL after they stop.
const (
	CodeTTL         = 10 * time.Minute
	CodeMaxAttempts = 5  // wrong tries per address and client, and per address and session, within CodeTTL
	CodeMaxTries    = 25 // wrong tries per address from everyone, within CodeTTL
	CodesPerHour    = 3  // codes (mails) per address
)

// ErrCodeInvalid reports a wrong, expired or used code. It says nothing
// about whether the address has tickets.
var ErrCodeInvalid = errors.New("store: code is wrong or has expired")

// codeTarget is how the audit log names a one-time code: by its row, as
// the address it went to is personal data.
func codeTarget(id int64) string { return "code:" + strconv.FormatInt(id, 10) }

// codeHash is a keyed hash of the code bound to the address's blind index, so
// a copy of the database cannot be brute-forced offline.
func (db *DB) codeHash(emailIndex []byte, code string) []byte {
	return db.bidx.Hash("verification-code", emailIndex, []byte(code))
}

// CodeRequest asks for a one-time code to be mailed to Email; Ticket is the
// ticket whose receipt carries it (0 for none): entering that code confirms
// the ticket.
type CodeRequest struct {
	Email  string
	Ticket int64
}

// IssuedCode is what IssueCode made: a new code to mail, or, when the
// address has had CodesPerHour codes in the last hour, none (Code is "")
// and the time the newest unused one of them was made, which works again
// for CodeTTL (Revived; zero when there is none). The person who asked
// finds that code in their mailbox: nobody can keep an address's owner
// from verifying by using up its codes.
type IssuedCode struct {
	ID      int64
	Code    string
	Revived time.Time
}

// IssueCode creates a new 6-digit code for the address and returns it for
// mailing. Older codes stay valid until they expire. Past CodesPerHour
// codes in an hour it returns ErrRateLimited, with the revived code's time
// when there is one.
func (db *DB) IssueCode(ctx context.Context, req CodeRequest, a Actor) (IssuedCode, error) {
	idx := db.bidx.Email(req.Email)
	now := db.now()
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return IssuedCode{}, fmt.Errorf("store: code: %w", err)
	}
	out := IssuedCode{Code: fmt.Sprintf("%06d", n.Int64())}
	limited := false
	err = db.tx(ctx, func(tx *sql.Tx) error {
		var recent int
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM verification_codes WHERE email_index = ? AND created_at > ?",
			idx, nanos(now.Add(-time.Hour))).Scan(&recent); err != nil {
			return fmt.Errorf("store: code: %w", err)
		}
		if recent >= CodesPerHour {
			limited, out = true, IssuedCode{}
			return db.reviveCode(ctx, tx, idx, a, &out)
		}
		var ticket any
		details := map[string]any(nil)
		if req.Ticket != 0 {
			ticket, details = req.Ticket, map[string]any{"ticket": req.Ticket}
		}
		id, err := inserted(tx.ExecContext(ctx, `INSERT INTO verification_codes (email_index, code_hash, ticket_id, expires_at, created_at)
			VALUES (?, ?, ?, ?, ?)`, idx, db.codeHash(idx, out.Code), ticket, nanos(now.Add(CodeTTL)), nanos(now)))
		if err != nil {
			return fmt.Errorf("store: code: %w", err)
		}
		out.ID = id
		return db.appendAudit(ctx, tx, a, "customer.code_sent", codeTarget(id), details)
	})
	if err != nil {
		return IssuedCode{}, err
	}
	if limited {
		return out, ErrRateLimited
	}
	return out, nil
}

// reviveCode makes the newest unused code of the last hour valid for
// another CodeTTL, if there is one, and sets out's ID and Revived.
func (db *DB) reviveCode(ctx context.Context, tx *sql.Tx, idx []byte, a Actor, out *IssuedCode) error {
	now := db.now()
	var created int64
	err := tx.QueryRowContext(ctx, `SELECT id, created_at FROM verification_codes
		WHERE email_index = ? AND used_at IS NULL AND created_at > ? ORDER BY created_at DESC LIMIT 1`,
		idx, nanos(now.Add(-time.Hour))).Scan(&out.ID, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("store: revive code: %w", err)
	}
	if _, err := tx.ExecContext(ctx, "UPDATE verification_codes SET expires_at = MAX(expires_at, ?) WHERE id = ?",
		nanos(now.Add(CodeTTL)), out.ID); err != nil {
		return fmt.Errorf("store: revive code: %w", err)
	}
	out.Revived = fromNanos(created)
	return db.appendAudit(ctx, tx, a, "customer.code_revived", codeTarget(out.ID), nil)
}

// CodeCheck is one try of a one-time code for Email. Session names the
// browser session that typed it ("" for none); the client is the actor's
// address. Wrong tries count against both, never against the code.
type CodeCheck struct {
	Email   string
	Code    string
	Session string
}

// liveCode is an unused, unexpired code of an address.
type liveCode struct {
	id     int64
	hash   []byte
	ticket sql.NullInt64
}

// CheckCode verifies a code for the address against each of its live codes.
// On success the code is spent, the ticket whose receipt carried it is
// confirmed, and the customer with this address is returned, created if new
// (they have just proved the address is theirs) and marked verified. A
// wrong code is ErrCodeInvalid; past CodeMaxAttempts wrong tries by this
// client or session, or CodeMaxTries by everyone, within CodeTTL, every try
// is ErrRateLimited until the oldest of them is CodeTTL old.
func (db *DB) CheckCode(ctx context.Context, c CodeCheck, a Actor) (Customer, error) {
	idx := db.bidx.Email(c.Email)
	client := db.bidx.Hash("code-try-client", []byte(clientOfIP(a.ClientIP)))
	var session []byte
	if c.Session != "" {
		session = db.bidx.Hash("code-try-session", []byte(c.Session))
	}
	var customerID int64
	var failed error
	var newKey *security.DataKey
	err := db.tx(ctx, func(tx *sql.Tx) error {
		// A failed try is committed with its audit entry (a sign-in failure)
		// even though the caller sees an error.
		if limited, err := db.triesUsed(ctx, tx, idx, client, session); err != nil || limited {
			failed = ErrRateLimited
			if err != nil {
				return err
			}
			return db.appendAudit(ctx, tx, a, "customer.verify_failed", "code:-", map[string]any{"reason": "too many tries"})
		}
		code, err := db.matchCode(ctx, tx, idx, c.Code)
		if err != nil {
			return err
		}
		if code.id == 0 {
			failed = ErrCodeInvalid
			return db.codeTried(ctx, tx, idx, client, session, a)
		}
		cid, key, created, err := db.spendCode(ctx, tx, code, c.Email, a)
		if created {
			newKey = key
		}
		customerID = cid
		return err
	})
	if err != nil {
		return Customer{}, err
	}
	if failed != nil {
		return Customer{}, failed
	}
	if newKey != nil {
		db.remember(newKey)
	}
	return db.GetCustomer(ctx, customerID)
}

// triesUsed reports whether the client or the session has made
// CodeMaxAttempts wrong tries for the address within CodeTTL, or everyone
// together CodeMaxTries.
func (db *DB) triesUsed(ctx context.Context, tx *sql.Tx, idx, client, session []byte) (bool, error) {
	var all, byClient, bySession int
	err := tx.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(client = ?), 0), COALESCE(SUM(session = ?), 0)
		FROM verification_tries WHERE email_index = ? AND at > ?`, client, session, idx, nanos(db.now().Add(-CodeTTL))).Scan(&all, &byClient, &bySession)
	if err != nil {
		return false, fmt.Errorf("store: check code: %w", err)
	}
	return byClient >= CodeMaxAttempts || bySession >= CodeMaxAttempts || all >= CodeMaxTries, nil
}

// matchCode returns the live code of the address that code is, or a zero
// liveCode. Every live code is compared, each in constant time.
func (db *DB) matchCode(ctx context.Context, tx *sql.Tx, idx []byte, code string) (liveCode, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, code_hash, ticket_id FROM verification_codes
		WHERE email_index = ? AND used_at IS NULL AND expires_at > ? ORDER BY created_at DESC`, idx, nanos(db.now()))
	if err != nil {
		return liveCode{}, fmt.Errorf("store: check code: %w", err)
	}
	defer rows.Close()
	want := db.codeHash(idx, code)
	var found liveCode
	for rows.Next() {
		var l liveCode
		if err := rows.Scan(&l.id, &l.hash, &l.ticket); err != nil {
			return liveCode{}, fmt.Errorf("store: check code: %w", err)
		}
		if hmac.Equal(l.hash, want) && len(code) == 6 && found.id == 0 {
			found = l
		}
	}
	if err := rows.Err(); err != nil {
		return liveCode{}, fmt.Errorf("store: check code: %w", err)
	}
	return found, nil
}

// codeTried records a wrong try, drops the tries older than an hour, and
// audits the failure.
func (db *DB) codeTried(ctx context.Context, tx *sql.Tx, idx, client, session []byte, a Actor) error {
	now := db.now()
	if _, err := tx.ExecContext(ctx, "DELETE FROM verification_tries WHERE at < ?", nanos(now.Add(-time.Hour))); err != nil {
		return fmt.Errorf("store: check code: %w", err)
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO verification_tries (email_index, client, session, at) VALUES (?, ?, ?, ?)",
		idx, client, session, nanos(now)); err != nil {
		return fmt.Errorf("store: check code: %w", err)
	}
	return db.appendAudit(ctx, tx, a, "customer.verify_failed", "code:-", map[string]any{"reason": "wrong or expired code"})
}

// spendCode uses up a matching code: the customer of the address is found
// or created and marked verified, and the ticket whose receipt carried the
// code, if it is theirs, is confirmed.
func (db *DB) spendCode(ctx context.Context, tx *sql.Tx, code liveCode, email string, a Actor) (int64, *security.DataKey, bool, error) {
	now := db.now()
	if _, err := tx.ExecContext(ctx, "UPDATE verification_codes SET used_at = ? WHERE id = ?", nanos(now), code.id); err != nil {
		return 0, nil, false, fmt.Errorf("store: check code: %w", err)
	}
	cid, key, created, err := db.findOrCreateCustomer(ctx, tx, email, "")
	if err != nil {
		return 0, nil, false, err
	}
	if _, err := tx.ExecContext(ctx, "UPDATE customers SET verified_at = ? WHERE id = ?", nanos(now), cid); err != nil {
		return 0, nil, false, fmt.Errorf("store: check code: %w", err)
	}
	a.Type, a.ID = ActorCustomer, strconv.FormatInt(cid, 10)
	if err := db.appendAudit(ctx, tx, a, "customer.verified", customerTarget(cid), nil); err != nil {
		return 0, nil, false, err
	}
	if code.ticket.Valid {
		if err := db.confirmTicket(ctx, tx, code.ticket.Int64, cid, "code", a); err != nil {
			return 0, nil, false, err
		}
	}
	return cid, key, created, nil
}
