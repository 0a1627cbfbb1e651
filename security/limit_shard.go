package security

import (
	"hash/maphash"
	"strings"
	"sync"
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

// keyShardCount is the number of independently locked shards; a power of two.
const keyShardCount = 64

// keyedEntry is a value kept per key. expiry is the clock reading after
// which the entry holds nothing worth keeping (a full bucket, a client quiet
// long enough that its averages have decayed away); entries with the
// smallest expiry are the first to go when a shard is full.
type keyedEntry interface {
	expiry() int64
}

type keyShard[V keyedEntry] struct {
	mu    sync.Mutex
	m     map[string]V
	swept int64    // reading of the last sweep
	_     [40]byte // keep neighbouring shards off this cache line
}

// keyShards is a map from client keys to small values, split into shards
// with a mutex each, bounded in size. Callers lock a shard, read or write
// its map directly, and use put for new keys.
type keyShards[V keyedEntry] struct {
	seed     maphash.Seed
	perShard int
	every    int64 // sweep interval
	shards   [keyShardCount]keyShard[V]
}

func (s *keyShards[V]) init(maxKeys int, sweepEvery time.Duration) {
	s.seed = maphash.MakeSeed()
	s.perShard = max(1, (maxKeys+keyShardCount-1)/keyShardCount)
	s.every = int64(sweepEvery)
	for i := range s.shards {
		s.shards[i].m = make(map[string]V)
	}
}

func (s *keyShards[V]) shard(key string) *keyShard[V] {
	return &s.shards[maphash.String(s.seed, key)%keyShardCount]
}

// tidy drops expired entries when the shard's sweep is due. The caller holds
// sh.mu; the cost is one comparison except once per sweep interval.
func (s *keyShards[V]) tidy(sh *keyShard[V], now int64) {
	if now-sh.swept < s.every {
		return
	}
	sh.swept = now
	for k, v := range sh.m {
		if v.expiry() <= now {
			delete(sh.m, k)
		}
	}
}

// put stores a key the caller found absent, evicting first when the shard is
// full. The key is copied so that a caller's substring of a large buffer is
// not retained. The caller holds sh.mu.
func (s *keyShards[V]) put(sh *keyShard[V], key string, v V, now int64) {
	if len(sh.m) >= s.perShard {
		s.evict(sh, now)
	}
	sh.m[strings.Clone(key)] = v
}

// evict frees one place in a full shard at constant cost: it samples a few
// entries (map iteration starts at a random place), drops every expired one
// it meets, and failing that the sampled entry closest to expiry.
func (s *keyShards[V]) evict(sh *keyShard[V], now int64) {
	const sample = 8
	var (
		victim  string
		soonest int64
		n       int
		freed   bool
	)
	for k, v := range sh.m {
		e := v.expiry()
		if e <= now {
			delete(sh.m, k)
			freed = true
		} else if n == 0 || e < soonest {
			victim, soonest = k, e
		}
		n++
		if n == sample {
			break
		}
	}
	if !freed && n > 0 {
		delete(sh.m, victim)
	}
}

// len counts the keys held, locking each shard in turn.
func (s *keyShards[V]) len() int {
	n := 0
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		n += len(sh.m)
		sh.mu.Unlock()
	}
	return n
}

// forget removes key.
func (s *keyShards[V]) forget(key string) bool {
	sh := s.shard(key)
	sh.mu.Lock()
	_, ok := sh.m[key]
	delete(sh.m, key)
	sh.mu.Unlock()
	return ok
}
