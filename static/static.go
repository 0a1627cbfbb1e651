// Package static embeds safedesk's browser assets: htmx (vendored, pinned),
// the stylesheet and the small scripts. Nothing is loaded from elsewhere.
package static

import (
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"io/fs"
	"net/http"
	"strings"
)

//go:embed *.css *.js
var files embed.FS

// etags holds a strong ETag per file, computed once.
var etags = func() map[string]string {
	m := map[string]string{}
	fs.WalkDir(files, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := files.ReadFile(path)
		sum := sha256.Sum256(b)
		m[path] = `"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`
		return nil
	})
	return m
}()

// Handler serves the embedded files. Versioned files (htmx-X.Y.Z) are
// immutable; the rest are revalidated by ETag.
func Handler() http.Handler {
	fsrv := http.FileServerFS(files)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tag, ok := etags[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		h.Set("ETag", tag)
		if strings.HasPrefix(r.URL.Path, "htmx-") {
			h.Set("Cache-Control", "public, max-age=31536000, immutable")
		} else {
			h.Set("Cache-Control", "public, max-age=300")
		}
		fsrv.ServeHTTP(w, r)
	})
}
