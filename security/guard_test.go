package security

import (
	"net/http"
	"strconv"
	"testing"
	"time"
)

// guardSite plays the integrator's middleware against a Guard and the
// per-address limiter, in fake time.
type guardSite struct {
	t       *testing.T
	clk     *guardClock
	guard   *Guard
	limit   *Limiter
	actions map[string][]Action // everything Record reported, by client
}

func newGuardSite(t *testing.T, cfg GuardConfig) *guardSite {
	t.Helper()
	clk := newGuardClock()
	return &guardSite{
		t:       t,
		clk:     clk,
		guard:   NewGuard(cfg, clk.Now),
		limit:   ClientLimit.NewLimiter(clk.Now),
		actions: map[string][]Action{},
	}
}

func (s *guardSite) record(client string, ev Event) {
	if a, ok := s.guard.Record(client, ev); ok {
		s.actions[client] = append(s.actions[client], a)
	}
}

// request serves one request the way the middleware will and returns the
// guard's decision.
func (s *guardSite) request(client, path string, status int) Decision {
	d := s.guard.Check(client)
	if !d.Allow {
		return d
	}
	if ok, wait := s.limit.Allow(client); !ok {
		s.record(client, Event{Kind: EventLimited})
		return Decision{Status: http.StatusTooManyRequests, RetryAfter: wait}
	}
	if sig, ok := ProbePath(path); ok {
		s.record(client, Event{Kind: EventProbe, Sig: sig})
		status = http.StatusNotFound
	}
	s.record(client, Event{Status: status})
	return d
}

// escalations lists the Throttle and Block actions reported for client.
func (s *guardSite) escalations(client string) []ActionKind {
	var out []ActionKind
	for _, a := range s.actions[client] {
		if a.Kind != ActionEvent {
			out = append(out, a.Kind)
		}
	}
	return out
}

var scannerPaths = []string{
	"/.env", "/.git/config", "/wp-login.php", "/wp-admin/", "/xmlrpc.php", "/phpmyadmin/",
	"/vendor/phpunit/phpunit/src/Util/PHP/eval-stdin.php", "/cgi-bin/luci", "/actuator/env",
	"/server-status", "/.aws/credentials", "/config.json", "/boaform/admin/formLogin",
	"/admin/config.php", "/index.php", "/default.aspx", "/login.jsp", "/backup.sql", "/.svn/entries",
	"/.DS_Store", "/HNAP1/", "/solr/admin/info/system", "/manager/html", "/owa/auth/logon.aspx",
	"/_ignition/execute-solution", "/telescope/requests", "/debug/pprof/", "/.env.local",
	"/static/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/web.config", "/docker-compose.yml",
	"/.htaccess", "/wordpress/wp-admin/setup-config.php", "/pma/", "/myadmin/", "/api/.env",
	"/kb/x.php", "/site.tar.gz", "/id_rsa",
}

