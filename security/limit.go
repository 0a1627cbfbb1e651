package security

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"time"
)

// DefaultMaxKeys is how many keys a limiter, anomaly detector or guard keeps
// when its configuration leaves the cap at zero. An entry costs its value
// plus about 60 bytes (its hashed key, list links and index slot), so a
// full limiter holds about 6 MB and a full anomaly detector about 11 MB
// (measured: TestKeyedStateBytes).
const DefaultMaxKeys = 100_000

// LimitConfig describes one token bucket per key: Burst requests may be made
// at once after a quiet spell, and tokens come back at Rate per second.
type LimitConfig struct {
	Rate    float64 // tokens added per second; must be positive
	Burst   int     // bucket size; at least 1
	MaxKeys int     // keys kept; beyond, the least recently used go; 0 means DefaultMaxKeys
}

// The defaults below assume every request is counted, static assets
// included. Serving /static/ outside the per-address limit is still
// recommended: the assets are cacheable and the limit is then far from any
// person's reach.
var (
	// ClientLimit applies per client address. A page with 10 assets costs 11
	// tokens, so a cold cache opening five pages at once fits in the burst of
	// 60, and 20 a second sustained leaves room for an office behind one NAT
	// address; a script is stopped within three seconds.
	ClientLimit = LimitConfig{Rate: 20, Burst: 60}

	// SessionLimit applies per signed-in session: one person, so lower than
	// ClientLimit, yet four page loads with assets fit in the burst.
	SessionLimit = LimitConfig{Rate: 10, Burst: 40}

	// EmailCodeLimit applies per email address (its blind index) to sending
	// one-time codes: five at once, then one every 12 minutes, so at most
	// five an hour once the burst is spent and nobody's inbox is flooded.
	EmailCodeLimit = LimitConfig{Rate: 5.0 / 3600, Burst: 5}

	// CodeClientLimit applies per client address to sending one-time codes,
	// so one address cannot spray codes at many mailboxes: 10 at once, 20 an
	// hour.
	CodeClientLimit = LimitConfig{Rate: 20.0 / 3600, Burst: 10}

	// TokenLimit applies per API token: a sync job may send 100 requests at
	// once and 10 a second after that.
	TokenLimit = LimitConfig{Rate: 10, Burst: 100}
)

// NewLimiter returns a limiter with the rate, burst and key cap of c. It
// panics if c.Rate is not a positive finite number or c.Burst is below 1, as
// these are programming errors.
func (c LimitConfig) NewLimiter(now func() time.Time) *Limiter {
	return newLimiter(c, now, newKeyHasher())
}

// Quota describes a key's bucket for RateLimit response headers.
type Quota struct {
	Limit     int           // the bucket size (RateLimit-Policy q=)
	Remaining int           // requests that would be allowed now (RateLimit r=)
	Reset     time.Duration // time until the bucket is full again (RateLimit t=)
}

// ResetSeconds is Reset in whole seconds, rounded up, for a header.
func (q Quota) ResetSeconds() int { return ceilSeconds(q.Reset) }

// Limiter is a keyed token-bucket rate limiter. It is safe for concurrent use
// and does not allocate for a key it already holds.
//
// Each bucket is stored as one number, its theoretical arrival time (TAT, the
// generic cell rate algorithm): the moment the bucket will be full again.
// With T = 1/Rate and a bucket of Burst tokens, a request for n tokens at
// time t is allowed when max(TAT, t) + n·T − t ≤ Burst·T, and then TAT moves
// to max(TAT, t) + n·T. A bucket whose TAT is in the past is full and is the
// same as no entry at all. The buckets live in an LRU of at most MaxKeys:
// full buckets are dropped first, and under a flood of new keys the least
// recently used, which hands that key a full bucket again.
type Limiter struct {
	clk      abuseClock
	burst    int
	interval int64 // nanoseconds to earn one token
	span     int64 // interval × burst
	hash     keyHasher
	keys     keyedState[limiterTAT]
}

type limiterTAT int64

func (t limiterTAT) expiry() int64 { return int64(t) }

func newLimiter(c LimitConfig, now func() time.Time, h keyHasher) *Limiter {
	if !(c.Rate > 0) || math.IsInf(c.Rate, 0) {
		panic("security: limiter rate must be positive and finite")
	}
	if c.Burst < 1 {
		panic("security: limiter burst must be at least 1")
	}
	if c.MaxKeys <= 0 {
		c.MaxKeys = DefaultMaxKeys
	}
	l := &Limiter{
		clk:      newAbuseClock(now),
		burst:    c.Burst,
		interval: max(1, int64(math.Round(float64(time.Second)/c.Rate))),
		hash:     h,
		keys:     newKeyedState[limiterTAT](c.MaxKeys),
	}
	l.span = l.interval * int64(c.Burst)
	return l
}

