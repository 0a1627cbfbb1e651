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