func TestGuardBlocksScannerNotReader(t *testing.T) {
	if len(scannerPaths) != 40 {
		t.Fatalf("%d scanner paths, want 40", len(scannerPaths))
	}
	s := newGuardSite(t, DefaultGuardConfig)
	const scanner, reader = "203.0.113.50", "192.0.2.10"
	served, blockedAt := 0, -1
	for tick := range 1200 { // two minutes in 100 ms ticks
		if tick%2 == 0 { // the scanner replays its list, five paths a second
			d := s.request(scanner, scannerPaths[(tick/2)%len(scannerPaths)], http.StatusNotFound)
			if d.Allow && blockedAt < 0 {
				served++
			} else if d.Blocked && blockedAt < 0 {
				blockedAt = tick
			}
		}
		if tick%20 == 0 { // the reader loads a page and 10 assets every 2 s
			paths := []string{"/kb/how-to-reset-your-password"}
			for i := range 10 {
				paths = append(paths, "/static/img/"+strconv.Itoa(i)+".png")
			}
			for _, p := range paths {
				d := s.request(reader, p, http.StatusOK)
				if !d.Allow || d.Throttled || d.Blocked {
					t.Fatalf("tick %d: reader got %+v for %s", tick, d, p)
				}
			}
		}
		s.clk.Advance(100 * time.Millisecond)
	}
	if blockedAt < 0 {
		t.Fatal("scanner never blocked")
	}
	if served > 3 {
		t.Errorf("scanner served %d probes before the block, want at most 3", served)
	}
	// Blocked at the third probe; back after a minute on probation, blocked
	// again for five minutes at the third probe of its second round.
	got := s.escalations(scanner)
	want := []ActionKind{ActionEvent | ActionThrottle, ActionEvent | ActionBlock | ActionKillSessions,
		ActionEvent | ActionBlock | ActionKillSessions}
	if len(got) != len(want) {
		t.Errorf("scanner escalations %v, want %v", got, want)
	} else {
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("scanner escalations %v, want %v", got, want)
				break
			}
		}
	}
	var block *Action
	for i, a := range s.actions[scanner] {
		if a.Kind.Has(ActionBlock) {
			block = &s.actions[scanner][i]
			break
		}
	}
	if block == nil || !block.Kind.Has(ActionKillSessions) || block.Level != 1 || block.Reason == "" {
		t.Errorf("block action %+v, want level 1 with a reason and KillSessions", block)
	}
	if got := s.actions[reader]; len(got) != 0 {
		t.Errorf("reader reported %d actions, want none: %+v", len(got), got)
	}
}

// block makes client probe until it is blocked and returns the block action.
func (s *guardSite) block(client string) Action {
	s.t.Helper()
	for range 10 {
		if a, ok := s.guard.Record(client, Event{Kind: EventProbe, Sig: "probe: .env"}); ok && a.Kind.Has(ActionBlock) {
			return a
		}
	}
	s.t.Fatalf("%s not blocked after 10 probes", client)
	return Action{}
}

func TestGuardBlocksGrowAndExpire(t *testing.T) {
	s := newGuardSite(t, DefaultGuardConfig)
	const c = "203.0.113.9"
	for i, want := range []time.Duration{time.Minute, 5 * time.Minute, 30 * time.Minute, 24 * time.Hour, 24 * time.Hour} {
		a := s.block(c)
		if got := a.Until.Sub(s.clk.Now()); got != want || a.Level != i+1 {
			t.Fatalf("block %d lasts %v at level %d, want %v at level %d", i+1, got, a.Level, want, i+1)
		}
		d := s.guard.Check(c)
		if d.Allow || !d.Blocked || d.Status != http.StatusForbidden || d.RetryAfter != want || d.Reason != "probe: .env" {
			t.Fatalf("block %d: Check = %+v, want a 403 for %v", i+1, d, want)
		}
		s.clk.Advance(want - time.Second)
		if d := s.guard.Check(c); !d.Blocked || d.RetryAfterSeconds() != 1 {
			t.Fatalf("block %d: a second before the end Check = %+v, want blocked, retry 1 s", i+1, d)
		}
		s.clk.Advance(time.Second)
		if d := s.guard.Check(c); !d.Allow || d.Blocked || !d.Throttled {
			t.Fatalf("block %d: at the end Check = %+v, want allowed under throttle", i+1, d)
		}
		s.clk.Advance(DefaultGuardConfig.ThrottleFor)
		if d := s.guard.Check(c); d != (Decision{Allow: true}) {
			t.Fatalf("block %d: after the throttle Check = %+v, want plainly allowed", i+1, d)
		}
	}

	s.clk.Advance(8 * 24 * time.Hour) // longer than ForgetAfter
	if a := s.block(c); a.Until.Sub(s.clk.Now()) != time.Minute || a.Level != 1 {
		t.Errorf("block after a quiet week lasts %v at level %d, want 1m at level 1", a.Until.Sub(s.clk.Now()), a.Level)
	}
}

