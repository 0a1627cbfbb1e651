package httpx

import (
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestWriteJSON(t *testing.T) {
	w := httptest.NewRecorder()
	WriteJSON(w, http.StatusCreated, map[string]any{"id": 7, "note": "<b>&"})
	if w.Code != http.StatusCreated {
		t.Errorf("status %d, want 201", w.Code)
	}
	if got := w.Header().Get("Content-Type"); got != "application/json" {
		t.Errorf("Content-Type %q", got)
	}
	if got := w.Header().Get("Cache-Control"); got != "no-store" {
		t.Errorf("Cache-Control %q", got)
	}
	if got, want := w.Body.String(), `{"id":7,"note":"\u003cb\u003e\u0026"}`+"\n"; got != want {
		t.Errorf("body %q, want %q", got, want)
	}
}

func TestWriteJSONPanicsBeforeWriting(t *testing.T) {
	w := httptest.NewRecorder()
	defer func() {
		err, _ := recover().(error)
		if err == nil {
			t.Fatal("no panic for a value JSON cannot encode")
		}
		if w.Body.Len() != 0 || len(w.Header()) != 0 {
			t.Errorf("wrote %q with headers %v before panicking", w.Body.String(), w.Header())
		}
	}()
	WriteJSON(w, http.StatusOK, map[string]float64{"x": math.NaN()})
}

func TestPathID(t *testing.T) {
	for _, tc := range []struct {
		value string
		want  int64
		ok    bool
	}{
		{"1", 1, true},
		{"9223372036854775807", 9223372036854775807, true},
		{"0", 0, false},
		{"-3", 0, false},
		{"12abc", 0, false},
		{"9223372036854775808", 0, false},
		{"", 0, false},
	} {
		r := httptest.NewRequest("GET", "/x", nil)
		r.SetPathValue("id", tc.value)
		got, err := PathID(r, "id")
		if got != tc.want || (err == nil) != tc.ok || (err != nil && !errors.Is(err, ErrNotFound)) {
			t.Errorf("PathID(%q) = %d, %v; want %d, ok %v", tc.value, got, err, tc.want, tc.ok)
		}
	}
}
