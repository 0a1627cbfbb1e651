package store

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"

	"safedesk/security"
)

// ErrNoMasterKeyOpens reports a database whose data keys open with none of
// the master keys tried.
var ErrNoMasterKeyOpens = errors.New("store: the data keys open with none of the master keys")

// RotateMasterKey re-wraps every data key under next, in one transaction
// together with its audit entry: either every key is re-wrapped or none is.
// Afterwards db wraps the keys it creates with next.
//
// The raw data keys do not change, so every sealed field and blind index
// stays valid. Run it with no other user of db (the command line runs it
// with the server stopped); the caller writes the new key file, in an order
// that survives a crash at any point.
func (db *DB) RotateMasterKey(ctx context.Context, next *security.Keyring, a Actor) (int, error) {
	if next == nil {
		return 0, errors.New("store: rotate: no new master key")
	}
	oldFP, newFP := db.ring.Fingerprint(), next.Fingerprint()
	if oldFP == newFP {
		return 0, errors.New("store: rotate: the new master key is the current one")
	}
	var n int
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var err error
		if n, err = rewrapKeys(ctx, tx, db.ring, next); err != nil {
			return err
		}
		return db.appendAudit(ctx, tx, a, "keys.rotated", "master-key", map[string]any{
			"keys": n, "from": hex.EncodeToString(oldFP[:]), "to": hex.EncodeToString(newFP[:]),
		})
	})
	if err != nil {
		return 0, err
	}
	db.mu.Lock()
	db.ring = next
	db.mu.Unlock()
	return n, nil
}

// rewrapKeys re-wraps every row of the keys table from old to next inside tx.
func rewrapKeys(ctx context.Context, tx *sql.Tx, old, next *security.Keyring) (int, error) {
	keys, err := readWrappedKeys(ctx, tx)
	if err != nil {
		return 0, fmt.Errorf("store: rotate: %w", err)
	}
	out := make([]wrappedKey, 0, len(keys))
	for _, k := range keys {
		raw, err := old.UnwrapRaw(k.id, k.wrapped)
		if err != nil {
			return 0, fmt.Errorf("store: rotate: key %d: %w", k.id, err)
		}
		w, err := next.WrapKey(k.id, raw)
		clear(raw)
		if err != nil {
			return 0, fmt.Errorf("store: rotate: key %d: %w", k.id, err)
		}
		out = append(out, wrappedKey{k.id, w})
	}
	for _, k := range out {
		if _, err := tx.ExecContext(ctx, "UPDATE keys SET wrapped = ? WHERE id = ?", k.wrapped, k.id); err != nil {
			return 0, fmt.Errorf("store: rotate: key %d: %w", k.id, err)
		}
	}
	return len(out), nil
}

// MasterKeyInUse returns the index of the candidate master key that opens
// every data key of the database at path, for finishing an interrupted
// rotation before the store is opened. It neither migrates nor writes. A
// database without keys yet is opened by any candidate (index 0); one that
// no candidate opens gives ErrNoMasterKeyOpens.
func MasterKeyInUse(ctx context.Context, path string, candidates ...*security.Keyring) (int, error) {
	// mode=rw (not ro): a crash can leave a WAL that only a writable
	// connection may recover; rw still refuses to create a missing file.
	v := url.Values{}
	v.Add("_pragma", "busy_timeout(5000)")
	v.Set("mode", "rw")
	conn, err := sql.Open("sqlite", "file:"+path+"?"+v.Encode())
	if err != nil {
		return -1, fmt.Errorf("store: open %s: %w", path, err)
	}
	defer conn.Close()
	var tables int
	if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'keys'").Scan(&tables); err != nil {
		return -1, fmt.Errorf("store: open %s: %w", path, err)
	}
	if tables == 0 {
		return 0, nil
	}
	for i, ring := range candidates {
		if err := CheckWrappedKeys(ring)(ctx, conn); err == nil {
			return i, nil
		} else if !errors.Is(err, security.ErrWrongMasterKey) && !errors.Is(err, security.ErrOpen) {
			return -1, err
		}
	}
	return -1, ErrNoMasterKeyOpens
}
