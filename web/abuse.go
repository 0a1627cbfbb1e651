package web

import (
	"context"
	"hash/maphash"
	"net/http"
	"net/netip"
	"time"

	"safedesk/security"
	"safedesk/store"
	"safedesk/web/monitor"
)

// Abuse detection sits in the middleware chain right after the client
// address is known (realClientIP) and the body is capped (limitBody). For
// each request it
//
//  1. refuses a client the guard has blocked (403) or throttled past its
//     limit (429), with Retry-After, unless the request carries a live
//     staff session (web/abuse_staff.go);
//  2. matches the path against scanners' probe signatures;
//  3. takes a token from the client's bucket and, with a session cookie,
//     from the session's (not for /static/, whose assets are cacheable,
//     nor for API calls with credentials, limited per token instead);
//  4. scans the query string, and url-encoded forms outside /admin/ and
//     /api/, for SQL, script, template and command payloads;
//  5. serves the request and reports its status to the guard, whose
//     anomaly detector follows each client's request, error and
//     failed-verification rates against the site's baseline.
//
// Findings escalate through security.Guard: a security event, then a
// throttle, then blocks of growing length, which are stored (they survive
// a restart), end the client's customer sessions (staff sessions are kept
// and recorded) and mail the owners and admins. Steps 1 to 5 for an allowed
// request without a form body allocate nothing (step 4 parses a form, which
// allocates).
//
// A client is an IPv4 address or an IPv6 /64 (store.ClientID), or the text
// of an unreadable forwarding hop; realClientIP decides it once per request
// (web/client.go), with whether it is exempt. Clients in
// AbuseConfig.Exempt, loopback by default, are counted but never limited:
// behind a reverse proxy on the same host that is not listed in
// --trusted-proxies, every visitor would otherwise share one address and a
// single scanner could block the whole site. That setup is a mistake all
// the same: the server warns in its log, records it for doctor, and the
// dashboard warns when most traffic arrives that way.

// Limits of one-time codes at /verify, beside those of the security
// package (EmailCodeLimit, CodeClientLimit) for sending them.
var (
	// VerifyClientLimit applies per client to checking codes: ten tries at
	// once, then one every two minutes. A person needs one or two.
	VerifyClientLimit = security.LimitConfig{Rate: 30.0 / 3600, Burst: 10}

	// VerifyAddressLimit applies per email address and client to checking
	// codes (the store bounds the tries of many clients together).
	VerifyAddressLimit = security.LimitConfig{Rate: 10.0 / 3600, Burst: 10}
)

// AbuseConfig tunes rate limits and abuse detection. Zero limits take the
// defaults of the security package and of this file.
type AbuseConfig struct {
	ClientLimit        security.LimitConfig // every request of a client except /static/
	SessionLimit       security.LimitConfig // every request carrying a session cookie, except /static/
	EmailCodeLimit     security.LimitConfig // codes sent to one address at one client's request
	CodeClientLimit    security.LimitConfig // codes sent at one client's request
	VerifyClientLimit  security.LimitConfig // codes checked by one client
	VerifyAddressLimit security.LimitConfig // codes checked for one address by one client

	// Exempt lists networks whose clients are never limited, throttled or
	// blocked. Nil means loopback (127.0.0.0/8 and ::1); empty means none.
	Exempt []netip.Prefix

	// Guard tunes the graduated response; nil takes
	// security.DefaultGuardConfig.
	Guard *security.GuardConfig
}

// DefaultExempt is the default of AbuseConfig.Exempt.
var DefaultExempt = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}

// abuse holds the limiters, the guard and what the dashboard shows.
type abuse struct {
	guard       *security.Guard
	client      *security.Limiter
	session     *security.Limiter
	codeSend    *security.Limiter // per client
	codeAddr    *security.Limiter // per address (blind index) and client
	checkClient *security.Limiter
	checkAddr   *security.Limiter // per address and client
	tickets     *security.Limiter // anonymous tickets per client (web/abuse_verify.go)
	exempt      []netip.Prefix
	cookies     []string // names of the session cookies
	seed        maphash.Seed

	traffic   *monitor.Traffic // counts per minute, which the monitor stores
	share     exemptShare
	forwarded forwardWatch // requests through a proxy that is not trusted
}

