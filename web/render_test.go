package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"safedesk/store"
)

// TestServeErrorStatus checks the status each kind of error gets on an HTML
// page, that the page never shows the error's text, and that only server
// faults are logged.
func TestServeErrorStatus(t *testing.T) {
	env := newTestServer(t)
	invalid := &store.ValidationError{Fields: map[string]string{"subject": "Enter a subject."}}
	for _, tc := range []struct {
		name string
		err  error
		want int
	}{
		{"validation", invalid, http.StatusUnprocessableEntity},
		{"not found", store.ErrNotFound, http.StatusNotFound},
		{"conflict", store.ErrConflict, http.StatusConflict},
		{"too large", errTooLarge, http.StatusRequestEntityTooLarge},
		{"server fault", errors.New("disk fault"), http.StatusInternalServerError},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Wrapped as handlers do, with a mark to look for in the page
			// and the log.
			mark := "mark-" + strings.ReplaceAll(tc.name, " ", "-")
			rec := httptest.NewRecorder()
			env.srv.serveError(rec, httptest.NewRequest("POST", "/tickets/new", nil), fmt.Errorf("web: %s: %w", mark, tc.err))
			if rec.Code != tc.want {
				t.Errorf("status %d, want %d", rec.Code, tc.want)
			}
			if strings.Contains(rec.Body.String(), mark) {
				t.Errorf("the page shows the error:\n%s", rec.Body)
			}
			if logged := strings.Contains(env.logs.String(), mark); logged != (tc.want >= 500) {
				t.Errorf("logged: %v, for status %d", logged, tc.want)
			}
		})
	}
}