func TestGuardRestore(t *testing.T) {
	first := newGuardSite(t, DefaultGuardConfig)
	first.block("a")
	first.clk.Advance(2 * time.Minute) // a's first block ends
	first.block("a")                   // second block, 5 minutes
	first.block("b")
	first.clk.Advance(90 * time.Second) // b's block ends
	saved := first.guard.Blocks()
	if len(saved) != 1 || saved[0].Client != "a" || saved[0].Level != 2 || saved[0].Reason != "probe: .env" {
		t.Fatalf("Blocks = %+v, want only a's level 2 block", saved)
	}
	stale := Block{Client: "c", Until: first.clk.Now().Add(-time.Second), Level: 1}

	// A new process, started 30 s later on the same clock.
	first.clk.Advance(30 * time.Second)
	next := NewGuard(DefaultGuardConfig, first.clk.Now)
	next.Restore(append(saved, stale))
	d := next.Check("a")
	if !d.Blocked || d.RetryAfter != 3*time.Minute {
		t.Errorf("restored Check(a) = %+v, want blocked for the remaining 3m", d)
	}
	if d := next.Check("c"); !d.Allow {
		t.Errorf("an ended block was restored: Check(c) = %+v", d)
	}
	if got := next.Blocks(); len(got) != 1 || !got[0].Until.Equal(saved[0].Until) {
		t.Errorf("Blocks after Restore = %+v, want %+v", got, saved)
	}

	first.clk.Advance(4 * time.Minute)
	for range 10 {
		if a, ok := next.Record("a", Event{Kind: EventProbe}); ok && a.Kind.Has(ActionBlock) {
			if a.Level != 3 || a.Until.Sub(first.clk.Now()) != 30*time.Minute {
				t.Errorf("block after restore: level %d for %v, want level 3 for 30m", a.Level, a.Until.Sub(first.clk.Now()))
			}
			break
		}
	}

	if !next.Lift("a") {
		t.Error("Lift(a) = false, want true for a blocked client")
	}
	if d := next.Check("a"); d != (Decision{Allow: true}) {
		t.Errorf("Check after Lift = %+v, want plainly allowed", d)
	}
	if next.Lift("a") {
		t.Error("second Lift(a) = true, want false")
	}
}

func TestGuardCodeStuffing(t *testing.T) {
	tests := []struct {
		name  string
		every time.Duration
	}{
		{"one code every 2 s", 2 * time.Second},
		{"ten codes a second", 100 * time.Millisecond},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newGuardSite(t, DefaultGuardConfig)
			const c = "198.51.100.23"
			tried := 0
			for range 30 {
				if d := s.request(c, "/verify", http.StatusUnprocessableEntity); d.Allow {
					s.record(c, Event{Kind: EventVerifyFailed})
					tried++
				}
				s.clk.Advance(tt.every)
			}
			got := s.escalations(c)
			if len(got) < 2 || !got[0].Has(ActionThrottle) || !got[len(got)-1].Has(ActionBlock|ActionKillSessions) {
				t.Fatalf("escalations %v, want a throttle then a block", got)
			}
			if tried > 14 {
				t.Errorf("%d codes tried, want the block by the 14th", tried)
			}
			if d := s.guard.Check(c); !d.Blocked {
				t.Errorf("Check after stuffing = %+v, want blocked", d)
			}
		})
	}
}

func TestGuardAnomaly(t *testing.T) {
	s := newGuardSite(t, DefaultGuardConfig)
	const c = "198.51.100.80"
	var first Action
	for range 600 { // a minute at 50 requests a second, 60% not found, no signature
		for i := range 5 {
			status := http.StatusOK
			if i >= 2 {
				status = http.StatusNotFound
			}
			if a, ok := s.guard.Record(c, Event{Status: status}); ok && first.Kind == 0 {
				first = a
			}
		}
		s.clk.Advance(100 * time.Millisecond)
	}
	if first.Reason != "anomaly: 404 surge" {
		t.Errorf("first action %+v, want the reason anomaly: 404 surge", first)
	}
	if d := s.guard.Check(c); d.Allow && !d.Throttled {
		t.Errorf("Check after a minute of flooding = %+v, want throttled or blocked", d)
	}
}

