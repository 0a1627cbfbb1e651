package templates

import (
	"math"
	"sort"
	"strconv"
	"strings"
	"time"

	"safedesk/store"
)

// The dashboard's charts are drawn here, on the server, as SVG geometry:
// no chart script runs in the browser, and the colours come from classes
// in admin.css, so the CSP's ban on inline styles holds.

// SVGChart is a chart drawn by the server; coordinates are in ViewBox units
// and already formatted, colours come from the classes.
type SVGChart struct {
	ID      string
	Title   string
	Summary string // the chart in words, for screen readers
	ViewBox string
	Grid    []SVGLine
	Paths   []SVGPath
	Bars    []SVGRect
	Labels  []SVGText
	Legend  []SVGLegend
}

// SVGLine is an axis or grid line.
type SVGLine struct{ X1, Y1, X2, Y2, Class string }

// SVGPath is a line or an area.
type SVGPath struct{ D, Class string }

// SVGRect is a bar with its tooltip.
type SVGRect struct{ X, Y, W, H, Class, Title string }

// SVGText is an axis label; Anchor is start, middle or end.
type SVGText struct{ X, Y, Text, Anchor string }

// SVGLegend names a series with its total.
type SVGLegend struct {
	Class string
	Label string
	Total int64
}

// Chart geometry in viewBox units.
const (
	chartW      = 720
	chartH      = 170
	chartLeft   = 48
	chartRight  = 8
	chartTop    = 12
	chartBottom = 24
	plotW       = chartW - chartLeft - chartRight
	plotH       = chartH - chartTop - chartBottom
)

// ChartWindow is the span every chart covers.
const ChartWindow = 24 * time.Hour

// SecurityCharts draws the security dashboard's charts for the ChartWindow
// up to now: traffic per minute, refusals per hour and security events per
// hour by kind.
func SecurityCharts(now time.Time, minutes map[int64]store.TrafficMinute, counts []store.EventCount) []SVGChart {
	return []SVGChart{trafficChart(now, minutes), refusalChart(now, minutes), eventChart(now, counts)}
}

// newChart returns an empty chart with its y axis from 0 to top.
func newChart(id, title string, top float64, unit string) SVGChart {
	c := SVGChart{ID: id, Title: title, ViewBox: "0 0 " + strconv.Itoa(chartW) + " " + strconv.Itoa(chartH)}
	for _, f := range []float64{0, 0.5, 1} {
		y := chartTop + plotH*(1-f)
		c.Grid = append(c.Grid, SVGLine{X1: svgNum(chartLeft), Y1: svgNum(y), X2: svgNum(chartW - chartRight), Y2: svgNum(y), Class: "grid"})
		c.Labels = append(c.Labels, SVGText{X: svgNum(chartLeft - 6), Y: svgNum(y + 4), Text: ShortCount(top*f) + unit, Anchor: "end"})
	}
	return c
}

// timeAxis labels every six hours of the window ending at end.
func timeAxis(c *SVGChart, end time.Time) {
	start := end.Add(-ChartWindow)
	for t := start.Truncate(6 * time.Hour).Add(6 * time.Hour); !t.After(end); t = t.Add(6 * time.Hour) {
		x := chartLeft + plotW*float64(t.Sub(start))/float64(ChartWindow)
		c.Grid = append(c.Grid, SVGLine{X1: svgNum(x), Y1: svgNum(chartTop), X2: svgNum(x), Y2: svgNum(chartTop + plotH), Class: "tick"})
		c.Labels = append(c.Labels, SVGText{X: svgNum(x), Y: svgNum(chartH - 6), Text: t.UTC().Format("15:04"), Anchor: "middle"})
	}
	c.Labels = append(c.Labels, SVGText{X: svgNum(chartW - chartRight), Y: svgNum(chartH - 6), Text: "now", Anchor: "end"})
}

