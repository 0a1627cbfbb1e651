package web

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"runtime/debug"
	"slices"
	"strings"
	"time"

	"safedesk/security"
	"safedesk/store"
)

// reqInfo travels in the request context: one allocation per request.
type reqInfo struct {
	id string
	// The client, decided once by realClientIP (web/client.go): its
	// address (invalid when a proxy named it unreadably, then hop is that
	// text and unread is true), its key in every limiter and the abuse
	// guard, and whether it is exempt from limits.
	ip     netip.Addr
	hop    string
	unread bool
	key    [16]byte
	exempt bool

	session bool         // the customer session is loaded
	staff   *store.Staff // the signed-in staff member, inside adminPage
}

type ctxKey struct{}

func info(r *http.Request) *reqInfo {
	if ri, ok := r.Context().Value(ctxKey{}).(*reqInfo); ok {
		return ri
	}
	return &reqInfo{}
}

// clientIP names the client of r in logs and records: its address (from
// a trusted proxy's X-Forwarded-For when the peer is one), or what stands
// for it.
func clientIP(r *http.Request) string { return info(r).clientLabel() }

var idEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// requestID gives each request an id, echoed in X-Request-Id and in logs and
// error pages so a person can quote it.
func (s *Server) requestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b [10]byte
		rand.Read(b[:])
		ri := &reqInfo{id: idEncoding.EncodeToString(b[:])}
		w.Header().Set("X-Request-Id", ri.id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), ctxKey{}, ri)))
	})
}

// realClientIP decides who the client is, once per request, for every
// limiter, the abuse guard and the records (web/client.go): from
// X-Forwarded-For only when the direct peer is a trusted proxy.
func (s *Server) realClientIP(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.resolveClient(r, info(r))
		next.ServeHTTP(w, r)
	})
}

func (s *Server) trusted(a netip.Addr) bool {
	for _, p := range s.cfg.TrustedProxies {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// Security headers. Scripts and styles come only from our own origin: no
// inline code, no eval, so an injected tag cannot run.
var (
	cspHeader = []string{"default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
		"connect-src 'self'; font-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"}
	nosniffHeader     = []string{"nosniff"}
	referrerHeader    = []string{"strict-origin-when-cross-origin"}
	permissionsHeader = []string{"camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"}
	frameHeader       = []string{"DENY"}
	coopHeader        = []string{"same-origin"}
	corpHeader        = []string{"same-origin"}
	hstsHeader        = []string{"max-age=63072000; includeSubDomains"}
)

func (s *Server) securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h["Content-Security-Policy"] = cspHeader
		h["X-Content-Type-Options"] = nosniffHeader
		h["Referrer-Policy"] = referrerHeader
		h["Permissions-Policy"] = permissionsHeader
		h["X-Frame-Options"] = frameHeader
		h["Cross-Origin-Opener-Policy"] = coopHeader
		h["Cross-Origin-Resource-Policy"] = corpHeader
		if s.secure || r.TLS != nil {
			h["Strict-Transport-Security"] = hstsHeader
		}
		next.ServeHTTP(w, r)
	})
}

// drainLimit is how much of a body announced too large limitBody reads
// and discards before it answers 413. A reverse proxy (nginx buffers the
// whole body, up to its client_max_body_size) sends the body before it
// reads the answer: closing on it makes the proxy show its own 502
// instead of our 413. Past this the connection is closed anyway.
const drainLimit = 32 << 20

// limitBody caps request bodies (bodyLimit: larger for files); a larger
// body fails to parse and the handler answers 413. A declared length over
// the cap is refused before the handler reads a byte of it.
func (s *Server) limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		limit := s.bodyLimit(r)
		if r.ContentLength > limit {
			if r.ContentLength <= drainLimit {
				// An error here only means the connection is not kept.
				_, _ = io.CopyN(io.Discard, r.Body, r.ContentLength)
			}
			s.serveError(w, r, &http.MaxBytesError{Limit: limit})
			return
		}
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = http.MaxBytesReader(w, r.Body, limit)
		}
		next.ServeHTTP(w, r)
	})
}

// crossOrigin refuses cross-site state-changing requests (CSRF) with
// net/http's Sec-Fetch-Site and Origin checks.
func (s *Server) crossOrigin(next http.Handler) http.Handler {
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.serveError(w, r, errCrossOrigin)
	}))
	return cop.Handler(next)
}

// recoverPanics turns a panic into a plain 500 page and logs the stack. The
// request's form is never logged, so no personal data reaches the log.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("panic", "method", r.Method, "path", loggedPath(r), "request_id", info(r).id,
					"panic", security.RedactLog(fmt.Sprint(v)), "stack", string(debug.Stack()))
				s.serveError(w, s.outerLocale(w, r), errors.New("web: panic"))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// statusWriter records the status for the access log.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// logRequests writes one line per request: method, the route pattern
// that matched ("" when none did), path as loggedPath shows it (never the
// query, which may hold search terms, addresses or a setup token), status,
// time, client and request id.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		if r.URL.Path == "/healthz" || r.URL.Path == "/readyz" {
			return
		}
		s.log.Info("request", "method", r.Method, "route", r.Pattern, "path", loggedPath(r), "status", sw.status,
			"ms", time.Since(start).Milliseconds(), "ip", clientIP(r), "request_id", info(r).id)
	})
}

// secretWildcards name the route wildcards whose value is a live secret
// (an invite token): logs show their name, never their value.
var secretWildcards = []string{"token"}

// maxLoggedSegment is the longest path segment that loggedPath shows of a
// path no route has matched: the tokens we issue are longer.
const maxLoggedSegment = 24

// loggedPath is the path of r as logs and security events show it. For a
// request a route has matched, it is the route's pattern with each
// wildcard filled in from the path, except those holding a secret, which
// keep their name ("/admin/invite/{token}/begin"). Any other path (no
// route yet, or a catch-all such as "/admin/") shows each segment longer
// than maxLoggedSegment as "{redacted}": a token mistyped into a path is
// still a token.
func loggedPath(r *http.Request) string {
	_, pattern, _ := strings.Cut(r.Pattern, " ")
	if pattern == "" {
		pattern = r.Pattern
	}
	if i := strings.IndexByte(pattern, '/'); i > 0 {
		pattern = pattern[i:] // without a host
	}
	if pattern == "" || strings.HasSuffix(pattern, "/") {
		return redactSegments(r.URL.Path)
	}
	var b strings.Builder
	for seg := range strings.SplitSeq(strings.TrimPrefix(pattern, "/"), "/") {
		name, wild := strings.CutPrefix(seg, "{")
		if !wild {
			b.WriteString("/" + seg)
			continue
		}
		name = strings.TrimSuffix(strings.TrimSuffix(name, "}"), "...")
		switch {
		case name == "$":
			b.WriteString("/")
		case slices.Contains(secretWildcards, name):
			b.WriteString("/{" + name + "}")
		default:
			b.WriteString("/" + r.PathValue(name))
		}
	}
	return b.String()
}

// redactSegments replaces each segment of path longer than
// maxLoggedSegment with "{redacted}".
func redactSegments(path string) string {
	long := false
	for seg := range strings.SplitSeq(path, "/") {
		long = long || len(seg) > maxLoggedSegment
	}
	if !long {
		return path
	}
	segs := strings.Split(path, "/")
	for i, seg := range segs {
		if len(seg) > maxLoggedSegment {
			segs[i] = "{redacted}"
		}
	}
	return strings.Join(segs, "/")
}
