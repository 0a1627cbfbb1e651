package security

import (
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"
)

func TestLRUEvictsLeastRecentlyUsed(t *testing.T) {
	c := NewLRU[int, string](16) // one shard: the order is exact
	if got := c.Cap(); got != 16 {
		t.Fatalf("Cap = %d, want 16", got)
	}
	for i := range 16 {
		c.Put(i, strconv.Itoa(i))
	}
	if v, ok := c.Get(0); !ok || v != "0" {
		t.Fatalf("Get(0) = %q, %v; want \"0\", true", v, ok)
	}
	c.Put(5, "five") // an update is a use too
	c.Put(16, "16")  // full: drops 1, now the oldest
	c.Put(17, "17")  // drops 2
	for k, want := range map[int]bool{0: true, 1: false, 2: false, 3: true, 5: true, 16: true, 17: true} {
		if _, ok := c.Get(k); ok != want {
			t.Errorf("Get(%d) found = %v, want %v", k, ok, want)
		}
	}
	if v, _ := c.Get(5); v != "five" {
		t.Errorf("Get(5) = %q, want the updated value", v)
	}
	if n := c.Len(); n != 16 {
		t.Errorf("Len = %d, want the cap of 16", n)
	}
}

func TestLRUDelete(t *testing.T) {
	c := NewLRU[string, int](100)
	c.Put("a", 1)
	c.Put("b", 2)
	if !c.Delete("a") || c.Delete("a") {
		t.Error("Delete(a) twice = want true, then false")
	}
	if _, ok := c.Get("a"); ok {
		t.Error("a is still there after Delete")
	}
	c.Put("c", 3) // reuses a's place
	if v, ok := c.Get("b"); !ok || v != 2 || c.Len() != 2 {
		t.Errorf("Get(b) = %d, %v with Len %d; want 2, true with Len 2", v, ok, c.Len())
	}
}

func TestLRUHardCap(t *testing.T) {
	for _, max := range []int{1, 15, 100, 640, 1000, DefaultMaxKeys} {
		c := NewLRU[int, int64](max)
		for i := range 3 * max {
			c.Put(i, int64(i))
		}
		if n, capacity := c.Len(), c.Cap(); n > max || capacity > max || n != capacity {
			t.Errorf("NewLRU(%d): Len %d, Cap %d after %d keys; want Len = Cap ≤ %d", max, n, capacity, 3*max, max)
		}
		if _, ok := c.Get(3*max - 1); !ok {
			t.Errorf("NewLRU(%d): the newest key is gone", max)
		}
	}
}

func TestLRUConcurrent(t *testing.T) {
	c := NewLRU[int, int](1024)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 20000 {
				k := g*100000 + i%3000
				c.Put(k, i)
				if v, ok := c.Get(k); ok && v != i {
					// Another goroutine never writes this key.
					t.Errorf("Get(%d) = %d, want %d", k, v, i)
					return
				}
				if i%7 == 0 {
					c.Delete(k)
				}
			}
		})
	}
	wg.Wait()
	if n := c.Len(); n > 1024 {
		t.Errorf("Len = %d, want at most 1024", n)
	}
}

// TestLRUAllocations: a hit allocates nothing, and neither does a new key
// in a full LRU, whose storage is then reused.
func TestLRUAllocations(t *testing.T) {
	c := NewLRU[stateKey, int64](4096)
	for i := range 8192 {
		c.Put(stateKey{uint64(i), 1}, 1)
	}
	hit := stateKey{8000, 1}
	if n := testing.AllocsPerRun(1000, func() { c.Put(hit, 2); c.Get(hit) }); n != 0 {
		t.Errorf("%v allocations per hit, want 0", n)
	}
	next := uint64(1 << 20)
	if n := testing.AllocsPerRun(10000, func() { next++; c.Put(stateKey{next, 1}, 1) }); n != 0 {
		t.Errorf("%v allocations per new key in a full LRU, want 0", n)
	}
}

// TestKeyedStateBytes measures what a full limiter and a full anomaly
// detector hold, the figures DefaultMaxKeys's comment gives. The limiter's
// buckets refill slowly, so that none is dropped as full while it fills.
func TestKeyedStateBytes(t *testing.T) {
	keys := make([]string, DefaultMaxKeys)
	for i := range keys {
		keys[i] = "2001:db8:" + strconv.Itoa(i) + "::"
	}
	for _, tt := range []struct {
		name string
		max  int // bytes per key
		fill func() interface{ Len() int }
	}{
		{"limiter", 80, func() interface{ Len() int } {
			l := EmailCodeLimit.NewLimiter(time.Now)
			for _, k := range keys {
				l.Allow(k)
			}
			return l
		}},
		{"anomaly detector", 120, func() interface{ Len() int } {
			a := newAnomalyDetector(DefaultAnomalyConfig, newAbuseClock(time.Now), newKeyHasher())
			for _, k := range keys {
				a.Observe(k, Event{Status: 200})
			}
			return a
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			before := heapInUse()
			kept := tt.fill()
			per := (heapInUse() - before) / DefaultMaxKeys
			if n := kept.Len(); n < DefaultMaxKeys*98/100 {
				t.Fatalf("Len = %d, want about %d", n, DefaultMaxKeys)
			}
			t.Logf("%d bytes per key", per)
			if per > tt.max {
				t.Errorf("%d bytes per key, want at most %d", per, tt.max)
			}
		})
	}
}

func heapInUse() int {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int(m.HeapAlloc)
}
