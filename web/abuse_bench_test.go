package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync/atomic"
	"testing"

	"safedesk/security"
)

// TestScanQuery covers the zero-allocation decoding of query strings.
func TestScanQuery(t *testing.T) {
	for _, tt := range []struct {
		q    string
		want bool
	}{
		{"q=refund", false},
		{"q=how+to+select+a+size", false},
		{"q=I+can%27t+log+in+--+please+help", false},
		{"id=1%27%20OR%20%271%27%3D%271", true},
		{"q=%3Cscript%3Ealert(1)%3C%2Fscript%3E", true},
		{"%3Cscript%3E=1", true},
		{"next={{7*7}}", true},
		{"bad=%zz", false},
	} {
		if _, got := scanQuery(tt.q); got != tt.want {
			t.Errorf("scanQuery(%q) = %v, want %v", tt.q, got, tt.want)
		}
	}
}

// benchChain is the hot path of an allowed request through the real
// middleware: client address, abuse check (guard, limiters, probe scan),
// security headers and the body cap, in front of a handler that writes
// nothing. The request carries a session cookie, so both limiters run;
// their limits are raised so that a tight loop stays allowed (the code
// path is the same). The access log's statusWriter is reused, as the
// benchmark is about the pieces above.
func benchChain(tb testing.TB) (http.Handler, *http.Request, *statusWriter) {
	env := newEnv(tb, func(c *Config) {
		c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
		c.Abuse.ClientLimit = security.LimitConfig{Rate: 1e9, Burst: 1 << 30}
		c.Abuse.SessionLimit = security.LimitConfig{Rate: 1e9, Burst: 1 << 30}
	})
	s := env.srv
	h := s.chain(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}),
		s.realClientIP, s.abuseCheck, s.securityHeaders, s.limitBody)
	req := httptest.NewRequest("GET", "/kb/cancel-or-change-an-order", nil)
	req.RemoteAddr = "127.0.0.1:40000"
	req.Header.Set("X-Forwarded-For", "198.51.100.7")
	req.Header.Set("Cookie", "theme=dark; safedesk_customer=0123456789abcdefghijklmnopqrstuvwxyzABCDEFG")
	req = req.WithContext(context.WithValue(req.Context(), ctxKey{}, &reqInfo{id: "BENCH"}))
	return h, req, &statusWriter{ResponseWriter: httptest.NewRecorder()}
}

// TestMiddlewareAllowedAllocations holds the hot path to zero allocations
// for a client already seen.
func TestMiddlewareAllowedAllocations(t *testing.T) {
	h, req, sw := benchChain(t)
	h.ServeHTTP(sw, req) // the first request of a client allocates its entries
	allocs := testing.AllocsPerRun(1000, func() {
		sw.status = 0
		h.ServeHTTP(sw, req)
	})
	if allocs != 0 {
		t.Fatalf("%.1f allocations per allowed request, want 0", allocs)
	}
	if sw.status != 0 || sw.Header().Get("Content-Security-Policy") == "" {
		t.Fatalf("the chain did not run: status %d, headers %v", sw.status, sw.Header())
	}
}

// BenchmarkMiddlewareAllowed measures an allowed request through the
// abuse detection hot path (see benchChain):
//
//	go test ./web/ -run '^$' -bench MiddlewareAllowed -benchmem
func BenchmarkMiddlewareAllowed(b *testing.B) {
	h, req, sw := benchChain(b)
	h.ServeHTTP(sw, req)
	b.ReportAllocs()
	for b.Loop() {
		sw.status = 0
		h.ServeHTTP(sw, req)
	}
}

// BenchmarkMiddlewareAllowedParallel is the same from many goroutines and
// clients at once, as on a busy site: the limiters and the guard are
// sharded, so clients do not queue on one lock.
func BenchmarkMiddlewareAllowedParallel(b *testing.B) {
	h, base, _ := benchChain(b)
	var next atomic.Uint32
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		n := next.Add(1)
		req := base.Clone(base.Context())
		req = req.WithContext(context.WithValue(req.Context(), ctxKey{}, &reqInfo{id: "BENCH"}))
		req.Header = base.Header.Clone()
		req.Header.Set("X-Forwarded-For", fmt.Sprintf("198.51.%d.%d", n/250, n%250+1))
		sw := &statusWriter{ResponseWriter: httptest.NewRecorder()}
		h.ServeHTTP(sw, req)
		for pb.Next() {
			sw.status = 0
			h.ServeHTTP(sw, req)
		}
	})
}
