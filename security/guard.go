package security

import (
	"math"
	"net/http"
	"strings"
	"time"
)

// GuardConfig tunes a Guard. Each finding about a client adds points; points
// halve every PointsHalfLife. Reaching ThrottleAt puts the client on the
// Throttle limit for ThrottleFor; reaching BlockAt blocks it for the next
// step of BlockFor and clears its points.
type GuardConfig struct {
	ProbePoints      float64 // per EventProbe
	PayloadPoints    float64 // per EventPayload
	VerifyFailPoints float64 // per EventVerifyFailed
	LimitedPoints    float64 // per EventLimited
	NotFoundPoints   float64 // per EventRequest answered 404 (surges also count through the anomaly score)
	AnomalyPoints    float64 // when the anomaly score reaches its threshold, at most once per AnomalyEvery
	AnomalyEvery     time.Duration

	ThrottleAt     float64
	BlockAt        float64
	PointsHalfLife time.Duration

	Throttle    LimitConfig     // the limit of a throttled client
	ThrottleFor time.Duration   // how long a throttle lasts, also after each block ends
	BlockFor    []time.Duration // block durations by repeat, the last one repeating
	BlockStatus int             // the status answered to a blocked client: 403 or 429
	ForgetAfter time.Duration   // after this long without a block, the next block starts at BlockFor[0]
	MaxClients  int             // clients with points or a penalty kept; 0 means DefaultMaxKeys

	Anomaly AnomalyConfig
}

// DefaultGuardConfig: two probes throttle and three block, as no person asks
// for /.env or /wp-login.php; six failed verifications within a few minutes
// throttle and twelve block (a person gets five tries per code); a payload
// signature counts half a probe because customers paste code; a refused
// request counts a little, so that a client ignoring 429s escalates. The
// thresholds sit half a point below whole counts so that the decay between
// quick events does not cost a step. Blocks last 1 min, 5 min, 30 min, then
// 24 h for every repeat within a week. A throttled client keeps 15 requests
// at once and one a second: a person can still read a page, a scanner is
// slowed to a crawl.
var DefaultGuardConfig = GuardConfig{
	ProbePoints:      4,
	PayloadPoints:    2,
	VerifyFailPoints: 1,
	LimitedPoints:    0.1,
	NotFoundPoints:   0,
	AnomalyPoints:    4,
	AnomalyEvery:     30 * time.Second,
	ThrottleAt:       5.5,
	BlockAt:          11.5,
	PointsHalfLife:   10 * time.Minute,
	Throttle:         LimitConfig{Rate: 1, Burst: 15},
	ThrottleFor:      15 * time.Minute,
	BlockFor:         []time.Duration{time.Minute, 5 * time.Minute, 30 * time.Minute, 24 * time.Hour},
	BlockStatus:      http.StatusForbidden,
	ForgetAfter:      7 * 24 * time.Hour,
	MaxClients:       DefaultMaxKeys,
	Anomaly:          DefaultAnomalyConfig,
}

// ActionKind is a set of responses to a client.
type ActionKind uint8

// The responses. An Action with ActionBlock also carries ActionKillSessions.
const (
	ActionEvent        ActionKind = 1 << iota // a finding worth logging; Reason says what
	ActionThrottle                            // the client is now throttled until Until
	ActionBlock                               // the client is now blocked until Until
	ActionKillSessions                        // end every session of the client
)

// Has reports whether k includes every response in f.
func (k ActionKind) Has(f ActionKind) bool { return k&f == f }

// String lists the responses, such as "event+block+kill-sessions".
func (k ActionKind) String() string {
	var b strings.Builder
	for _, n := range [...]struct {
		f    ActionKind
		name string
	}{{ActionEvent, "event"}, {ActionThrottle, "throttle"}, {ActionBlock, "block"}, {ActionKillSessions, "kill-sessions"}} {
		if k.Has(n.f) {
			if b.Len() > 0 {
				b.WriteByte('+')
			}
			b.WriteString(n.name)
		}
	}
	return b.String()
}

// Action is what Record decided about a client.
type Action struct {
	Kind   ActionKind
	Reason string    // what was found, such as "probe: .env" or "anomaly: 404 surge"
	Points float64   // the client's points after this event
	Level  int       // blocks so far, this one included
	Until  time.Time // end of the throttle or block this action started
}

