package security

import (
	"hash/maphash"
	"sync"
)

// LRU is a map with a hard cap on its entries: adding a key to a full LRU
// drops the least recently used entry. It is the one structure for state
// kept per client, session, token or customer, so that no number of
// distinct visitors can grow memory without limit.
//
// The entries are split into shards, each with its own lock and an equal
// share of the cap, so that requests for different keys rarely wait for
// each other; the least recently used entry is that of the shard the new
// key falls in. Get, Put and Delete take constant time and allocate nothing
// once a shard's storage has grown. Storage grows with use, up to the cap,
// and is then reused. It is safe for concurrent use.
type LRU[K comparable, V any] struct {
	seed   maphash.Seed
	mask   uint64
	shards []lruShard[K, V]
}

// lruShards is the most shards an LRU has; a power of two. Smaller caps get
// fewer shards, so that each holds at least lruMinShard entries and the
// total never exceeds the cap.
const (
	lruShards   = 64
	lruMinShard = 16
)

// lruShard is one shard: an index from keys to nodes, and the nodes in a
// circular doubly linked list through their positions in one slice, most
// recently used first. Positions rather than pointers keep the nodes free
// of pointers the garbage collector must follow (when K and V hold none),
// and a free list reuses the places of deleted entries.
type lruShard[K comparable, V any] struct {
	mu    sync.Mutex
	index map[K]int32
	nodes []lruNode[K, V] // nodes[0] is the list head: next is the newest, prev the oldest
	free  int32           // first free node, chained through next; 0 when none
	limit int
	_     [64]byte // keep neighbouring shards' locks off one cache line
}

type lruNode[K comparable, V any] struct {
	key        K
	prev, next int32
	val        V
}

// NewLRU returns an empty LRU holding at most maxEntries entries (at
// least one).
func NewLRU[K comparable, V any](maxEntries int) *LRU[K, V] {
	maxEntries = max(1, maxEntries)
	n := lruShards
	for n > 1 && maxEntries/n < lruMinShard {
		n /= 2
	}
	c := &LRU[K, V]{seed: maphash.MakeSeed(), mask: uint64(n - 1), shards: make([]lruShard[K, V], n)}
	for i := range c.shards {
		sh := &c.shards[i]
		sh.limit = maxEntries / n
		sh.index = make(map[K]int32)
		sh.nodes = make([]lruNode[K, V], 1, min(sh.limit+1, 8))
	}
	return c
}

// Cap is the most entries c holds.
func (c *LRU[K, V]) Cap() int { return len(c.shards) * c.shards[0].limit }

// Get returns k's value and marks it the most recently used.
func (c *LRU[K, V]) Get(k K) (V, bool) {
	sh := c.shard(k)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if p := sh.get(k); p != nil {
		return *p, true
	}
	var zero V
	return zero, false
}

// Put sets k's value and marks it the most recently used, dropping the
// least recently used entry of k's shard when it is full.
func (c *LRU[K, V]) Put(k K, v V) {
	sh := c.shard(k)
	sh.mu.Lock()
	if p := sh.get(k); p != nil {
		*p = v
	} else {
		sh.add(k, v)
	}
	sh.mu.Unlock()
}

// Delete removes k and reports whether it was there.
func (c *LRU[K, V]) Delete(k K) bool {
	sh := c.shard(k)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	return sh.remove(k)
}

// Len is the number of entries, counted shard by shard.
func (c *LRU[K, V]) Len() int {
	n := 0
	for i := range c.shards {
		sh := &c.shards[i]
		sh.mu.Lock()
		n += len(sh.index)
		sh.mu.Unlock()
	}
	return n
}

// shard is k's shard; the caller locks it to use its methods.
func (c *LRU[K, V]) shard(k K) *lruShard[K, V] {
	return &c.shards[maphash.Comparable(c.seed, k)&c.mask]
}

// each calls f for every entry, newest first within each shard, under the
// shard's lock: f must not use c.
func (c *LRU[K, V]) each(f func(K, *V)) {
	for i := range c.shards {
		sh := &c.shards[i]
		sh.mu.Lock()
		for j := sh.nodes[0].next; j != 0; j = sh.nodes[j].next {
			f(sh.nodes[j].key, &sh.nodes[j].val)
		}
		sh.mu.Unlock()
	}
}

// get returns a pointer to k's value, now the most recently used, or nil.
// The pointer is valid until the next add to the shard.
func (s *lruShard[K, V]) get(k K) *V {
	i, ok := s.index[k]
	if !ok {
		return nil
	}
	if s.nodes[0].next != i {
		s.unlink(i)
		s.pushFront(i)
	}
	return &s.nodes[i].val
}

// peek is get without marking the entry used.
func (s *lruShard[K, V]) peek(k K) *V {
	if i, ok := s.index[k]; ok {
		return &s.nodes[i].val
	}
	return nil
}

// add stores k, which must be absent, as the most recently used entry,
// first dropping the oldest when the shard is full, and returns a pointer
// to its value (see get).
func (s *lruShard[K, V]) add(k K, v V) *V {
	if len(s.index) >= s.limit {
		s.removeAt(s.nodes[0].prev)
	}
	i := s.free
	if i != 0 {
		s.free = s.nodes[i].next
	} else {
		if len(s.nodes) == cap(s.nodes) {
			grown := make([]lruNode[K, V], len(s.nodes), min(s.limit+1, 2*cap(s.nodes)))
			copy(grown, s.nodes)
			s.nodes = grown
		}
		i = int32(len(s.nodes))
		s.nodes = s.nodes[:i+1]
	}
	s.nodes[i] = lruNode[K, V]{key: k, val: v}
	s.pushFront(i)
	s.index[k] = i
	return &s.nodes[i].val
}

// remove drops k and reports whether it was there.
func (s *lruShard[K, V]) remove(k K) bool {
	i, ok := s.index[k]
	if ok {
		s.removeAt(i)
	}
	return ok
}

// oldest returns the position of the least recently used entry, 0 when
// the shard is empty.
func (s *lruShard[K, V]) oldest() int32 { return s.nodes[0].prev }

// removeAt drops the entry at position i (not 0) and frees its node.
func (s *lruShard[K, V]) removeAt(i int32) {
	s.unlink(i)
	delete(s.index, s.nodes[i].key)
	s.nodes[i] = lruNode[K, V]{next: s.free} // drops what the value pointed to
	s.free = i
}

func (s *lruShard[K, V]) unlink(i int32) {
	n := &s.nodes[i]
	s.nodes[n.prev].next = n.next
	s.nodes[n.next].prev = n.prev
}

func (s *lruShard[K, V]) pushFront(i int32) {
	first := s.nodes[0].next
	s.nodes[i].prev, s.nodes[i].next = 0, first
	s.nodes[first].prev = i
	s.nodes[0].next = i
}
