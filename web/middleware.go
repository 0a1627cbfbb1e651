package web

import (
	"context"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"runtime/debug"
	"strings"
	"time"

	"safedesk/security"
	"safedesk/store"
)

// reqInfo travels in the request context: one allocation per request.
type reqInfo struct {
	id      string
	ip      netip.Addr
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

// clientIP is the address of the client, from a trusted proxy's
// X-Forwarded-For when the peer is one.
func clientIP(r *http.Request) string {
	ip := info(r).ip
	if !ip.IsValid() {
		return ""
	}
	return ip.String()
}

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

// realClientIP takes the client address from X-Forwarded-For only when the
// direct peer is a trusted proxy: walking from the right, the first address
// that is not a trusted proxy is the client.
func (s *Server) realClientIP(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ri := info(r)
		ri.ip = s.peerClient(r)
		next.ServeHTTP(w, r)
	})
}

func (s *Server) peerClient(r *http.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		host, _, _ := net.SplitHostPort(r.RemoteAddr)
		a, _ := netip.ParseAddr(host)
		return a.Unmap()
	}
	peer := ap.Addr().Unmap()
	if !s.trusted(peer) {
		return peer
	}
	hops := r.Header.Values("X-Forwarded-For")
	client := peer
	for i := len(hops) - 1; i >= 0; i-- {
		// Walk the hops right to left without splitting (no allocation).
		for rest := hops[i]; ; {
			hop := rest
			comma := strings.LastIndexByte(rest, ',')
			if comma >= 0 {
				hop, rest = rest[comma+1:], rest[:comma]
			}
			a, err := netip.ParseAddr(strings.TrimSpace(hop))
			if err != nil {
				return client // a malformed hop: trust nothing beyond it
			}
			client = a.Unmap()
			if !s.trusted(client) {
				return client
			}
			if comma < 0 {
				break
			}
		}
	}
	return client
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

// limitBody caps request bodies (bodyLimit: larger for files); a larger
// body fails to parse and the handler answers 413. A declared length over
// the cap is refused before a byte of the body is read.
func (s *Server) limitBody(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		limit := s.bodyLimit(r)
		if r.ContentLength > limit {
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
				s.log.Error("panic", "method", r.Method, "path", r.URL.Path, "request_id", info(r).id,
					"panic", security.RedactLog(fmt.Sprint(v)), "stack", string(debug.Stack()))
				s.serveError(w, r, errors.New("web: panic"))
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

// logRequests writes one line per request: method, path (never the query,
// which may hold search terms or addresses), status, time and request id.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		if r.URL.Path == "/healthz" || r.URL.Path == "/readyz" {
			return
		}
		s.log.Info("request", "method", r.Method, "path", r.URL.Path, "status", sw.status,
			"ms", time.Since(start).Milliseconds(), "ip", clientIP(r), "request_id", info(r).id)
	})
}
