package web

import (
	"bytes"
	"crypto/sha256"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"safedesk/security"
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
// form field (where tokens travel). The body's part is publicBody, which
// packCache.get asks only of a page it has not compressed before.
func (s *Server) compressible(r *http.Request, h http.Header, status int) bool {
	if r.Method != http.MethodGet || status != http.StatusOK {
		return false
	}
	for _, name := range []string{s.customer.Cookie.Name, s.staff.Cookie.Name, s.deviceCookie()} {
		if _, err := r.Cookie(name); err == nil {
			return false
		}
	}
	return len(h.Values("Set-Cookie")) == 0 && h.Get("Content-Encoding") == "" && compressibleType(h.Get("Content-Type"))
}

// publicHidden are the hidden fields a public page may carry: none holds a
// secret (the language switcher's "next" is the page's own address).
var publicHidden = map[string]bool{"next": true}

var hiddenInput = regexp.MustCompile(`<input\b[^>]*\btype="hidden"[^>]*>`)
var inputName = regexp.MustCompile(`\bname="([^"]*)"`)

// publicBody reports whether page holds no hidden form field other than
// publicHidden: where a token would travel.
func publicBody(page []byte) bool {
	for _, tag := range hiddenInput.FindAll(page, -1) {
		m := inputName.FindSubmatch(tag)
		if m == nil || !publicHidden[string(m[1])] {
			return false
		}
	}
	return true
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
		var packed []byte
		ok := s.compressible(r, w.Header(), bw.status)
		if ok {
			var err error
			if packed, ok, err = s.packed.get(enc, body); err != nil {
				s.log.Error("compress page", "path", loggedPath(r), "err", err, "request_id", info(r).id)
			}
		}
		if !ok {
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
// requests compress nothing. A body is scanned for hidden fields
// (publicBody) only before it is first compressed: a cached body passed.
// Search pages make as many bodies as queries, so it is bounded (an LRU).
type packCache struct {
	once sync.Once
	lru  *security.LRU[packKey, []byte]
}

type packKey struct {
	enc string
	sum [sha256.Size]byte
}

const packCacheSize = 256

// get is body in the content coding enc and true, for an answer that
// compressible allowed: false when the body is not public (publicBody) or
// could not be compressed.
func (c *packCache) get(enc string, body []byte) ([]byte, bool, error) {
	c.once.Do(func() { c.lru = security.NewLRU[packKey, []byte](packCacheSize) })
	k := packKey{enc: enc, sum: sha256.Sum256(body)}
	if out, ok := c.lru.Get(k); ok {
		return out, true, nil
	}
	if !publicBody(body) {
		return nil, false, nil
	}
	out, err := static.Compress(enc, body, false)
	if err != nil {
		return nil, false, err
	}
	c.lru.Put(k, out)
	return out, true, nil
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
