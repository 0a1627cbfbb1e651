// Package static embeds safedesk's browser assets: htmx (vendored, pinned),
// the stylesheets and the small scripts. Nothing is loaded from elsewhere.
//
// Each file is served under a content-hashed name (app.3f9a1c2b.css) that
// never changes meaning, so browsers may keep it for a year without asking
// again; Path gives templates that name. The bodies are compressed once,
// with gzip and brotli, the first time they are needed.
package static

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"sync"

	"github.com/andybalholm/brotli"
)

//go:embed *.css *.js
var files embed.FS

// Cache-Control values: a hashed name is immutable; a plain name (an old
// page, a bookmark) is revalidated.
const (
	cacheImmutable  = "public, max-age=31536000, immutable"
	cacheRevalidate = "public, max-age=300"
)

// asset is one embedded file, ready to serve in every encoding.
type asset struct {
	name   string // app.css
	hashed string // app.3f9a1c2b.css
	ctype  string
	plain  []byte
	gzip   []byte // nil when compression would not save anything
	br     []byte
	tag    string // the hex content hash, the ETag's base
}

// Set is the embedded assets, hashed and compressed.
type Set struct {
	byName   map[string]*asset // by plain name
	byHashed map[string]*asset // by hashed name
}

// Assets is the set of embedded assets. It is computed once per process:
// the files are part of the binary, so the result never changes.
var Assets = sync.OnceValue(func() *Set {
	s, err := load(files)
	if err != nil {
		panic(err) // an embedded file that cannot be read is a broken build
	}
	return s
})

// load hashes and compresses every file of fsys.
func load(fsys fs.FS) (*Set, error) {
	s := &Set{byName: map[string]*asset{}, byHashed: map[string]*asset{}}
	names, err := fs.Glob(fsys, "*")
	if err != nil {
		return nil, fmt.Errorf("static: %w", err)
	}
	for _, name := range names {
		b, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, fmt.Errorf("static: %w", err)
		}
		a, err := newAsset(name, b)
		if err != nil {
			return nil, err
		}
		s.byName[name] = a
		s.byHashed[a.hashed] = a
	}
	return s, nil
}

func newAsset(name string, b []byte) (*asset, error) {
	sum := sha256.Sum256(b)
	tag := hex.EncodeToString(sum[:4])
	ext := path.Ext(name)
	a := &asset{name: name, hashed: strings.TrimSuffix(name, ext) + "." + tag + ext,
		ctype: mime.TypeByExtension(ext), plain: b, tag: tag}
	gz, err := Compress("gzip", b, true)
	if err != nil {
		return nil, fmt.Errorf("static: compress %s: %w", name, err)
	}
	br, err := Compress("br", b, true)
	if err != nil {
		return nil, fmt.Errorf("static: compress %s: %w", name, err)
	}
	if len(gz) < len(b) {
		a.gzip = gz
	}
	if len(br) < len(b) {
		a.br = br
	}
	return a, nil
}

// Compress is b in the content coding enc ("br" or "gzip"): with best, at
// the highest level (files compressed once), otherwise at a level quick
// enough for a page built per request. Brotli's window is the smallest that
// holds b, not its default 4 MB one, which costs tens of MB to build.
func Compress(enc string, b []byte, best bool) ([]byte, error) {
	var out bytes.Buffer
	var zw interface {
		Write([]byte) (int, error)
		Close() error
	}
	switch enc {
	case "br":
		lgwin := 16
		for lgwin < 24 && 1<<lgwin-16 < len(b) {
			lgwin++
		}
		quality := 5
		if best {
			quality = brotli.BestCompression
		}
		zw = brotli.NewWriterOptions(&out, brotli.WriterOptions{Quality: quality, LGWin: lgwin})
	case "gzip":
		level := gzip.DefaultCompression
		if best {
			level = gzip.BestCompression
		}
		gw, err := gzip.NewWriterLevel(&out, level)
		if err != nil {
			return nil, err
		}
		zw = gw
	default:
		return nil, fmt.Errorf("static: no content coding %q", enc)
	}
	if _, err := zw.Write(b); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// Path is the address of the embedded file name under its hashed name
// (/static/app.3f9a1c2b.css); an unknown name keeps its plain address.
func (s *Set) Path(name string) string {
	if a, ok := s.byName[name]; ok {
		return "/static/" + a.hashed
	}
	return "/static/" + name
}

// Handler serves the files under /static/ (with the prefix stripped): a
// hashed name as immutable, a plain name revalidated by ETag, each in the
// best encoding the client accepts (brotli, gzip, none), with Vary:
// Accept-Encoding and the Content-Length and ETag of that encoding.
func (s *Set) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		a, ok := s.byHashed[r.URL.Path]
		if ok {
			h.Set("Cache-Control", cacheImmutable)
		} else if a, ok = s.byName[r.URL.Path]; ok {
			h.Set("Cache-Control", cacheRevalidate)
		} else {
			http.NotFound(w, r)
			return
		}
		body, enc := a.plain, ""
		switch accepts := r.Header.Get("Accept-Encoding"); {
		case a.br != nil && AcceptsEncoding(accepts, "br"):
			body, enc = a.br, "br"
		case a.gzip != nil && AcceptsEncoding(accepts, "gzip"):
			body, enc = a.gzip, "gzip"
		}
		h.Set("Vary", "Accept-Encoding")
		h.Set("Content-Type", a.ctype)
		h.Set("X-Content-Type-Options", "nosniff")
		etag := `"` + a.tag + `"`
		if enc != "" {
			h.Set("Content-Encoding", enc)
			etag = `"` + a.tag + "-" + enc + `"`
		}
		h.Set("ETag", etag)
		if matches(r.Header.Get("If-None-Match"), etag) {
			h.Del("Content-Type")
			w.WriteHeader(http.StatusNotModified)
			return
		}
		h.Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(http.StatusOK)
		if r.Method != http.MethodHead {
			w.Write(body)
		}
	})
}

// matches reports whether an If-None-Match header value names etag.
func matches(header, etag string) bool {
	for part := range strings.SplitSeq(header, ",") {
		if t := strings.TrimPrefix(strings.TrimSpace(part), "W/"); t == etag || t == "*" {
			return true
		}
	}
	return false
}

// AcceptsEncoding reports whether an Accept-Encoding header value accepts
// the content coding enc (a q of 0 refuses it).
func AcceptsEncoding(header, enc string) bool {
	for part := range strings.SplitSeq(header, ",") {
		name, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		if !strings.EqualFold(strings.TrimSpace(name), enc) {
			continue
		}
		q := strings.ReplaceAll(strings.TrimSpace(params), " ", "")
		return q != "q=0" && q != "q=0.0" && q != "q=0.00" && q != "q=0.000"
	}
	return false
}