func TestGuardThrottleAnswers429(t *testing.T) {
	s := newGuardSite(t, DefaultGuardConfig)
	const c = "198.51.100.99"
	s.guard.Record(c, Event{Kind: EventProbe})
	a, _ := s.guard.Record(c, Event{Kind: EventProbe})
	if !a.Kind.Has(ActionThrottle) {
		t.Fatalf("second probe: %+v, want a throttle", a)
	}
	var last Decision
	for range DefaultGuardConfig.Throttle.Burst + 1 {
		last = s.guard.Check(c)
	}
	if last.Allow || !last.Throttled || last.Status != http.StatusTooManyRequests || last.RetryAfter != time.Second {
		t.Errorf("over the throttle: Check = %+v, want 429 retry after 1s", last)
	}
}

func TestGuardMemoryBounded(t *testing.T) {
	cfg := DefaultGuardConfig
	cfg.MaxClients = 640
	cfg.Anomaly.MaxClients = 640
	clk := newGuardClock()
	g := NewGuard(cfg, clk.Now)
	for i := range 20000 {
		g.Record("10.2."+strconv.Itoa(i), Event{Kind: EventPayload, Sig: "sql: tautology"})
		g.Record("10.2."+strconv.Itoa(i), Event{Status: 200})
	}
	if n := g.Len(); n > 640 {
		t.Errorf("Len = %d after 20000 clients, want at most 640", n)
	}
}

func TestGuardHotPathAllocations(t *testing.T) {
	g := NewGuard(DefaultGuardConfig, time.Now)
	l := ClientLimit.NewLimiter(time.Now)
	g.Record("192.0.2.1", Event{Status: 200})
	g.Record("192.0.2.2", Event{Kind: EventPayload, Sig: "sql: tautology"}) // known, not penalised
	for _, c := range []string{"192.0.2.1", "192.0.2.2", "192.0.2.3"} {
		n := testing.AllocsPerRun(200, func() { servedRequest(g, l, c) })
		if n != 0 {
			t.Errorf("client %s: %v allocations per request, want 0", c, n)
		}
	}
}

// servedRequest is the guard's share of an ordinary request in the
// middleware: check, limit, probe and payload scan, record.
func servedRequest(g *Guard, l *Limiter, client string) {
	if d := g.Check(client); !d.Allow {
		panic("not allowed")
	}
	l.Allow(client)
	ProbePath("/kb/how-to-reset-your-password")
	ScanPayload("how do I reset my password")
	g.Record(client, Event{Status: http.StatusOK})
}

func BenchmarkGuardCheckAllowed(b *testing.B) {
	g := NewGuard(DefaultGuardConfig, time.Now)
	keys := make([]string, 1024)
	for i := range keys {
		keys[i] = "198.51.100." + strconv.Itoa(i)
		if i%2 == 0 { // half known to the guard, not penalised
			g.Record(keys[i], Event{Kind: EventPayload, Sig: "sql: tautology"})
		}
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		if d := g.Check(keys[i&1023]); !d.Allow {
			b.Fatal("refused")
		}
	}
}

func BenchmarkGuardRecordRequest(b *testing.B) {
	g := NewGuard(DefaultGuardConfig, time.Now)
	g.Record("192.0.2.1", Event{Status: 200})
	b.ReportAllocs()
	for b.Loop() {
		g.Record("192.0.2.1", Event{Status: 200})
	}
}

func BenchmarkHotPath(b *testing.B) {
	g := NewGuard(DefaultGuardConfig, time.Now)
	l := LimitConfig{Rate: 1e9, Burst: 1000}.NewLimiter(time.Now) // never refuses, so every iteration does the whole work
	servedRequest(g, l, "192.0.2.1")
	b.ReportAllocs()
	for b.Loop() {
		servedRequest(g, l, "192.0.2.1")
	}
}
