// Package httpx holds the few HTTP helpers that web and its public API
// (web/api) share: the one JSON writer, reading an id from a path, and the
// errors that either may raise and the other must recognise.
package httpx

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

var (
	// ErrNotFound is a request for something that does not exist; a
	// malformed id in a path is one too.
	ErrNotFound = errors.New("httpx: not found")
	// ErrCrossOrigin is a cross-site browser request refused by the
	// cross-origin protection.
	ErrCrossOrigin = errors.New("httpx: cross-origin request refused")
)

// WriteJSON writes v as JSON with status, never cached. v is always a
// value of ours (a struct or a map of plain types), so encoding fails only
// when the code is wrong: WriteJSON then panics before writing anything,
// and the server's panic recovery logs the fault and answers 500.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Errorf("httpx: encode JSON: %w", err))
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(append(b, '\n'))
}

// PathID reads the path value name as a positive integer id; anything else
// is ErrNotFound.
func PathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, ErrNotFound
	}
	return id, nil
}

// WriteTimeout is how long the server gives a response to be written,
// unless its Config says otherwise; a LongResponse gets as long for each
// chunk.
const WriteTimeout = 60 * time.Second

// longChunk is the most a LongResponse writes under one deadline.
const longChunk = 64 << 10

// LongResponse wraps w for a response that may take longer than the
// server's write timeout (a backup download, an export, the audit CSV):
// before each chunk of at most 64 KiB it moves the connection's write
// deadline to idle from now. A response that keeps moving finishes however
// long it takes; one whose client stops reading for idle is cut, as any
// response is.
func LongResponse(w http.ResponseWriter, idle time.Duration) http.ResponseWriter {
	return &longResponse{ResponseWriter: w, rc: http.NewResponseController(w), idle: idle}
}

type longResponse struct {
	http.ResponseWriter
	rc   *http.ResponseController
	idle time.Duration
}

// Write writes p in chunks, each with a fresh write deadline.
func (l *longResponse) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		// A writer without deadlines (a test recorder) has nothing to move.
		if err := l.rc.SetWriteDeadline(time.Now().Add(l.idle)); err != nil && !errors.Is(err, http.ErrNotSupported) {
			return n, err
		}
		m, err := l.ResponseWriter.Write(p[:min(len(p), longChunk)])
		n += m
		if err != nil {
			return n, err
		}
		p = p[m:]
	}
	return n, nil
}

// Unwrap gives http.ResponseController the writer underneath.
func (l *longResponse) Unwrap() http.ResponseWriter { return l.ResponseWriter }
