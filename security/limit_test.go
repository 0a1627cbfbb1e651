package security

import (
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// guardClock is a settable clock for the limiter, anomaly and guard tests.
type guardClock struct {
	mu sync.Mutex
	t  time.Time
}

func newGuardClock() *guardClock {
	return &guardClock{t: time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)}
}

func (c *guardClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *guardClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func TestLimiterAllow(t *testing.T) {
	clk := newGuardClock()
	l := LimitConfig{Rate: 2, Burst: 3}.NewLimiter(clk.Now) // a token every 500 ms, three at once
	steps := []struct {
		advance   time.Duration
		n         int
		wantOK    bool
		wantRetry time.Duration
	}{
		{0, 1, true, 0},
		{0, 1, true, 0},
		{0, 1, true, 0},
		{0, 1, false, 500 * time.Millisecond},
		{200 * time.Millisecond, 1, false, 300 * time.Millisecond},
		{300 * time.Millisecond, 1, true, 0},
		{0, 1, false, 500 * time.Millisecond},
		{time.Second, 2, true, 0},
		{0, 2, false, time.Second},
		{time.Hour, 3, true, 0},
		{0, 4, false, -1}, // more than the burst never fits
		{0, 0, true, 0},
	}
	for i, s := range steps {
		clk.Advance(s.advance)
		ok, retry := l.AllowN("203.0.113.7", s.n)
		if ok != s.wantOK || retry != s.wantRetry {
			t.Errorf("step %d: AllowN(%d) = %v, %v; want %v, %v", i, s.n, ok, retry, s.wantOK, s.wantRetry)
		}
	}
	if ok, _ := l.Allow("198.51.100.1"); !ok {
		t.Error("another key shares the first key's bucket")
	}
}

func TestLimiterStatus(t *testing.T) {
	clk := newGuardClock()
	l := LimitConfig{Rate: 1, Burst: 10}.NewLimiter(clk.Now)
	if got, want := l.Status("k"), (Quota{Limit: 10, Remaining: 10}); got != want {
		t.Errorf("unknown key: Status = %+v, want %+v", got, want)
	}
	l.AllowN("k", 4)
	if got, want := l.Status("k"), (Quota{Limit: 10, Remaining: 6, Reset: 4 * time.Second}); got != want {
		t.Errorf("after 4: Status = %+v, want %+v", got, want)
	}
	clk.Advance(1500 * time.Millisecond)
	q := l.Status("k")
	if q.Remaining != 7 || q.Reset != 2500*time.Millisecond || q.ResetSeconds() != 3 {
		t.Errorf("1.5 s later: Status = %+v (ResetSeconds %d), want 7 remaining, reset 2.5 s (3)", q, q.ResetSeconds())
	}
	l.Forget("k")
	if q := l.Status("k"); q.Remaining != 10 {
		t.Errorf("after Forget: Remaining = %d, want 10", q.Remaining)
	}
}

func TestLimitDefaults(t *testing.T) {
	t.Run("a reader never hits the client limit", func(t *testing.T) {
		clk := newGuardClock()
		l := ClientLimit.NewLimiter(clk.Now)
		for page := range 300 { // ten minutes, a page and 10 assets every 2 s
			for asset := range 11 {
				if ok, _ := l.Allow("192.0.2.10"); !ok {
					t.Fatalf("page %d asset %d refused", page, asset)
				}
			}
			clk.Advance(2 * time.Second)
		}
	})
	t.Run("five pages at once from a cold cache", func(t *testing.T) {
		l := ClientLimit.NewLimiter(newGuardClock().Now)
		for i := range 55 {
			if ok, _ := l.Allow("192.0.2.10"); !ok {
				t.Fatalf("request %d refused", i)
			}
		}
	})
	t.Run("a script is stopped", func(t *testing.T) {
		clk := newGuardClock()
		l := ClientLimit.NewLimiter(clk.Now)
		refused := 0
		for range 500 { // 100 a second for 5 s
			if ok, _ := l.Allow("192.0.2.66"); !ok {
				refused++
			}
			clk.Advance(10 * time.Millisecond)
		}
		if refused < 300 {
			t.Errorf("refused %d of 500 requests at 100/s, want at least 300", refused)
		}
	})
	t.Run("five codes an hour per address", func(t *testing.T) {
		clk := newGuardClock()
		l := EmailCodeLimit.NewLimiter(clk.Now)
		for i := range 5 {
			if ok, _ := l.Allow("blind-index"); !ok {
				t.Fatalf("code %d refused", i+1)
			}
		}
		ok, retry := l.Allow("blind-index")
		if ok || retry != 12*time.Minute {
			t.Errorf("sixth code: Allow = %v, %v; want false, 12m", ok, retry)
		}
	})
	t.Run("an API token bursts 100", func(t *testing.T) {
		l := TokenLimit.NewLimiter(newGuardClock().Now)
		if ok, _ := l.AllowN("tok", 100); !ok {
			t.Error("100 at once refused")
		}
		if ok, retry := l.Allow("tok"); ok || retry != 100*time.Millisecond {
			t.Errorf("101st: Allow = %v, %v; want false, 100ms", ok, retry)
		}
	})
}

func TestLimiterConcurrent(t *testing.T) {
	l := LimitConfig{Rate: 1, Burst: 50}.NewLimiter(newGuardClock().Now) // the clock stands still
	var allowed atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				if ok, _ := l.Allow("shared"); ok {
					allowed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if got := allowed.Load(); got != 50 {
		t.Errorf("allowed %d of 800 concurrent requests, want exactly the burst of 50", got)
	}
}

func TestLimiterMemoryBounded(t *testing.T) {
	t.Run("a full map drops buckets", func(t *testing.T) {
		l := LimitConfig{Rate: 1, Burst: 5, MaxKeys: 640}.NewLimiter(newGuardClock().Now)
		for i := range 20000 {
			l.Allow("10.0." + strconv.Itoa(i))
		}
		if n := l.Len(); n > 640 {
			t.Errorf("Len = %d after 20000 keys, want at most the cap of 640", n)
		}
	})
	t.Run("refilled buckets are swept", func(t *testing.T) {
		clk := newGuardClock()
		l := LimitConfig{Rate: 1, Burst: 5, MaxKeys: 1 << 20}.NewLimiter(clk.Now)
		for i := range 20000 {
			l.Allow("10.0." + strconv.Itoa(i))
		}
		clk.Advance(2 * time.Minute) // every bucket is full again
		for i := range 2000 {        // touches every shard (all but surely), each then sweeps
			l.Allow("fresh-" + strconv.Itoa(i))
		}
		if n := l.Len(); n > 2100 {
			t.Errorf("Len = %d, want the 20000 refilled buckets gone", n)
		}
	})
}

// TestLimiterFloodKeepsActiveClients: a flood of new keys, more than the
// cap, drops the buckets nobody uses, not that of a client still sending.
func TestLimiterFloodKeepsActiveClients(t *testing.T) {
	clk := newGuardClock()
	l := LimitConfig{Rate: 1.0 / 60, Burst: 5, MaxKeys: 640}.NewLimiter(clk.Now)
	for range 5 {
		l.Allow("scraper")
	}
	l.Allow("quiet")
	for i := range 20000 {
		l.Allow("2001:db8:" + strconv.Itoa(i) + "::")
		if i%100 == 0 {
			if ok, _ := l.Allow("scraper"); ok {
				t.Fatalf("after %d new keys the scraper's empty bucket was dropped", i)
			}
		}
	}
	if q := l.Status("quiet"); q.Remaining != 5 {
		t.Errorf("quiet client: %d remaining, want its bucket dropped (5)", q.Remaining)
	}
	if n := l.Len(); n > 640 {
		t.Errorf("Len = %d, want at most 640", n)
	}
}

func TestLimiterPanicsOnBadConfig(t *testing.T) {
	tests := []struct {
		name  string
		rate  float64
		burst int
	}{
		{"zero rate", 0, 1},
		{"negative rate", -1, 1},
		{"zero burst", 1, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Error("NewLimiter did not panic")
				}
			}()
			LimitConfig{Rate: tt.rate, Burst: tt.burst}.NewLimiter(nil)
		})
	}
}

func BenchmarkLimiterAllow(b *testing.B) {
	l := ClientLimit.NewLimiter(time.Now)
	keys := make([]string, 1024)
	for i := range keys {
		keys[i] = "198.51.100." + strconv.Itoa(i)
		l.Allow(keys[i])
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			l.Allow(keys[i&1023])
			i++
		}
	})
}