// trafficChart draws requests and errors per minute, averaged over five
// minutes, for the 24 hours up to now.
func trafficChart(now time.Time, minutes map[int64]store.TrafficMinute) SVGChart {
	const per = 5
	const n = int(ChartWindow/time.Minute) / per
	last := now.Unix() / 60
	first := last - int64(n*per) + 1
	req, errs := make([]float64, n), make([]float64, n)
	var total, totalErr int64
	for m, tm := range minutes {
		if m < first || m > last {
			continue
		}
		i := int(m-first) / per
		req[i] += float64(tm.Requests) / per
		errs[i] += float64(tm.ClientErrors+tm.ServerErrors) / per
		total += tm.Requests
		totalErr += tm.ClientErrors + tm.ServerErrors
	}
	top := niceCeil(max(maxOf(req), maxOf(errs)))
	c := newChart("chart-traffic", "Requests per minute", top, "")
	timeAxis(&c, now)
	x := func(i int) float64 { return chartLeft + plotW*(float64(i)+0.5)/float64(n) }
	y := func(v float64) float64 { return chartTop + plotH*(1-v/top) }
	c.Paths = append(c.Paths,
		SVGPath{D: linePath(req, x, y, chartTop+plotH), Class: "area"},
		SVGPath{D: linePath(req, x, y, -1), Class: "line"},
		SVGPath{D: linePath(errs, x, y, -1), Class: "line err"},
	)
	c.Legend = []SVGLegend{{Class: "s-req", Label: "requests", Total: total}, {Class: "s-err", Label: "errors (4xx, 5xx)", Total: totalErr}}
	c.Summary = strconv.FormatInt(total, 10) + " requests and " + strconv.FormatInt(totalErr, 10) + " errors in the last 24 hours."
	return c
}

// linePath joins the points (x(i), y(v[i])); with base ≥ 0 it closes the
// shape down to the baseline, for an area.
func linePath(v []float64, x func(int) float64, y func(float64) float64, base float64) string {
	var b strings.Builder
	for i, val := range v {
		if i == 0 {
			if base >= 0 {
				b.WriteString("M" + svgNum(x(0)) + "," + svgNum(base) + "L")
			} else {
				b.WriteString("M")
			}
		} else {
			b.WriteString("L")
		}
		b.WriteString(svgNum(x(i)) + "," + svgNum(y(val)))
	}
	if base >= 0 && len(v) > 0 {
		b.WriteString("L" + svgNum(x(len(v)-1)) + "," + svgNum(base) + "Z")
	}
	return b.String()
}

// stackedHours draws one stacked bar per hour of the window: series[k][h]
// is the height of series k in hour h.
func stackedHours(id, title string, now time.Time, names []string, classes []string, series [][]float64) SVGChart {
	const hours = int(ChartWindow / time.Hour)
	var top float64
	for h := range hours {
		var sum float64
		for k := range series {
			sum += series[k][h]
		}
		top = max(top, sum)
	}
	top = niceCeil(top)
	c := newChart(id, title, top, "")
	timeAxis(&c, now)
	slot := float64(plotW) / float64(hours)
	start := now.Truncate(time.Hour).Add(-time.Duration(hours-1) * time.Hour)
	for h := range hours {
		y := float64(chartTop + plotH)
		for k := range series {
			v := series[k][h]
			if v <= 0 {
				continue
			}
			hgt := plotH * v / top
			y -= hgt
			at := start.Add(time.Duration(h) * time.Hour).UTC()
			c.Bars = append(c.Bars, SVGRect{
				X: svgNum(chartLeft + slot*float64(h) + 1), Y: svgNum(y), W: svgNum(slot - 2), H: svgNum(hgt), Class: "bar " + classes[k],
				Title: at.Format("15:04") + "–" + at.Add(time.Hour).Format("15:04") + " UTC: " + ShortCount(v) + " " + names[k],
			})
		}
	}
	for k := range series {
		var total float64
		for _, v := range series[k] {
			total += v
		}
		c.Legend = append(c.Legend, SVGLegend{Class: classes[k], Label: names[k], Total: int64(total)})
	}
	return c
}

