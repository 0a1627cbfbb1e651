package httpx

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// File describes a stored file about to be served.
type File struct {
	Name        string // as shown; cleaned again for the header
	ContentType string // decided from the content when it was stored
	Size        int64
	// Inline shows a raster image in the page (a thumbnail) instead of
	// downloading it; it is ignored for every other type.
	Inline bool
}

// fileCSP keeps a served file from doing anything should a browser render
// it after all: no script, no plugin, no request, no same-origin access.
var fileCSP = []string{"sandbox; default-src 'none'"}

// StreamError is a failure after the answer's header went out: the client
// has a partial file, and the connection must be dropped (panic with
// http.ErrAbortHandler) rather than the file end as if whole.
type StreamError struct{ Err error }

// Error says the file was cut off, and why.
func (e *StreamError) Error() string { return "httpx: file cut off: " + e.Err.Error() }

// Unwrap returns the failure.
func (e *StreamError) Unwrap() error { return e.Err }

// ServeFile streams body as f. Every file is served so that it cannot
// attack the viewer: Content-Disposition attachment (inline only for raster
// images) with the name in RFC 6266 form, the type decided when it was
// stored, nosniff, and a sandbox CSP. The first bytes are read before the
// header goes out, so a file that does not open at all is an error the
// caller can still answer; a failure later is a *StreamError.
func ServeFile(w http.ResponseWriter, r *http.Request, f File, body io.Reader) error {
	buf := make([]byte, 32<<10)
	n, err := io.ReadFull(body, buf)
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", f.ContentType)
	h.Set("Content-Length", strconv.FormatInt(f.Size, 10))
	kind := "attachment"
	if f.Inline && isRaster(f.ContentType) {
		kind = "inline"
	}
	h.Set("Content-Disposition", ContentDisposition(kind, f.Name))
	h["Content-Security-Policy"] = fileCSP
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "private, no-store")
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return nil
	}
	if _, err := w.Write(buf[:n]); err != nil {
		return &StreamError{err}
	}
	if _, err := io.CopyBuffer(&deadlineWriter{w: w, rc: http.NewResponseController(w)}, body, buf); err != nil {
		return &StreamError{err}
	}
	return nil
}

// deadlineWriter extends the connection's deadlines before each write, so
// that a large download on a slow line is not cut by the server's
// whole-response timeout, while a stalled client still is.
type deadlineWriter struct {
	w  io.Writer
	rc *http.ResponseController
}

func (d *deadlineWriter) Write(p []byte) (int, error) {
	if err := extendDeadlines(d.rc); err != nil {
		return 0, err
	}
	return d.w.Write(p)
}

func isRaster(ct string) bool {
	switch ct {
	case "image/png", "image/jpeg", "image/gif", "image/webp":
		return true
	}
	return false
}

// ContentDisposition is a Content-Disposition value of kind (attachment or
// inline) naming the file as RFC 6266 says: an ASCII fallback in filename
// for old clients and the exact name, UTF-8 and percent-encoded, in
// filename*. Quotes, backslashes, control characters and path separators
// never reach the header.
func ContentDisposition(kind, name string) string {
	var ascii, ext strings.Builder
	for _, r := range name {
		switch {
		case r < 0x20 || r == 0x7f || r == '/' || r == '\\':
			continue
		case r > 0x7e || r == '"' || r == '%':
			ascii.WriteByte('_')
		default:
			ascii.WriteRune(r)
		}
	}
	for _, b := range []byte(name) {
		if b < 0x20 || b == 0x7f || b == '/' || b == '\\' {
			continue
		}
		if isAttrChar(b) {
			ext.WriteByte(b)
		} else {
			fmt.Fprintf(&ext, "%%%02X", b)
		}
	}
	if ascii.Len() == 0 {
		return kind
	}
	return kind + `; filename="` + ascii.String() + `"; filename*=UTF-8''` + ext.String()
}

// isAttrChar: RFC 5987's attr-char, the bytes a filename* value may hold
// unencoded.
func isAttrChar(b byte) bool {
	switch {
	case b >= 'a' && b <= 'z', b >= 'A' && b <= 'Z', b >= '0' && b <= '9':
		return true
	}
	return strings.IndexByte("!#$&+-.^_`|~", b) >= 0
}

// Aborted reports whether err is a *StreamError, after which the handler
// must drop the connection.
func Aborted(err error) bool {
	var se *StreamError
	return errors.As(err, &se)
}
