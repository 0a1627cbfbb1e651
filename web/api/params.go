package api

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"safedesk/store"
)

// maxQueryLen bounds the q parameter of searches, in characters.
const maxQueryLen = 200

// queryText reads the search parameter q: plain text of at most
// maxQueryLen characters.
func queryText(r *http.Request) (string, error) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	if !utf8.ValidString(q) || utf8.RuneCountInString(q) > maxQueryLen || strings.ContainsRune(q, 0) {
		return "", &store.ValidationError{Fields: map[string]string{"q": "Use at most 200 characters of text."}}
	}
	return q, nil
}

// queryInt reads an optional non-negative integer query parameter.
func queryInt(r *http.Request, name string, def int64) (int64, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		return 0, &store.ValidationError{Fields: map[string]string{name: "Use a whole number of 0 or more."}}
	}
	return n, nil
}

// queryPage reads where a page starts, the integer parameter cursor (after
// or before an id; 0 when absent), and its size, limit: 1 to max, def when
// absent.
func queryPage(r *http.Request, cursor string, def, max int) (at int64, limit int, err error) {
	if at, err = queryInt(r, cursor, 0); err == nil {
		limit, err = queryLimit(r, def, max)
	}
	return at, limit, err
}

// queryLimit reads the limit parameter: 1 to max, def when absent.
func queryLimit(r *http.Request, def, max int) (int, error) {
	n, err := queryInt(r, "limit", int64(def))
	if err != nil || n < 1 || n > int64(max) {
		return 0, &store.ValidationError{Fields: map[string]string{"limit": fmt.Sprintf("Use a number from 1 to %d.", max)}}
	}
	return int(n), nil
}

// jsonTime formats a time for JSON; the zero time is null.
func jsonTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(time.RFC3339Nano)
}