// newAbuse builds the limiters and the guard on the clock now; requests
// are counted in traffic.
func newAbuse(cfg AbuseConfig, now func() time.Time, traffic *monitor.Traffic, cookies ...string) *abuse {
	pick := func(c, def security.LimitConfig) *security.Limiter {
		if c.Rate <= 0 || c.Burst <= 0 {
			c = def
		}
		return c.NewLimiter(now)
	}
	gc := security.DefaultGuardConfig
	if cfg.Guard != nil {
		gc = *cfg.Guard
	}
	if cfg.Exempt == nil {
		cfg.Exempt = DefaultExempt
	}
	a := &abuse{
		guard:       security.NewGuard(gc, now),
		client:      pick(cfg.ClientLimit, security.ClientLimit),
		session:     pick(cfg.SessionLimit, security.SessionLimit),
		codeSend:    pick(cfg.CodeClientLimit, security.CodeClientLimit),
		codeAddr:    pick(cfg.EmailCodeLimit, security.EmailCodeLimit),
		checkClient: pick(cfg.VerifyClientLimit, VerifyClientLimit),
		checkAddr:   pick(cfg.VerifyAddressLimit, VerifyAddressLimit),
		tickets:     AnonymousTicketLimit.NewLimiter(now),
		exempt:      cfg.Exempt,
		traffic:     traffic,
		cookies:     cookies,
		seed:        maphash.MakeSeed(),
	}
	return a
}

// initAbuse sets up abuse detection: the guard and limiters on the
// store's clock, counting into the monitor's traffic, and the blocks
// stored before a restart.
func (s *Server) initAbuse(ctx context.Context) error {
	s.abuse = newAbuse(s.cfg.Abuse, s.db.Now, s.mon.Traffic(), s.customer.Cookie.Name, s.staff.Cookie.Name)
	return s.restoreBlocks(ctx)
}

// restoreBlocks reinstates the stored blocks in the guard, at start-up.
func (s *Server) restoreBlocks(ctx context.Context) error {
	blocks, err := s.db.ActiveBlocks(ctx)
	if err != nil {
		return err
	}
	restore := make([]security.Block, 0, len(blocks))
	for _, b := range blocks {
		addr, err := store.ParseClientID(b.Client)
		if err != nil {
			s.log.Warn("a stored block names no client address; not restored", "client", b.Client, "err", err)
			continue
		}
		k := clientKey(addr)
		restore = append(restore, security.Block{Client: string(k[:]), Until: b.Until, Reason: b.Reason, Level: b.Level})
	}
	s.abuse.guard.Restore(restore)
	return nil
}

// isExempt reports whether a client is never limited.
func (a *abuse) isExempt(ip netip.Addr) bool {
	for _, p := range a.exempt {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// abuseCheck is the abuse middleware (see the comment at the top).
func (s *Server) abuseCheck(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a := s.abuse
		path := r.URL.Path
		if path == "/healthz" || path == "/readyz" {
			next.ServeHTTP(w, r)
			return
		}
		ri := info(r)
		a.share.total.Add(1)
		if ri.exempt {
			a.share.exempt.Add(1)
			a.traffic.Served(s.db.Now(), serveStatus(w, r, next))
			return
		}
		key := string(ri.key[:])
		if d := a.guard.Check(key); !d.Allow && !s.signedInStaff(r) {
			if !d.Blocked {
				// Over the throttle: a client that keeps ignoring 429s
				// escalates to a block.
				s.rateLimited(w, r, key, d.RetryAfter)
				return
			}
			s.refuse(w, r, d.Status, d.RetryAfter, true)
			return
		}
		if sig, ok := security.ProbePath(requestPath(r)); ok {
			if s.abuseFinding(w, r, key, security.Event{Kind: security.EventProbe, Sig: sig}) {
				return
			}
		}
		if limitedPath(r) {
			if ok, wait := a.client.Allow(key); !ok {
				s.rateLimited(w, r, key, wait)
				return
			}
			if v, ok := sessionCookie(r, a.cookies); ok {
				sk := a.sessionKey(v)
				if ok, wait := a.session.Allow(string(sk[:])); !ok {
					s.rateLimited(w, r, key, wait)
					return
				}
			}
		}
		if r.URL.RawQuery != "" {
			if sig, ok := scanQuery(r.URL.RawQuery); ok {
				if s.abuseFinding(w, r, key, security.Event{Kind: security.EventPayload, Sig: sig}) {
					return
				}
			}
		}
		if scanFormOf(r) {
			if err := r.ParseForm(); err != nil {
				s.serveError(w, r, formError(err))
				return
			}
			if sig, ok := scanValues(r.PostForm); ok {
				if s.abuseFinding(w, r, key, security.Event{Kind: security.EventPayload, Sig: sig}) {
					return
				}
			}
		}
		status := serveStatus(w, r, next)
		ev := security.Event{Kind: security.EventRequest, Status: status, Time: s.db.Now()} // one clock reading for both
		a.traffic.Served(ev.Time, status)
		if act, ok := a.guard.Record(key, ev); ok {
			s.abuseAct(r, ev, act)
		}
	})
}

// serveStatus serves r and returns the status of the answer. The access
// log's statusWriter, outside this middleware, already records it.
func serveStatus(w http.ResponseWriter, r *http.Request, next http.Handler) int {
	sw, ok := w.(*statusWriter)
	if !ok {
		sw = &statusWriter{ResponseWriter: w}
	}
	next.ServeHTTP(sw, r)
	if sw.status == 0 {
		return http.StatusOK
	}
	return sw.status
}