// hourIndex is the hour of the window t falls in, or -1.
func hourIndex(now, t time.Time) int {
	const hours = int(ChartWindow / time.Hour)
	start := now.Truncate(time.Hour).Add(-time.Duration(hours-1) * time.Hour)
	if t.Before(start) || t.After(now) {
		return -1
	}
	return min(int(t.Sub(start)/time.Hour), hours-1)
}

// refusalChart draws the guard's refusals per hour.
func refusalChart(now time.Time, minutes map[int64]store.TrafficMinute) SVGChart {
	const hours = int(ChartWindow / time.Hour)
	limited, blocked := make([]float64, hours), make([]float64, hours)
	for m, tm := range minutes {
		if h := hourIndex(now, time.Unix(m*60, 0)); h >= 0 {
			limited[h] += float64(tm.Limited)
			blocked[h] += float64(tm.Blocked)
		}
	}
	c := stackedHours("chart-refused", "Refused requests per hour", now,
		[]string{"rate limited (429)", "blocked (403)"}, []string{"s-warn", "s-err"}, [][]float64{limited, blocked})
	c.Summary = "Requests refused by rate limits and by blocks, per hour, over the last 24 hours."
	return c
}

// eventChart draws security events per hour by kind: the five commonest
// kinds and the rest together.
func eventChart(now time.Time, counts []store.EventCount) SVGChart {
	const hours = int(ChartWindow / time.Hour)
	totals := map[string]int64{}
	for _, c := range counts {
		totals[c.Kind] += c.N
	}
	kinds := make([]string, 0, len(totals))
	for k := range totals {
		kinds = append(kinds, k)
	}
	sort.Slice(kinds, func(i, j int) bool {
		if totals[kinds[i]] != totals[kinds[j]] {
			return totals[kinds[i]] > totals[kinds[j]]
		}
		return kinds[i] < kinds[j]
	})
	const shown = 5
	index := map[string]int{}
	var names, classes []string
	for i, k := range kinds {
		if i == shown {
			names, classes = append(names, "other kinds"), append(classes, "s5")
			break
		}
		index[k] = i
		names, classes = append(names, k), append(classes, "s"+strconv.Itoa(i))
	}
	series := make([][]float64, len(names))
	for k := range series {
		series[k] = make([]float64, hours)
	}
	for _, c := range counts {
		h := hourIndex(now, time.Unix(0, c.Bucket))
		if h < 0 {
			continue
		}
		k, ok := index[c.Kind]
		if !ok {
			k = shown
		}
		series[k][h] += float64(c.N)
	}
	c := stackedHours("chart-events", "Security events per hour", now, names, classes, series)
	c.Summary = "Security events per hour by kind over the last 24 hours."
	if len(kinds) == 0 {
		c.Summary = "No security events in the last 24 hours."
	}
	return c
}

// niceCeil rounds v up to 1, 2 or 5 times a power of ten (at least 1).
func niceCeil(v float64) float64 {
	if v <= 1 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if v <= m*p {
			return m * p
		}
	}
	return 10 * p
}

// maxOf is the largest of v, or 0.
func maxOf(v []float64) float64 {
	m := 0.0
	for _, x := range v {
		m = max(m, x)
	}
	return m
}

// svgNum formats a coordinate with one decimal at most.
func svgNum(v float64) string {
	return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64)
}

// ShortCount formats a count or rate for a label: 0.4, 12, 3.5k, 2M.
func ShortCount(v float64) string {
	switch {
	case v >= 1e6:
		return strconv.FormatFloat(math.Round(v/1e5)/10, 'f', -1, 64) + "M"
	case v >= 1e4:
		return strconv.FormatFloat(math.Round(v/1e3), 'f', -1, 64) + "k"
	case v >= 1e3:
		return strconv.FormatFloat(math.Round(v/1e2)/10, 'f', -1, 64) + "k"
	case v >= 10 || v == math.Trunc(v):
		return strconv.FormatFloat(math.Round(v), 'f', -1, 64)
	}
	return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64)
}
