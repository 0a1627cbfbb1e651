package web

import (
	"bytes"
	"crypto/sha256"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"safedesk/static"
)

// HTML compression and BREACH (CVE-2013-3587): a compressed page that
// holds a secret (a session-bound value, a token, a CSRF field, personal
// data) beside text an attacker can make it reflect (a search query) leaks
// the secret through the compressed length. So HTML is compressed only on
// the public pages the route table marks compressed (home, the knowledge
// base, search, privacy), and there only when compressible says the
// answer is the page every visitor gets. Static files are compressed by
// static.Set.

// compressible is the one decision whether an answer may be compressed:
// a GET of a route marked compressed (the caller), from a request that
// carries no session or device cookie, answered 200 with HTML (or the
// brand stylesheet, the sitemap) that sets no cookie and holds no hidden
// form field (where tokens travel).
func (s *Server) compressible(r *http.Request, h http.Header, status int, body []byte) bool {
	if r.Method != http.MethodGet || status != http.StatusOK {
		return false
	}
	for _, name := range []string{s.customer.Cookie.Name, s.staff.Cookie.Name, s.deviceCookie()} {
		if _, err := r.Cookie(name); err == nil {
			return false
		}
	}
	if len(h.Values("Set-Cookie")) > 0 || h.Get("Content-Encoding") != "" || !compressibleType(h.Get("Content-Type")) {
		return false
	}
	return !hasHiddenField(body)
}

// publicHidden are the hidden fields a public page may carry: none holds a
// secret (the language switcher's "next" is the page's own address).
var publicHidden = map[string]bool{"next": true}

var hiddenInput = regexp.MustCompile(`<input\b[^>]*\btype="hidden"[^>]*>`)
var inputName = regexp.MustCompile(`\bname="([^"]*)"`)

// hasHiddenField reports whether page holds a hidden form field other than
// publicHidden: where a token would travel.
func hasHiddenField(page []byte) bool {
	for _, tag := range hiddenInput.FindAll(page, -1) {
		m := inputName.FindSubmatch(tag)
		if m == nil || !publicHidden[string(m[1])] {
			return true
		}
	}
	return false
}

// compressibleType reports whether a Content-Type is text worth
// compressing: a page, a stylesheet, the sitemap.
func compressibleType(ct string) bool {
	for _, t := range []string{"text/html", "text/css", "application/xml", "text/xml"} {
		if strings.HasPrefix(ct, t) {
			return true
		}
	}
	return false
}

// compressPublic serves h, the handler of a public page, compressed with
// brotli or gzip when the client accepts it and compressible allows.
func (s *Server) compressPublic(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Vary", "Accept-Encoding")
		accepts := r.Header.Get("Accept-Encoding")
		enc := ""
		switch {
		case static.AcceptsEncoding(accepts, "br"):
			enc = "br"
		case static.AcceptsEncoding(accepts, "gzip"):
			enc = "gzip"
		}
		if enc == "" || r.Method != http.MethodGet {
			h.ServeHTTP(w, r)
			return
		}
		bw := &bufferedWriter{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(bw, r)
		body := bw.buf.Bytes()
		if !s.compressible(r, w.Header(), bw.status, body) {
			w.WriteHeader(bw.status)
			w.Write(body)
			return
		}
		packed, err := s.packed.get(enc, body)
		if err != nil {
			s.log.Error("compress page", "path", loggedPath(r), "err", err, "request_id", info(r).id)
			w.WriteHeader(bw.status)
			w.Write(body)
			return
		}
		w.Header().Set("Content-Encoding", enc)
		w.Header().Set("Content-Length", strconv.Itoa(len(packed)))
		w.WriteHeader(bw.status)
		w.Write(packed)
	})
}

// packCache keeps the compressed forms of the pages served most: the
// public pages are the same for every visitor without a session, so most
// requests compress nothing. It is bounded: when full, it starts over.
type packCache struct {
	mu sync.Mutex
	m  map[packKey][]byte
}

type packKey struct {
	enc string
	sum [sha256.Size]byte
}

const packCacheSize = 256

// get is body in the content coding enc, from the cache or compressed now.
func (c *packCache) get(enc string, body []byte) ([]byte, error) {
	k := packKey{enc: enc, sum: sha256.Sum256(body)}
	c.mu.Lock()
	out, ok := c.m[k]
	c.mu.Unlock()
	if ok {
		return out, nil
	}
	out, err := static.Compress(enc, body, false)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.m == nil || len(c.m) >= packCacheSize {
		c.m = make(map[packKey][]byte, packCacheSize)
	}
	c.m[k] = out
	c.mu.Unlock()
	return out, nil
}

// bufferedWriter holds a page's status and body until the handler is done,
// so that compressPublic decides on the whole answer.
type bufferedWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
	buf    bytes.Buffer
}

func (b *bufferedWriter) WriteHeader(status int) {
	if !b.wrote {
		b.status, b.wrote = status, true
	}
}

func (b *bufferedWriter) Write(p []byte) (int, error) {
	b.wrote = true
	return b.buf.Write(p)
}

// Unwrap lets http.ResponseController reach the connection.
func (b *bufferedWriter) Unwrap() http.ResponseWriter { return b.ResponseWriter }
