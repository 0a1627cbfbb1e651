package templates

import (
	"testing"
	"time"
)

func TestDuration(t *testing.T) {
	for _, tt := range []struct {
		in   time.Duration
		want string
	}{
		{0, "1 second"},
		{300 * time.Millisecond, "1 second"},
		{45 * time.Second, "45 seconds"},
		{89*time.Second + time.Millisecond, "2 minutes"},
		{89 * time.Second, "89 seconds"},
		{time.Minute, "1 minute"},
		{3 * time.Minute, "3 minutes"},
		{90*time.Second + time.Millisecond, "2 minutes"},
		{61 * time.Minute, "61 minutes"},
		{time.Hour, "1 hour"},
		{89*time.Minute + time.Second, "90 minutes"},
		{95 * time.Minute, "95 minutes"},
		{91*time.Minute + time.Second, "2 hours"},
		{24 * time.Hour, "1 day"},
		{47*time.Hour + time.Second, "48 hours"},
		{49*time.Hour + time.Second, "3 days"},
		{90 * 24 * time.Hour, "90 days"},
	} {
		if got := Duration(tt.in); got != tt.want {
			t.Errorf("Duration(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestClip(t *testing.T) {
	for _, tt := range []struct {
		in   string
		n    int
		want string
	}{
		{"short", 10, "short"},
		{"  two\n\tlines  ", 20, "two lines"},
		{"exactly ten", 11, "exactly ten"},
		{"a longer sentence here", 10, "a longer…"},
		{"größere Äpfel", 5, "größ…"},
		{"/admin/\u00e9t\u00e9", 8, "/admin/…"},
	} {
		if got := Clip(tt.in, tt.n); got != tt.want {
			t.Errorf("Clip(%q, %d) = %q, want %q", tt.in, tt.n, got, tt.want)
		}
	}
}

func TestCount(t *testing.T) {
	for _, tt := range []struct {
		n    int64
		want string
	}{
		{0, "0 entries"}, {1, "1 entry"}, {2, "2 entries"}, {1000, "1000 entries"},
	} {
		if got := Count(tt.n, "entry", "entries"); got != tt.want {
			t.Errorf("Count(%d) = %q, want %q", tt.n, got, tt.want)
		}
	}
}