// Decision is Check's answer for a request.
type Decision struct {
	Allow      bool          // serve the request
	Throttled  bool          // the client is under the throttle limit
	Blocked    bool          // the client is blocked
	Status     int           // when not allowed: 429, or BlockStatus when blocked
	RetryAfter time.Duration // when not allowed: for the Retry-After header
	Reason     string        // when not allowed: why the client was penalised
}

// RetryAfterSeconds is RetryAfter in whole seconds, rounded up.
func (d Decision) RetryAfterSeconds() int { return ceilSeconds(d.RetryAfter) }

// Guard is the graduated response engine: it turns findings about clients
// into events, throttles and blocks that grow with repeats. Keys are client
// identities chosen by the caller, normally the client address. It is safe
// for concurrent use.
type Guard struct {
	cfg      GuardConfig
	clk      abuseClock
	half     float64   // points half-life in nanoseconds
	hash     keyHasher // shared by the anomaly detector and the throttle
	anomaly  *AnomalyDetector
	throttle *Limiter
	clients  keyedState[guardState]
}

type guardState struct {
	points      float64
	at          int64 // when points were last brought up to date
	throttleEnd int64
	blockEnd    int64
	level       int    // blocks so far
	anomalyNext int64  // when anomaly points may next be added
	reason      string // why the latest throttle or block began
	expire      int64  // when nothing of this state matters any more
	client      string // the key, for Blocks
}

func (s guardState) expiry() int64 { return s.expire }

// NewGuard returns a guard. Zero fields of cfg other than the points take
// the values of DefaultGuardConfig, so a zero GuardConfig with only the
// weights set still works; points left at zero switch that finding off.
func NewGuard(cfg GuardConfig, now func() time.Time) *Guard {
	d := DefaultGuardConfig
	for _, f := range [...]struct{ dst, def *time.Duration }{
		{&cfg.AnomalyEvery, &d.AnomalyEvery}, {&cfg.PointsHalfLife, &d.PointsHalfLife},
		{&cfg.ThrottleFor, &d.ThrottleFor}, {&cfg.ForgetAfter, &d.ForgetAfter},
	} {
		if *f.dst <= 0 {
			*f.dst = *f.def
		}
	}
	if cfg.ThrottleAt <= 0 {
		cfg.ThrottleAt = d.ThrottleAt
	}
	if cfg.BlockAt <= 0 {
		cfg.BlockAt = d.BlockAt
	}
	if cfg.Throttle.Rate <= 0 || cfg.Throttle.Burst <= 0 {
		cfg.Throttle = d.Throttle
	}
	cfg.BlockFor = append([]time.Duration(nil), cfg.BlockFor...)
	if len(cfg.BlockFor) == 0 {
		cfg.BlockFor = append(cfg.BlockFor, d.BlockFor...)
	}
	if cfg.BlockStatus == 0 {
		cfg.BlockStatus = d.BlockStatus
	}
	if cfg.MaxClients <= 0 {
		cfg.MaxClients = d.MaxClients
	}
	if cfg.Throttle.MaxKeys <= 0 {
		cfg.Throttle.MaxKeys = cfg.MaxClients
	}
	clk := newAbuseClock(now)
	h := newKeyHasher()
	return &Guard{
		cfg:      cfg,
		clk:      clk,
		half:     float64(cfg.PointsHalfLife),
		hash:     h,
		anomaly:  newAnomalyDetector(cfg.Anomaly, clk, h), // the same readings as the guard's
		throttle: newLimiter(cfg.Throttle, now, h),
		clients:  newKeyedState[guardState](cfg.MaxClients),
	}
}

// Check answers whether a request from client may be served: not when the
// client is blocked, nor when it is throttled and over the throttle limit.
// It does not allocate for a client without a penalty, and for a client the
// guard has never counted against it takes one shard lock and nothing else.
func (g *Guard) Check(client string) Decision {
	k := g.hash.key(client)
	sh := g.clients.lock(k)
	p := sh.get(k)
	if p == nil {
		sh.mu.Unlock()
		return Decision{Allow: true} // most clients: no need to read the clock
	}
	st := *p
	sh.mu.Unlock()
	now := g.clk.ns()
	switch {
	case now >= st.blockEnd && now >= st.throttleEnd:
		return Decision{Allow: true}
	case now < st.blockEnd:
		return Decision{Blocked: true, Status: g.cfg.BlockStatus,
			RetryAfter: time.Duration(st.blockEnd - now), Reason: st.reason}
	}
	if ok, wait := g.throttle.allowN(k, 1); !ok {
		return Decision{Throttled: true, Status: http.StatusTooManyRequests, RetryAfter: wait, Reason: st.reason}
	}
	return Decision{Allow: true, Throttled: true}
}