// Allow takes one token from key's bucket. When the bucket is empty it
// returns false and how long until a token is available.
func (l *Limiter) Allow(key string) (ok bool, retryAfter time.Duration) {
	return l.allowN(l.hash.key(key), 1)
}

// AllowN takes n tokens from key's bucket, or none if there are fewer than n,
// then returning false and how long until there will be n. A request for
// more than the burst can never succeed: it returns false and -1.
func (l *Limiter) AllowN(key string, n int) (ok bool, retryAfter time.Duration) {
	return l.allowN(l.hash.key(key), n)
}

func (l *Limiter) allowN(k stateKey, n int) (bool, time.Duration) {
	if n <= 0 {
		return true, 0
	}
	if n > l.burst {
		return false, -1
	}
	now := l.clk.ns()
	sh := l.keys.lock(k)
	tat := limiterTAT(now)
	p := sh.get(k)
	if p != nil {
		tat = *p
	}
	next := max(int64(tat), now) + int64(n)*l.interval
	if wait := next - l.span - now; wait > 0 {
		sh.mu.Unlock()
		return false, time.Duration(wait)
	}
	if p != nil {
		*p = limiterTAT(next)
	} else {
		l.keys.add(sh, k, limiterTAT(next), now)
	}
	sh.mu.Unlock()
	return true, 0
}

// Status reports key's bucket without taking a token.
func (l *Limiter) Status(key string) Quota {
	now := l.clk.ns()
	k := l.hash.key(key)
	sh := l.keys.lock(k)
	tat := limiterTAT(now)
	if p := sh.peek(k); p != nil {
		tat = *p
	}
	sh.mu.Unlock()
	ahead := max(int64(tat), now) - now
	return Quota{
		Limit:     l.burst,
		Remaining: int((l.span - ahead) / l.interval),
		Reset:     time.Duration(ahead),
	}
}

// Forget refills key's bucket, for example after a code was verified.
func (l *Limiter) Forget(key string) { l.keys.forget(l.hash.key(key)) }

// Len is the number of keys held, at most MaxKeys; full buckets may be
// among them until they are dropped.
func (l *Limiter) Len() int { return l.keys.len() }

// ceilSeconds rounds d up to whole seconds, as Retry-After wants.
func ceilSeconds(d time.Duration) int {
	if d <= 0 {
		return 0
	}
	return int((d + time.Second - 1) / time.Second)
}

// limitUnits are the units of a written limit, smallest first.
var limitUnits = []struct {
	name string
	per  float64 // seconds
}{{"s", 1}, {"m", 60}, {"h", 3600}}

// ParseLimit reads a limit written RATE/UNIT,BURST: "20/s,60" is 20
// requests a second sustained with 60 at once; UNIT is s, m or h.
func ParseLimit(s string) (LimitConfig, error) {
	rate, burst, ok := strings.Cut(s, ",")
	n, unit, ok2 := strings.Cut(rate, "/")
	if !ok || !ok2 {
		return LimitConfig{}, errors.New("security: want RATE/UNIT,BURST, like 20/s,60")
	}
	r, err := strconv.ParseFloat(strings.TrimSpace(n), 64)
	if err != nil || r <= 0 || r > 1e6 {
		return LimitConfig{}, errors.New("security: the rate must be a positive number")
	}
	var per float64
	for _, u := range limitUnits {
		if u.name == strings.TrimSpace(unit) {
			per = u.per
		}
	}
	if per == 0 {
		return LimitConfig{}, errors.New("security: the unit must be s, m or h")
	}
	b, err := strconv.Atoi(strings.TrimSpace(burst))
	if err != nil || b < 1 || b > 1e6 {
		return LimitConfig{}, errors.New("security: the burst must be a whole number of at least 1")
	}
	return LimitConfig{Rate: r / per, Burst: b}, nil
}

// String writes c as ParseLimit reads it, RATE/UNIT,BURST, with the largest
// unit that keeps the rate whole, or 2 decimals at most.
func (c LimitConfig) String() string {
	for _, u := range limitUnits {
		v := c.Rate * u.per
		if v >= 1 && (v == float64(int64(v)) || u.name == "h") {
			return strconv.FormatFloat(float64(int64(v*100+0.5))/100, 'f', -1, 64) + "/" + u.name + "," + strconv.Itoa(c.Burst)
		}
	}
	return strconv.FormatFloat(c.Rate*3600, 'f', 2, 64) + "/h," + strconv.Itoa(c.Burst)
}
