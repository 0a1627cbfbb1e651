package security

import (
	"strconv"
	"testing"
	"time"
)

// anomalySite drives an AnomalyDetector in fake time with a background of
// ordinary visitors, each loading a page and 3 assets every 5 s.
type anomalySite struct {
	clk *guardClock
	det *AnomalyDetector
	now time.Duration // fake time elapsed
}

func newAnomalySite(t *testing.T) *anomalySite {
	t.Helper()
	clk := newGuardClock()
	return &anomalySite{clk: clk, det: newAnomalyDetector(DefaultAnomalyConfig, newAbuseClock(clk.Now), newKeyHasher())}
}

// run advances fake time by d in 100 ms ticks, calling subject at each tick
// to add the subject's events, and returns the subject's highest score.
func (s *anomalySite) run(d time.Duration, subject func(tick int) []Event) float64 {
	const tick = 100 * time.Millisecond
	best := 0.0
	for i := 0; time.Duration(i)*tick < d; i++ {
		s.clk.Advance(tick)
		s.now += tick
		if ms := s.now.Milliseconds(); ms%5000 < 100 {
			for v := range 20 {
				for range 4 {
					s.det.Observe("visitor-"+strconv.Itoa(v), Event{Status: 200})
				}
			}
		}
		if subject == nil {
			continue
		}
		for _, ev := range subject(i) {
			s.det.Observe("subject", ev)
		}
		best = max(best, s.det.Score("subject"))
	}
	return best
}

// every returns a subject that sends evs at every n-th tick.
func every(n int, evs ...Event) func(int) []Event {
	return func(i int) []Event {
		if i%n == 0 {
			return evs
		}
		return nil
	}
}

func repeat(n int, ev Event) []Event {
	evs := make([]Event, n)
	for i := range evs {
		evs[i] = ev
	}
	return evs
}

func TestAnomalyScore(t *testing.T) {
	ok, notFound, failed := Event{Status: 200}, Event{Status: 404}, Event{Kind: EventVerifyFailed}
	page := append(repeat(1, ok), repeat(10, ok)...)
	brokenPage := append(repeat(1, ok), repeat(10, notFound)...)
	tests := []struct {
		name     string
		d        time.Duration
		subject  func(int) []Event
		wantFlag bool
	}{
		{"30 requests in 10 s once, then reading", 2 * time.Minute, func(i int) []Event {
			switch {
			case i < 100 && i%10 < 3: // 30 requests over the first 10 s
				return []Event{ok}
			case i%100 == 0:
				return []Event{ok}
			}
			return nil
		}, false},
		{"a page and 10 assets every 2 s", 5 * time.Minute, every(20, page...), false},
		{"a page with 10 missing assets every 5 s", 5 * time.Minute, every(50, brokenPage...), false},
		{"five wrong codes in a row", 2 * time.Minute, func(i int) []Event {
			if i < 50 && i%10 == 0 {
				return []Event{failed}
			}
			return nil
		}, false},
		{"50 requests a second, 60% not found", 30 * time.Second,
			every(1, append(repeat(2, ok), repeat(3, notFound)...)...), true},
		{"20 failed verifications in a minute", time.Minute, every(30, failed), true},
		{"60 requests a second, all found", 2 * time.Minute, every(1, repeat(6, ok)...), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			site := newAnomalySite(t)
			site.run(5*time.Minute, nil) // build the baseline
			got := site.run(tt.d, tt.subject)
			if flagged := got >= site.det.Threshold(); flagged != tt.wantFlag {
				t.Errorf("highest score %.2f, flagged %v; want flagged %v (threshold %v)",
					got, flagged, tt.wantFlag, site.det.Threshold())
			}
		})
	}
}

func TestAnomalyScoreDecays(t *testing.T) {
	site := newAnomalySite(t)
	site.run(time.Minute, nil)
	flood := every(1, repeat(5, Event{Status: 404})...)
	if got := site.run(time.Minute, flood); got < site.det.Threshold() {
		t.Fatalf("flood scored %.2f, want at least %v", got, site.det.Threshold())
	}
	site.run(5*time.Minute, nil)
	if got := site.det.Score("subject"); got > 1 {
		t.Errorf("score %.2f five quiet minutes after the flood, want under 1", got)
	}
	if got := site.det.Score("never-seen"); got != 0 {
		t.Errorf("unknown client scored %.2f, want 0", got)
	}
}

// A long attack must not teach the baseline that attacks are normal.
func TestAnomalyBaselineResistsAttack(t *testing.T) {
	site := newAnomalySite(t)
	site.run(5*time.Minute, nil)
	flood := every(1, append(repeat(2, Event{Status: 200}), repeat(3, Event{Status: 404})...)...)
	site.run(20*time.Minute, flood)
	if got := site.det.Score("subject"); got < site.det.Threshold() {
		t.Errorf("after 20 minutes of flooding the score is %.2f, want still at least %v", got, site.det.Threshold())
	}
}

func TestAnomalyCounts(t *testing.T) {
	tests := []struct {
		name string
		ev   Event
		want float64 // the score of 100 such events at once on a quiet site
	}{
		{"probes are left to the guard", Event{Kind: EventProbe, Sig: "probe: .env"}, 0},
		{"payloads are left to the guard", Event{Kind: EventPayload}, 0},
		{"refusals are left to the guard", Event{Kind: EventLimited}, 0},
		{"a 429 is a request, not an error", Event{Status: 429}, 100.0 / 300},
		{"a 200 is a request", Event{Status: 200}, 100.0 / 300},
		{"a 404 is an error", Event{Status: 404}, 100.0 / 30},
		{"a 500 is an error", Event{Status: 500}, 100.0 / 30},
		{"a failed verification", Event{Kind: EventVerifyFailed}, 100.0 / 1.5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			det := newAnomalyDetector(AnomalyConfig{BaselineWeight: 1e-9}, newAbuseClock(newGuardClock().Now), newKeyHasher())
			for range 100 {
				det.Observe("c", tt.ev)
			}
			if got := det.Score("c"); got < tt.want*0.99 || got > tt.want*1.01 {
				t.Errorf("score %.3f, want %.3f", got, tt.want)
			}
		})
	}
}

func TestAnomalyMemoryBounded(t *testing.T) {
	clk := newGuardClock()
	det := newAnomalyDetector(AnomalyConfig{MaxClients: 640}, newAbuseClock(clk.Now), newKeyHasher())
	for i := range 20000 {
		det.Observe("10.1."+strconv.Itoa(i), Event{Status: 200})
	}
	if n := det.Len(); n > 640 {
		t.Errorf("Len = %d after 20000 clients, want at most 640", n)
	}
	clk.Advance(time.Hour)
	for i := range 600 {
		det.Observe("late-"+strconv.Itoa(i), Event{Status: 200})
	}
	if n := det.Len(); n > 620 {
		t.Errorf("Len = %d an hour later, want the silent clients forgotten", n)
	}
}

func BenchmarkAnomalyObserve(b *testing.B) {
	det := newAnomalyDetector(DefaultAnomalyConfig, newAbuseClock(time.Now), newKeyHasher())
	keys := make([]string, 1024)
	for i := range keys {
		keys[i] = "198.51.100." + strconv.Itoa(i)
		det.Observe(keys[i], Event{Status: 200})
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		det.Observe(keys[i&1023], Event{Status: 200})
	}
}