// Record adds ev to client's history and escalates. It returns false for an
// ordinary request, without allocating for a client already seen. Otherwise
// the Action has ActionEvent and a reason, plus ActionThrottle when the
// client has just been throttled, or ActionBlock and ActionKillSessions when
// it has just been blocked: persist Blocks, end the client's sessions and
// alert then. EventLimited is reported only when it escalates, as a client
// ignoring 429s sends many.
func (g *Guard) Record(client string, ev Event) (Action, bool) {
	now := g.clk.of(ev.Time)
	k := g.hash.key(client)
	z, feature := g.anomaly.observe(k, ev, now)
	pts := g.weigh(ev)
	anomalous := feature >= 0 && z >= g.anomaly.cfg.Threshold
	if pts == 0 && !anomalous {
		return Action{}, false
	}

	sh := g.clients.lock(k)
	defer sh.mu.Unlock()
	var st guardState
	p := sh.get(k)
	if p != nil {
		st = *p
	}
	reason := ""
	if pts > 0 {
		reason = g.reason(ev)
	}
	if anomalous && now >= st.anomalyNext {
		st.anomalyNext = now + int64(g.cfg.AnomalyEvery)
		pts += g.cfg.AnomalyPoints
		if reason == "" {
			reason = anomalyReasons[feature]
		}
	}
	if pts == 0 {
		return Action{}, false // anomalous, but already counted within AnomalyEvery
	}

	st.decay(now, g.half)
	st.points += pts
	act := Action{Kind: ActionEvent, Reason: reason, Points: st.points, Level: st.level}
	switch {
	case now < st.blockEnd:
		// Already blocked: a request that slipped past Check.
	case st.points >= g.cfg.BlockAt:
		if st.level > 0 && now-st.blockEnd > int64(g.cfg.ForgetAfter) {
			st.level = 0
		}
		d := g.cfg.BlockFor[min(st.level, len(g.cfg.BlockFor)-1)]
		st.level++
		st.blockEnd = now + int64(d)
		st.throttleEnd = max(st.throttleEnd, st.blockEnd+int64(g.cfg.ThrottleFor))
		st.points = 0
		st.reason = reason
		act.Kind |= ActionBlock | ActionKillSessions
		act.Level = st.level
		act.Until = g.clk.at(st.blockEnd)
	case st.points >= g.cfg.ThrottleAt && now >= st.throttleEnd:
		st.throttleEnd = now + int64(g.cfg.ThrottleFor)
		st.reason = reason
		act.Kind |= ActionThrottle
		act.Until = g.clk.at(st.throttleEnd)
	}
	st.expire = g.expiry(st)
	if p != nil {
		*p = st
	} else {
		st.client = strings.Clone(client) // once per client with points
		g.clients.add(sh, k, st, now)
	}
	return act, ev.Kind != EventLimited || act.Kind != ActionEvent
}

// Score is client's current anomaly score.
func (g *Guard) Score(client string) float64 { return g.anomaly.Score(client) }

// weigh returns the points ev is worth.
func (g *Guard) weigh(ev Event) float64 {
	switch ev.Kind {
	case EventRequest:
		if ev.Status == http.StatusNotFound {
			return g.cfg.NotFoundPoints
		}
	case EventProbe:
		return g.cfg.ProbePoints
	case EventPayload:
		return g.cfg.PayloadPoints
	case EventVerifyFailed:
		return g.cfg.VerifyFailPoints
	case EventLimited:
		return g.cfg.LimitedPoints
	}
	return 0
}

// reason describes ev; signatures already name their family.
func (g *Guard) reason(ev Event) string {
	switch {
	case ev.Sig != "":
		return ev.Sig
	case ev.Kind == EventRequest:
		return "request: not found"
	}
	return ev.Kind.String()
}

// decay brings points forward to now.
func (s *guardState) decay(now int64, half float64) {
	if now > s.at {
		s.points *= math.Exp2(-float64(now-s.at) / half)
		s.at = now
	}
}

// expiry is when st can be dropped: its penalties are over, its points have
// decayed below 1/256, and its block level is forgotten.
func (g *Guard) expiry(st guardState) int64 {
	e := max(st.blockEnd, st.throttleEnd, st.at+8*int64(g.cfg.PointsHalfLife))
	if st.level > 0 {
		e = max(e, st.blockEnd+int64(g.cfg.ForgetAfter))
	}
	return e
}
