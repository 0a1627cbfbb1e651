package monitor

import (
	"context"
	"maps"
	"slices"
	"testing"
	"time"

	"safedesk/store"
)

// sum adds up a window of minutes.
func sum(ms []store.TrafficMinute) store.TrafficMinute {
	var t store.TrafficMinute
	for _, m := range ms {
		addMinute(&t, m)
	}
	return t
}

// TestTrafficCounts: what the middleware counts shows on the dashboard at
// once, is stored by Minute, and is never counted twice.
func TestTrafficCounts(t *testing.T) {
	f := newFixture(t, Options{})
	ctx := context.Background()
	tr := f.mon.Traffic()
	now := f.now()
	for range 5 {
		tr.Served(now, 200)
	}
	tr.Served(now, 404)
	tr.Served(now, 503)
	tr.Served(now, 429)
	tr.Refused(now, true)
	tr.Refused(now, false)
	want := store.TrafficMinute{Requests: 10, ClientErrors: 1, ServerErrors: 1, Limited: 2, Blocked: 1}

	since := now.Add(-time.Hour)
	live, err := f.mon.TrafficSince(ctx, since)
	if err != nil {
		t.Fatal(err)
	}
	if got := sum(slices.Collect(maps.Values(live))); got != want {
		t.Fatalf("in memory %+v, want %+v", got, want)
	}
	f.advance(time.Minute)
	f.mon.Minute(ctx)
	stored, err := f.db.ListTraffic(ctx, since)
	if err != nil {
		t.Fatal(err)
	}
	if got := sum(stored); got != want {
		t.Errorf("stored %+v, want %+v", got, want)
	}
	again, err := f.mon.TrafficSince(ctx, since)
	if err != nil {
		t.Fatal(err)
	}
	if got := sum(slices.Collect(maps.Values(again))); got != want {
		t.Errorf("after storing %+v, want %+v (no double counting)", got, want)
	}
}

// TestTrafficSlotReused: a minute whose slot is taken over by a later
// minute before Minute ran is kept, not lost.
func TestTrafficSlotReused(t *testing.T) {
	f := newFixture(t, Options{})
	ctx := context.Background()
	tr := f.mon.Traffic()
	first := f.now()
	tr.Served(first, 200)
	tr.Served(first.Add(trafficSlots*time.Minute), 200) // the same slot, 16 minutes on
	f.advance(trafficSlots*time.Minute + time.Minute)
	f.mon.Minute(ctx)
	stored, err := f.db.ListTraffic(ctx, first.Add(-time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if len(stored) != 2 || sum(stored).Requests != 2 {
		t.Errorf("stored %+v: want both minutes", stored)
	}
}
