package templates

import (
	"strings"
	"testing"
	"time"

	"safedesk/store"
)

func TestCharts(t *testing.T) {
	now := time.Date(2026, 3, 2, 12, 30, 0, 0, time.UTC)
	minutes := map[int64]store.TrafficMinute{}
	for m := now.Add(-3*time.Hour).Unix() / 60; m <= now.Unix()/60; m++ {
		minutes[m] = store.TrafficMinute{Minute: m, Requests: 120, ClientErrors: 6, Limited: 1}
	}
	c := trafficChart(now, minutes)
	if len(c.Paths) != 3 || !strings.HasPrefix(c.Paths[0].D, "M") || !strings.HasSuffix(c.Paths[0].D, "Z") {
		t.Fatalf("paths %+v", c.Paths)
	}
	var top string
	for _, l := range c.Labels {
		if l.Anchor == "end" && l.Text != "now" {
			top = l.Text // the last y label is the top of the axis
		}
	}
	if top != "200" {
		t.Errorf("y axis top %q, want 200 for 120 requests a minute", top)
	}
	r := refusalChart(now, minutes)
	if len(r.Bars) != 4 || r.Legend[0].Total != 181 {
		t.Errorf("refusals: %d bars, legend %+v; want 4 hours with 181 refusals", len(r.Bars), r.Legend)
	}
	counts := []store.EventCount{}
	for i, k := range []string{"a", "b", "c", "d", "e", "f", "g"} {
		counts = append(counts, store.EventCount{Bucket: now.Truncate(time.Hour).UnixNano(), Kind: k, N: int64(10 - i)})
	}
	e := eventChart(now, counts)
	if len(e.Legend) != 6 || e.Legend[5].Label != "other kinds" || e.Legend[5].Total != 5+4 {
		t.Errorf("legend %+v: want five kinds and the other two together", e.Legend)
	}
	if got := SecurityCharts(now, minutes, counts); len(got) != 3 || got[0].ID != "chart-traffic" || got[1].ID != "chart-refused" || got[2].ID != "chart-events" {
		t.Errorf("SecurityCharts: %d charts", len(got))
	}
	for _, tt := range []struct {
		in   float64
		want float64
	}{{0, 1}, {0.3, 1}, {7, 10}, {11, 20}, {120, 200}, {4999, 5000}, {5001, 10000}} {
		if got := niceCeil(tt.in); got != tt.want {
			t.Errorf("niceCeil(%v) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestShortCount(t *testing.T) {
	for _, tt := range []struct {
		in   float64
		want string
	}{{0, "0"}, {0.44, "0.4"}, {12, "12"}, {12.6, "13"}, {3456, "3.5k"}, {45678, "46k"}, {2_040_000, "2M"}} {
		if got := ShortCount(tt.in); got != tt.want {
			t.Errorf("ShortCount(%v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
