package security

import (
	"hash/maphash"
	"time"
)

// abuseClock turns the injected clock into int64 nanoseconds since the
// component was created, so the hot paths compare integers. With time.Now
// the differences use the monotonic reading and survive wall-clock jumps.
type abuseClock struct {
	now   func() time.Time
	epoch time.Time
}

func newAbuseClock(now func() time.Time) abuseClock {
	if now == nil {
		now = time.Now
	}
	return abuseClock{now: now, epoch: now()}
}

// ns is the current reading.
func (c abuseClock) ns() int64 { return int64(c.now().Sub(c.epoch)) }

// of converts t to a reading; the zero time means now.
func (c abuseClock) of(t time.Time) int64 {
	if t.IsZero() {
		return c.ns()
	}
	return int64(t.Sub(c.epoch))
}

// at converts a reading back to a wall time without a monotonic part.
func (c abuseClock) at(ns int64) time.Time {
	return c.epoch.Add(time.Duration(ns)).Round(0)
}

// stateKey is what the limiter, the guard and the anomaly detector keep in
// place of a caller's key (a client address, a hashed session token, an
// email's blind index): a 128-bit hash of it under the process's random
// seeds. No key string is copied or kept, every entry has the same small
// size and holds no pointer, and two keys sharing an entry is a chance of
// about 2⁻¹²⁸ per pair.
type stateKey [2]uint64

// keyHasher makes stateKeys. Components that share one (the guard with its
// anomaly detector and throttle) hash a key once for all of them.
type keyHasher struct{ seeds [2]maphash.Seed }

func newKeyHasher() keyHasher {
	return keyHasher{[2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()}}
}

func (h keyHasher) key(s string) stateKey {
	return stateKey{maphash.String(h.seeds[0], s), maphash.String(h.seeds[1], s)}
}

// keyedEntry is a value kept per key. expiry is the clock reading after
// which the entry holds nothing worth keeping (a full bucket, a client quiet
// long enough that its averages have decayed away): dropping it then is the
// same as keeping it.
type keyedEntry interface {
	expiry() int64
}

// keyedState is per-key state in an LRU with a hard cap (see LRU): under a
// flood of new keys the least recently used entries go, and entries that
// have expired go first. Callers lock a shard (lock), then get, add or
// remove entries of that shard.
type keyedState[V keyedEntry] struct {
	lru *LRU[stateKey, V]
}

func newKeyedState[V keyedEntry](maxKeys int) keyedState[V] {
	return keyedState[V]{lru: NewLRU[stateKey, V](maxKeys)}
}

// lock returns k's shard, locked.
func (s keyedState[V]) lock(k stateKey) *lruShard[stateKey, V] {
	sh := s.lru.shard(k)
	sh.mu.Lock()
	return sh
}

// add stores k, which the caller found absent in the locked shard sh,
// first dropping the expired entries at the shard's old end: each entry is
// dropped once, so the cost stays constant on average.
func (s keyedState[V]) add(sh *lruShard[stateKey, V], k stateKey, v V, now int64) *V {
	for i := sh.oldest(); i != 0 && sh.nodes[i].val.expiry() <= now; i = sh.oldest() {
		sh.removeAt(i)
	}
	return sh.add(k, v)
}

// forget removes k and reports whether it was there.
func (s keyedState[V]) forget(k stateKey) bool {
	sh := s.lock(k)
	defer sh.mu.Unlock()
	return sh.remove(k)
}

// len is the number of entries.
func (s keyedState[V]) len() int { return s.lru.Len() }
