package monitor

import (
	"context"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"safedesk/store"
)

// Traffic counts requests per minute in memory, lock-free on the request
// path, for the web middleware; Minute moves finished minutes to the store,
// where the dashboard reads 24 hours of them (TrafficSince).
type Traffic struct {
	slots [trafficSlots]trafficSlot

	mu      sync.Mutex
	pending map[int64]store.TrafficMinute // minutes taken out of reused slots, not yet stored
}

// trafficSlots is how many minutes stay in memory, a power of two; Minute
// stores them long before a slot comes round again.
const trafficSlots = 16

// maxPending bounds the minutes kept while the store cannot take them.
const maxPending = 24 * 60

// Counters of a minute.
const (
	tRequests = iota
	tClientErrors
	tServerErrors
	tLimited
	tBlocked
	tCounters
)

// trafficSlot holds the counters of one minute.
type trafficSlot struct {
	minute atomic.Int64
	n      [tCounters]atomic.Int64
	_      [16]byte // the slots are 64 bytes apart: one cache line each
}

// Served counts a request answered with status.
func (t *Traffic) Served(now time.Time, status int) {
	sl := t.slot(now.Unix() / 60)
	sl.n[tRequests].Add(1)
	switch {
	case status == 429:
		sl.n[tLimited].Add(1)
	case status >= 500:
		sl.n[tServerErrors].Add(1)
	case status >= 400:
		sl.n[tClientErrors].Add(1)
	}
}

// Refused counts a request the guard or a limiter turned away: blocked,
// or over a rate limit.
func (t *Traffic) Refused(now time.Time, blocked bool) {
	sl := t.slot(now.Unix() / 60)
	sl.n[tRequests].Add(1)
	if blocked {
		sl.n[tBlocked].Add(1)
	} else {
		sl.n[tLimited].Add(1)
	}
}

// slot returns the slot of minute m, taking it over from an older minute
// when needed.
func (t *Traffic) slot(m int64) *trafficSlot {
	sl := &t.slots[uint64(m)%trafficSlots]
	if sl.minute.Load() != m {
		t.rotate(sl, m)
	}
	return sl
}

// rotate hands slot sl over to minute m, keeping what it held as pending.
func (t *Traffic) rotate(sl *trafficSlot, m int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	old := sl.minute.Load()
	if old >= m {
		return // taken over already, or a late request of an older minute
	}
	if tm := sl.take(old); tm.Requests > 0 {
		t.addPending(tm)
	}
	sl.minute.Store(m)
}

// take empties the slot's counters into a TrafficMinute of minute m.
func (sl *trafficSlot) take(m int64) store.TrafficMinute {
	return store.TrafficMinute{
		Minute: m, Requests: sl.n[tRequests].Swap(0), ClientErrors: sl.n[tClientErrors].Swap(0),
		ServerErrors: sl.n[tServerErrors].Swap(0), Limited: sl.n[tLimited].Swap(0), Blocked: sl.n[tBlocked].Swap(0),
	}
}

// peek reads the slot's counters without emptying them.
func (sl *trafficSlot) peek() store.TrafficMinute {
	return store.TrafficMinute{
		Minute: sl.minute.Load(), Requests: sl.n[tRequests].Load(), ClientErrors: sl.n[tClientErrors].Load(),
		ServerErrors: sl.n[tServerErrors].Load(), Limited: sl.n[tLimited].Load(), Blocked: sl.n[tBlocked].Load(),
	}
}

// addPending adds tm to the pending minutes; the caller holds t.mu.
func (t *Traffic) addPending(tm store.TrafficMinute) {
	if t.pending == nil {
		t.pending = map[int64]store.TrafficMinute{}
	}
	p := t.pending[tm.Minute]
	p.Minute = tm.Minute
	addMinute(&p, tm)
	t.pending[tm.Minute] = p
	for len(t.pending) > maxPending {
		oldest := int64(-1)
		for m := range t.pending {
			if oldest < 0 || m < oldest {
				oldest = m
			}
		}
		delete(t.pending, oldest)
	}
}

// addMinute adds src's counters to dst.
func addMinute(dst *store.TrafficMinute, src store.TrafficMinute) {
	dst.Requests += src.Requests
	dst.ClientErrors += src.ClientErrors
	dst.ServerErrors += src.ServerErrors
	dst.Limited += src.Limited
	dst.Blocked += src.Blocked
}

// takeFinished removes and returns the counts of every minute before
// current.
func (t *Traffic) takeFinished(current int64) []store.TrafficMinute {
	t.mu.Lock()
	defer t.mu.Unlock()
	for i := range t.slots {
		sl := &t.slots[i]
		if m := sl.minute.Load(); m != 0 && m < current {
			if tm := sl.take(m); tm.Requests > 0 {
				t.addPending(tm)
			}
		}
	}
	out := make([]store.TrafficMinute, 0, len(t.pending))
	for _, tm := range t.pending {
		out = append(out, tm)
	}
	clear(t.pending)
	sort.Slice(out, func(i, j int) bool { return out[i].Minute < out[j].Minute })
	return out
}

// putBack returns minutes the store did not take.
func (t *Traffic) putBack(ms []store.TrafficMinute) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, m := range ms {
		t.addPending(m)
	}
}

// unstored returns the counts not yet in the store, by minute.
func (t *Traffic) unstored() map[int64]store.TrafficMinute {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make(map[int64]store.TrafficMinute, len(t.pending)+trafficSlots)
	for m, tm := range t.pending {
		out[m] = tm
	}
	for i := range t.slots {
		tm := t.slots[i].peek()
		if tm.Minute == 0 || tm.Requests == 0 {
			continue
		}
		p := out[tm.Minute]
		p.Minute = tm.Minute
		addMinute(&p, tm)
		out[tm.Minute] = p
	}
	return out
}

// Traffic returns the counters that the web middleware feeds.
func (s *Service) Traffic() *Traffic { return &s.traffic }

// flushTraffic stores the finished minutes.
func (s *Service) flushTraffic(ctx context.Context) error {
	ms := s.traffic.takeFinished(s.db.Now().Unix() / 60)
	if err := s.db.AddTraffic(ctx, ms); err != nil {
		s.traffic.putBack(ms)
		return err
	}
	return nil
}

// TrafficSince returns the request counts per minute from since on: the
// stored ones and those still in memory.
func (s *Service) TrafficSince(ctx context.Context, since time.Time) (map[int64]store.TrafficMinute, error) {
	stored, err := s.db.ListTraffic(ctx, since)
	if err != nil {
		return nil, err
	}
	out := s.traffic.unstored()
	first := since.Unix() / 60
	for m := range out {
		if m < first {
			delete(out, m)
		}
	}
	for _, tm := range stored {
		p := out[tm.Minute]
		p.Minute = tm.Minute
		addMinute(&p, tm)
		out[tm.Minute] = p
	}
	return out, nil
}
