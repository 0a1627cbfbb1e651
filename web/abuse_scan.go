package web

import (
	"encoding/binary"
	"hash/maphash"
	"net/http"
	"net/netip"
	"net/url"
	"strings"

	"safedesk/security"
)

// The allocation-free pieces of the abuse middleware's hot path: client
// and session keys, and the scans of paths, query strings and forms.

// clientKey is the guard's and the limiters' key for the client of a: its
// 16-byte form, with an IPv6 address cut to its /64. Callers convert it
// with string(k[:]) in the function that uses the string: the security
// package keeps only a hash of a key, never the string, so the conversion
// stays on the stack and nothing is allocated per request
// (TestMiddlewareAllowedAllocations).
func clientKey(a netip.Addr) [16]byte {
	a = a.Unmap()
	k := a.As16()
	if a.Is6() {
		clear(k[8:])
	}
	return k
}

// requestPath is the path as the client sent it, so that encoded traversal
// is still visible.
func requestPath(r *http.Request) string {
	if r.RequestURI != "" {
		return r.RequestURI
	}
	return r.URL.Path
}

// limitedPath reports whether r counts against the client's and the
// session's limits: not for /static/ (cacheable assets), nor for an API
// request carrying credentials, which the API limits per token (and per
// client when they fail).
func limitedPath(r *http.Request) bool {
	p := r.URL.Path
	switch {
	case strings.HasPrefix(p, "/static/"):
		return false
	case strings.HasPrefix(p, "/api/") || strings.HasPrefix(p, "/oauth/"):
		return r.Header.Get("Authorization") == ""
	}
	return true
}

// sessionCookie returns the value of the first cookie in r named one of
// names, without parsing every cookie as r.Cookie does.
func sessionCookie(r *http.Request, names []string) (string, bool) {
	for _, line := range r.Header["Cookie"] {
		for line != "" {
			var part string
			part, line, _ = strings.Cut(line, ";")
			name, val, ok := strings.Cut(strings.TrimSpace(part), "=")
			if !ok || val == "" {
				continue
			}
			for _, n := range names {
				if name == n {
					return val, true
				}
			}
		}
	}
	return "", false
}

// sessionKey is the session limiter's key for a cookie value: a keyed hash,
// so that no session token is kept in memory.
func (a *abuse) sessionKey(cookie string) [16]byte {
	var k [16]byte
	binary.LittleEndian.PutUint64(k[:8], maphash.String(a.seed, cookie))
	binary.LittleEndian.PutUint64(k[8:], maphash.String(a.seed, cookie[len(cookie)/2:]))
	return k
}

// scanQuery scans each name and value of a raw query string. Only parts
// that are percent- or plus-encoded are decoded (and allocate).
func scanQuery(q string) (string, bool) {
	for q != "" {
		var part string
		part, q, _ = strings.Cut(q, "&")
		name, value, _ := strings.Cut(part, "=")
		for _, s := range [2]string{name, value} {
			if strings.ContainsAny(s, "%+") {
				d, err := url.QueryUnescape(s)
				if err != nil {
					continue
				}
				s = d
			}
			if sig, ok := security.ScanPayload(s); ok {
				return sig, true
			}
		}
	}
	return "", false
}

// scanFormOf reports whether r's body is a url-encoded form to scan: not
// in the staff panel (knowledge-base articles may quote code), nor in the
// API, which takes JSON and has its own limits.
func scanFormOf(r *http.Request) bool {
	if r.Method != http.MethodPost && r.Method != http.MethodPut && r.Method != http.MethodPatch {
		return false
	}
	if strings.HasPrefix(r.URL.Path, "/admin/") || strings.HasPrefix(r.URL.Path, "/api/") || strings.HasPrefix(r.URL.Path, "/oauth/") {
		return false
	}
	ct := r.Header.Get("Content-Type")
	return strings.HasPrefix(ct, "application/x-www-form-urlencoded")
}

func scanValues(v url.Values) (string, bool) {
	for name, vals := range v {
		if sig, ok := security.ScanPayload(name); ok {
			return sig, true
		}
		for _, s := range vals {
			if sig, ok := security.ScanPayload(s); ok {
				return sig, true
			}
		}
	}
	return "", false
}
