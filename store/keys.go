package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"safedesk/security"
)

// Key purposes in the keys table.
const (
	keyCustomer   = "customer"
	keyBlindIndex = "blind-index"
	keySession    = "session"
	keySystem     = "system"
	keyPseudonym  = "client-pseudonym" // names client addresses in the audit log (ClientPseudonym)
)

// loadSystemKeys unwraps the system keys, creating each on first start (or,
// for a key added in a later release, on the first start of that release).
// The blind-index and pseudonym keys live in the database wrapped like any
// other key (rather than derived from the master key) so that rotating the
// master key re-wraps them and every stored index and pseudonym stays valid.
func (db *DB) loadSystemKeys(ctx context.Context) error {
	raw := map[string][]byte{}
	for _, purpose := range []string{keyBlindIndex, keySession, keySystem, keyPseudonym} {
		var id int64
		var wrapped []byte
		err := db.write.QueryRowContext(ctx,
			"SELECT id, wrapped FROM keys WHERE purpose = ? ORDER BY id LIMIT 1", purpose).Scan(&id, &wrapped)
		if errors.Is(err, sql.ErrNoRows) {
			err = db.tx(ctx, func(tx *sql.Tx) error {
				id, raw[purpose], err = db.createKey(ctx, tx, purpose)
				return err
			})
			if err != nil {
				return err
			}
		} else if err != nil {
			return fmt.Errorf("store: load %s key: %w", purpose, err)
		} else {
			r, err := db.ring.UnwrapRaw(id, wrapped)
			if err != nil {
				return fmt.Errorf("store: the %s key does not open with this master key (is master.key the one this database was made with?): %w", purpose, err)
			}
			raw[purpose] = r
		}
		dk, err := security.NewDataKey32(id, raw[purpose])
		if err != nil {
			return err
		}
		db.keys.Put(id, dk)
		switch purpose {
		case keySession:
			db.sessionKey = dk
		case keySystem:
			db.systemKey = dk
		}
	}
	bidx, err := security.NewBlindIndex(raw[keyBlindIndex])
	if err != nil {
		return err
	}
	db.bidx = bidx
	db.pseudonyms, err = security.NewBlindIndex(raw[keyPseudonym])
	return err
}

// createKey makes a new data key, stores it wrapped, and caches it unwrapped.
func (db *DB) createKey(ctx context.Context, tx *sql.Tx, purpose string) (int64, []byte, error) {
	id, err := nextID(ctx, tx, "keys")
	if err != nil {
		return 0, nil, err
	}
	raw := security.NewDataKey()
	wrapped, err := db.ring.WrapKey(id, raw)
	if err != nil {
		return 0, nil, err
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO keys (id, purpose, wrapped, created_at) VALUES (?, ?, ?, ?)",
		id, purpose, wrapped, nanos(db.now())); err != nil {
		return 0, nil, fmt.Errorf("store: create key: %w", err)
	}
	return id, raw, nil
}

// newCustomerKey creates a customer's own data key inside tx. The unwrapped
// key is cached only after the transaction commits (see remember).
func (db *DB) newCustomerKey(ctx context.Context, tx *sql.Tx) (*security.DataKey, error) {
	id, raw, err := db.createKey(ctx, tx, keyCustomer)
	if err != nil {
		return nil, err
	}
	return security.NewDataKey32(id, raw)
}

// dataKeyCache bounds the unwrapped data keys kept in memory. Each customer
// has one, and an unwrapped key with its AES-GCM tables takes about 0.9 KB
// (heap profiles: 70 MB after 94,000 API tickets for new customers when the
// cache had no bound, 9 MB for 10,000 keys), so 4,096 keys take under 4 MB.
// That is far more customers than staff work on at once; a key that has
// left the cache costs one indexed read and one unwrap.
const dataKeyCache = 4096

func (db *DB) remember(k *security.DataKey) { db.keys.Put(k.ID(), k) }

func (db *DB) forget(id int64) { db.keys.Delete(id) }

// dataKey returns the unwrapped key with this id, from the cache or the table.
func (db *DB) dataKey(ctx context.Context, q querier, id int64) (*security.DataKey, error) {
	if k, ok := db.keys.Get(id); ok {
		return k, nil
	}
	var wrapped []byte
	err := q.QueryRowContext(ctx, "SELECT wrapped FROM keys WHERE id = ?", id).Scan(&wrapped)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("store: key %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store: key %d: %w", id, err)
	}
	k, err := db.ring.UnwrapKey(id, wrapped)
	if err != nil {
		return nil, err
	}
	// Keys read inside a transaction may vanish with a rollback; only
	// committed keys are cached.
	if _, inTx := q.(*sql.Tx); !inTx {
		db.remember(k)
	}
	return k, nil
}

// querier is what *sql.DB and *sql.Tx share.
type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// EmailIndex is the blind index of an address, for rate limits and lookups.
func (db *DB) EmailIndex(addr string) []byte { return db.bidx.Email(addr) }

// CheckKeys opens every wrapped key with the master key, for backup verify
// and doctor.
func (db *DB) CheckKeys(ctx context.Context) (int, error) {
	keys, err := readWrappedKeys(ctx, db.read)
	if err != nil {
		return 0, fmt.Errorf("store: check keys: %w", err)
	}
	for i, k := range keys {
		if _, err := db.ring.UnwrapRaw(k.id, k.wrapped); err != nil {
			return i, fmt.Errorf("store: key %d: %w", k.id, err)
		}
	}
	return len(keys), nil
}

// wrappedKey is a row of the keys table: a data key wrapped by the master
// key.
type wrappedKey struct {
	id      int64
	wrapped []byte
}

// readWrappedKeys reads the whole keys table, in id order.
func readWrappedKeys(ctx context.Context, q interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}) ([]wrappedKey, error) {
	rows, err := q.QueryContext(ctx, "SELECT id, wrapped FROM keys ORDER BY id")
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var keys []wrappedKey
	for rows.Next() {
		var k wrappedKey
		if err := rows.Scan(&k.id, &k.wrapped); err != nil {
			return nil, err
		}
		keys = append(keys, k)
	}
	return keys, rows.Err()
}

// nextID returns the id the next row of an AUTOINCREMENT table will get.
// Sealed fields bind their row id, so the id must be known before the
// INSERT; with one writer connection nothing can take it in between, and
// AUTOINCREMENT never hands out the id of a deleted row again.
func nextID(ctx context.Context, tx *sql.Tx, table string) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx,
		"SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = ?), 0) + 1", table).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("store: next %s id: %w", table, err)
	}
	return id, nil
}
