package security

import (
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// EventKind says what an Event reports.
type EventKind uint8

// The kinds of Event. Report one EventRequest per request once its status is
// known, and one more event for each finding about that request.
const (
	EventRequest      EventKind = iota // a request and its response Status
	EventProbe                         // the path matched ProbePath; Sig names it
	EventPayload                       // an input matched ScanPayload; Sig names it
	EventVerifyFailed                  // a wrong one-time code or failed sign-in
	EventLimited                       // a rate limiter refused the request
)

// String names the kind for logs and reasons.
func (k EventKind) String() string {
	switch k {
	case EventRequest:
		return "request"
	case EventProbe:
		return "probe"
	case EventPayload:
		return "payload"
	case EventVerifyFailed:
		return "failed verification"
	case EventLimited:
		return "rate limited"
	}
	return "unknown"
}

// Event is one observation about a client.
type Event struct {
	Kind   EventKind
	Status int       // HTTP status of the response, for EventRequest
	Sig    string    // what matched, for EventProbe and EventPayload
	Time   time.Time // when it happened; the zero time means now
}

// AnomalyConfig tunes an AnomalyDetector. Rates are in events per minute.
type AnomalyConfig struct {
	Window         time.Duration // τ, the time constant of each client's averages
	RequestFloor   float64       // σ₀ of the request rate
	ErrorFloor     float64       // σ₀ of the error (4xx/5xx except 429) rate
	FailureFloor   float64       // σ₀ of the failed-verification rate
	BaselineWeight float64       // α, the weight of one client sample in the site baseline
	BaselineEvery  time.Duration // how often one client may feed the baseline
	Threshold      float64       // the score at which a client is anomalous
	MaxClients     int           // clients tracked; 0 means DefaultMaxKeys
}

// DefaultAnomalyConfig is calibrated so that, on a quiet site, a score of 6
// means about 30 requests a second, 3 errors a second or 9 failed
// verifications within a minute, sustained long enough to fill the
// one-minute averages. A person reading pages (a page and 10 assets every
// 2 s is 330 a minute) scores about 1; a page with 10 missing assets opened
// every 5 s for minutes scores about 3; five wrong codes in a row score 3.
var DefaultAnomalyConfig = AnomalyConfig{
	Window:         time.Minute,
	RequestFloor:   300,
	ErrorFloor:     30,
	FailureFloor:   1.5,
	BaselineWeight: 0.02,
	BaselineEvery:  10 * time.Second,
	Threshold:      6,
	MaxClients:     DefaultMaxKeys,
}

// anomalyFeatures is the number of rates tracked per client.
const anomalyFeatures = 3

// anomalyReasons name the features, for the guard's reasons.
var anomalyReasons = [anomalyFeatures]string{
	"anomaly: request rate", "anomaly: 404 surge", "anomaly: failed verifications",
}

// AnomalyDetector scores how far each client's behaviour is from the site's.
//
// For each client it keeps three exponentially weighted moving averages of
// event rates, in events per minute: requests, error responses (status 400
// and above, except the 429s the limiters cause) and failed verifications.
// An event at time t, after the previous one at t₀, updates a rate x as
//
//	x ← x·e^(−(t−t₀)/τ) + 60 s/τ
//
// so that a steady λ events a second settles at x = 60λ, and a burst of n
// events adds n per minute which then halves every τ·ln 2.
//
// The site baseline is, per feature, an exponentially weighted mean μ and
// variance v across clients: each client contributes its current rate at
// most once per BaselineEvery (so a busy client counts no more than a quiet
// one), clamped to μ + 3σ (so an attacker cannot drag the baseline up
// quickly), as
//
//	d = x − μ;  μ ← μ + α·d;  v ← (1 − α)·(v + α·d²)
//
// A feature's z-score is z = (x − μ) / √(v + σ₀²). The floor σ₀ keeps a quiet
// site, where v is near zero, from calling every reader an outlier, and sets
// the absolute size a deviation must reach. A client's score is its largest
// z, or zero.
type AnomalyDetector struct {
	cfg     AnomalyConfig
	clk     abuseClock
	tau     float64 // τ in nanoseconds
	gain    float64 // what one event adds to a rate, 60 s/τ
	floor2  [anomalyFeatures]float64
	idle    int64 // a client silent this long is forgotten
	mu      sync.Mutex
	mean    [anomalyFeatures]atomic.Uint64 // float64 bits, written under mu
	vari    [anomalyFeatures]atomic.Uint64
	hash    keyHasher
	clients keyedState[anomalyState]
}

type anomalyState struct {
	rate   [anomalyFeatures]float64 // per minute, as of last
	last   int64
	feed   int64 // when this client may next feed the baseline
	forget int64 // when the rates will have decayed to nothing
}

func (s anomalyState) expiry() int64 { return s.forget }

// anomalyIdleTaus is how many τ a client must be silent to be forgotten: its
// rates have then decayed below 1/20000 of what they were.
const anomalyIdleTaus = 10

// newAnomalyDetector returns a detector reading clk and keying clients with
// h; zero fields of cfg take the values of DefaultAnomalyConfig. The guard
// makes its own (NewGuard).
func newAnomalyDetector(cfg AnomalyConfig, clk abuseClock, h keyHasher) *AnomalyDetector {
	d := DefaultAnomalyConfig
	if cfg.Window > 0 {
		d.Window = cfg.Window
	}
	for _, f := range []struct {
		dst *float64
		v   float64
	}{
		{&d.RequestFloor, cfg.RequestFloor}, {&d.ErrorFloor, cfg.ErrorFloor},
		{&d.FailureFloor, cfg.FailureFloor}, {&d.BaselineWeight, cfg.BaselineWeight},
		{&d.Threshold, cfg.Threshold},
	} {
		if f.v > 0 {
			*f.dst = f.v
		}
	}
	if cfg.BaselineEvery > 0 {
		d.BaselineEvery = cfg.BaselineEvery
	}
	if cfg.MaxClients > 0 {
		d.MaxClients = cfg.MaxClients
	}
	a := &AnomalyDetector{
		cfg:  d,
		clk:  clk,
		tau:  float64(d.Window),
		gain: float64(time.Minute) / float64(d.Window),
		idle: anomalyIdleTaus * int64(d.Window),
		hash: h,
	}
	for i, f := range [anomalyFeatures]float64{d.RequestFloor, d.ErrorFloor, d.FailureFloor} {
		a.floor2[i] = f * f
	}
	a.clients = newKeyedState[anomalyState](d.MaxClients)
	return a
}

// Threshold is the score at which a client counts as anomalous.
func (a *AnomalyDetector) Threshold() float64 { return a.cfg.Threshold }

// Observe records ev for client. Only EventRequest and EventVerifyFailed
// move the averages; other kinds are ignored. It does not allocate for a
// client already tracked.
func (a *AnomalyDetector) Observe(client string, ev Event) {
	a.observe(a.hash.key(client), ev, a.clk.of(ev.Time))
}

// observe records ev at reading now and returns the client's score and the
// feature that produced it (-1 for an ignored event).
func (a *AnomalyDetector) observe(k stateKey, ev Event, now int64) (float64, int) {
	var add [anomalyFeatures]float64
	switch ev.Kind {
	case EventRequest:
		add[0] = a.gain
		if ev.Status >= 400 && ev.Status != 429 {
			add[1] = a.gain
		}
	case EventVerifyFailed:
		add[2] = a.gain
	default:
		return 0, -1
	}
	sh := a.clients.lock(k)
	p := sh.get(k)
	if p == nil {
		p = a.clients.add(sh, k, anomalyState{}, now)
	}
	st := *p
	st.decay(now, a.tau)
	for i := range st.rate {
		st.rate[i] += add[i]
	}
	feed := now >= st.feed
	if feed {
		st.feed = now + int64(a.cfg.BaselineEvery)
	}
	st.forget = st.last + a.idle
	*p = st
	sh.mu.Unlock()
	if feed {
		a.feedBaseline(st.rate)
	}
	return a.score(st.rate)
}

// Score is client's current score: its largest z-score, or zero for a client
// that is unknown or below the baseline.
func (a *AnomalyDetector) Score(client string) float64 {
	now := a.clk.ns()
	k := a.hash.key(client)
	sh := a.clients.lock(k)
	p := sh.peek(k)
	if p == nil {
		sh.mu.Unlock()
		return 0
	}
	st := *p
	sh.mu.Unlock()
	st.decay(now, a.tau)
	z, _ := a.score(st.rate)
	return z
}

// Len is the number of clients tracked.
func (a *AnomalyDetector) Len() int { return a.clients.len() }

func (a *AnomalyDetector) forget(k stateKey) { a.clients.forget(k) }

// decay brings the rates forward to now; events arriving out of order are
// counted as if they happened at the latest time seen.
func (s *anomalyState) decay(now int64, tau float64) {
	if now > s.last {
		f := math.Exp(-float64(now-s.last) / tau)
		for i := range s.rate {
			s.rate[i] *= f
		}
		s.last = now
	}
}

func (a *AnomalyDetector) baseline(i int) (mean, variance float64) {
	return math.Float64frombits(a.mean[i].Load()), math.Float64frombits(a.vari[i].Load())
}

// score returns the largest z-score of x and its feature.
func (a *AnomalyDetector) score(x [anomalyFeatures]float64) (float64, int) {
	best, which := 0.0, 0
	for i := range x {
		mu, v := a.baseline(i)
		if z := (x[i] - mu) / math.Sqrt(v+a.floor2[i]); z > best {
			best, which = z, i
		}
	}
	return best, which
}

// feedBaseline adds one client sample to the site baseline.
func (a *AnomalyDetector) feedBaseline(x [anomalyFeatures]float64) {
	alpha := a.cfg.BaselineWeight
	a.mu.Lock()
	for i := range x {
		mu, v := a.baseline(i)
		xi := min(x[i], mu+3*math.Sqrt(v+a.floor2[i]))
		d := xi - mu
		mu += alpha * d
		v = (1 - alpha) * (v + alpha*d*d)
		a.mean[i].Store(math.Float64bits(mu))
		a.vari[i].Store(math.Float64bits(v))
	}
	a.mu.Unlock()
}
