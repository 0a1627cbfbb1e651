package store

import "safedesk/security"

// SetKeyCache replaces the data-key cache with an empty one of at most n
// keys, so that a test can fill it.
func (db *DB) SetKeyCache(n int) { db.keys = security.NewLRU[int64, *security.DataKey](n) }

// KeyCache reports how many unwrapped data keys are cached, and the most
// the cache holds.
func (db *DB) KeyCache() (n, most int) { return db.keys.Len(), db.keys.Cap() }
