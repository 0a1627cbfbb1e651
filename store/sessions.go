package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"safedesk/security"
)

// Sessions is a session store for scs (it implements scs.Store and
// scs.CtxStore). It keeps only the SHA-256 of each token, so a copy of the
// database yields no usable session, and seals each session's data, so
// nothing put in a session is readable from the file.
type Sessions struct {
	db *DB
}

// Sessions returns the session store.
func (db *DB) Sessions() *Sessions { return &Sessions{db: db} }

func sessionLoc(hash []byte) security.Location {
	return security.Location{Table: "sessions", Column: string(hash), Row: 0}
}

// FindCtx returns the data of a live session.
func (s *Sessions) FindCtx(ctx context.Context, token string) ([]byte, bool, error) {
	h := sha256.Sum256([]byte(token))
	var sealed []byte
	var expiry int64
	err := s.db.stmts.sessionFind.QueryRowContext(ctx, h[:]).Scan(&sealed, &expiry)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("store: find session: %w", err)
	}
	if expiry <= nanos(s.db.now()) {
		return nil, false, nil
	}
	b, err := s.db.sessionKey.Open(sealed, sessionLoc(h[:]))
	if err != nil {
		return nil, false, nil // unreadable data is no session
	}
	return b, true, nil
}

// CommitCtx saves a session.
func (s *Sessions) CommitCtx(ctx context.Context, token string, b []byte, expiry time.Time) error {
	h := sha256.Sum256([]byte(token))
	_, err := s.db.write.ExecContext(ctx, `INSERT INTO sessions (token_hash, data, expiry) VALUES (?, ?, ?)
		ON CONFLICT (token_hash) DO UPDATE SET data = excluded.data, expiry = excluded.expiry`,
		h[:], s.db.sessionKey.Seal(b, sessionLoc(h[:])), nanos(expiry))
	if err != nil {
		return fmt.Errorf("store: commit session: %w", err)
	}
	return nil
}

// DeleteCtx removes a session.
func (s *Sessions) DeleteCtx(ctx context.Context, token string) error {
	h := sha256.Sum256([]byte(token))
	if _, err := s.db.write.ExecContext(ctx, "DELETE FROM sessions WHERE token_hash = ?", h[:]); err != nil {
		return fmt.Errorf("store: delete session: %w", err)
	}
	return nil
}

// Find is FindCtx without a context.
func (s *Sessions) Find(token string) ([]byte, bool, error) {
	return s.FindCtx(context.Background(), token)
}

// Commit is CommitCtx without a context.
func (s *Sessions) Commit(token string, b []byte, expiry time.Time) error {
	return s.CommitCtx(context.Background(), token, b, expiry)
}

// Delete is DeleteCtx without a context.
func (s *Sessions) Delete(token string) error {
	return s.DeleteCtx(context.Background(), token)
}

// DeleteExpiredSessions removes sessions past their expiry, and remembered
// customer devices past theirs, and returns how many sessions went.
func (db *DB) DeleteExpiredSessions(ctx context.Context) (int64, error) {
	res, err := db.write.ExecContext(ctx, "DELETE FROM sessions WHERE expiry <= ?", nanos(db.now()))
	if err != nil {
		return 0, fmt.Errorf("store: expire sessions: %w", err)
	}
	if _, err := db.write.ExecContext(ctx, "DELETE FROM customer_devices WHERE expires_at <= ?", nanos(db.now())); err != nil {
		return 0, fmt.Errorf("store: expire devices: %w", err)
	}
	return res.RowsAffected()
}
