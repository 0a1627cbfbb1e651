package templates

import (
	"strconv"
	"time"

	"safedesk/store"
)

// The owner dashboard's charts, drawn like the security dashboard's
// (chart.go): SVG geometry on the server, colours from admin.css classes.

// channelClasses colour the channels in a fixed order (store.TicketChannels).
var channelClasses = []string{"s0", "s1", "s3", "s4"}

// VolumeChart draws the tickets created per day of st's window, stacked by
// channel.
func VolumeChart(st store.TeamStats) SVGChart {
	var top float64
	for d := range st.Days {
		var sum float64
		for _, ch := range store.TicketChannels {
			sum += float64(st.Volume[ch][d])
		}
		top = max(top, sum)
	}
	top = niceCeil(top)
	c := newChart("chart-volume", "New tickets per day, by channel", top, "")
	slot := float64(plotW) / float64(st.Days)
	var total int64
	for d := range st.Days {
		y := float64(chartTop + plotH)
		day := st.From.AddDate(0, 0, d)
		for k, ch := range store.TicketChannels {
			v := float64(st.Volume[ch][d])
			if v == 0 {
				continue
			}
			hgt := plotH * v / top
			y -= hgt
			total += int64(v)
			c.Bars = append(c.Bars, SVGRect{X: svgNum(chartLeft + slot*float64(d) + slot*0.1), Y: svgNum(y), W: svgNum(slot * 0.8), H: svgNum(hgt),
				Class: "bar " + channelClasses[k], Title: day.Format("Mon 2 Jan") + ": " + ShortCount(v) + " by " + ch})
		}
	}
	every := max(1, st.Days/6)
	for d := 0; d < st.Days; d += every {
		x := chartLeft + slot*(float64(d)+0.5)
		c.Labels = append(c.Labels, SVGText{X: svgNum(x), Y: svgNum(chartH - 6), Text: st.From.AddDate(0, 0, d).Format("2 Jan"), Anchor: "middle"})
	}
	for k, ch := range store.TicketChannels {
		c.Legend = append(c.Legend, SVGLegend{Class: channelClasses[k], Label: ch, Total: int64(sum(st.Volume[ch]))})
	}
	c.Summary = strconv.FormatInt(total, 10) + " new tickets in the last " + strconv.Itoa(st.Days) + " days, per day and channel; the table beside gives the totals."
	return c
}

// BacklogLabels name the backlog's age groups (store.BacklogAges).
var BacklogLabels = []string{"under a day", "1–3 days", "3–7 days", "7–30 days", "over 30 days"}

// BacklogChart draws the open and pending tickets by age.
func BacklogChart(st store.TeamStats) SVGChart {
	values := make([]float64, len(st.Backlog))
	for i, n := range st.Backlog {
		values[i] = float64(n)
	}
	c := barChart("chart-backlog", "Backlog by age (open and pending now)", BacklogLabels, values, "", "tickets")
	c.Summary = strconv.Itoa(sum(st.Backlog)) + " tickets open or pending, grouped by age; the table beside gives the numbers."
	return c
}

// AgentChart draws each assignee's median first response and resolution,
// in hours.
func AgentChart(names []string, first, resolution []time.Duration) SVGChart {
	n := len(names)
	values := make([]float64, 0, 2*n)
	for i := range n {
		values = append(values, first[i].Hours(), resolution[i].Hours())
	}
	top := niceCeil(maxOf(values))
	c := newChart("chart-agents", "Median first response (left bar) and resolution (right bar) per agent", top, " h")
	slot := float64(plotW) / float64(max(n, 1))
	for i, name := range names {
		for k, v := range []float64{first[i].Hours(), resolution[i].Hours()} {
			hgt := plotH * v / top
			what := []string{"first response", "resolution"}[k]
			c.Bars = append(c.Bars, SVGRect{X: svgNum(chartLeft + slot*float64(i) + slot*(0.15+0.35*float64(k))), Y: svgNum(chartTop + plotH - hgt),
				W: svgNum(slot * 0.33), H: svgNum(hgt), Class: "bar " + []string{"s0", "s3"}[k],
				Title: name + ": median " + what + " " + Duration(time.Duration(v*float64(time.Hour)).Round(time.Minute))})
		}
		c.Labels = append(c.Labels, SVGText{X: svgNum(chartLeft + slot*(float64(i)+0.5)), Y: svgNum(chartH - 6), Text: Clip(name, 18), Anchor: "middle"})
	}
	c.Summary = "Median time to first response and to resolution for each agent's tickets; the table beside gives the figures."
	return c
}

// barChart draws one bar per label.
func barChart(id, title string, labels []string, values []float64, unit, what string) SVGChart {
	top := niceCeil(maxOf(values))
	c := newChart(id, title, top, unit)
	slot := float64(plotW) / float64(len(values))
	for i, v := range values {
		hgt := plotH * v / top
		c.Bars = append(c.Bars, SVGRect{X: svgNum(chartLeft + slot*float64(i) + slot*0.15), Y: svgNum(chartTop + plotH - hgt), W: svgNum(slot * 0.7),
			H: svgNum(hgt), Class: "bar s0", Title: labels[i] + ": " + ShortCount(v) + " " + what})
		c.Labels = append(c.Labels, SVGText{X: svgNum(chartLeft + slot*(float64(i)+0.5)), Y: svgNum(chartH - 6), Text: labels[i], Anchor: "middle"})
	}
	return c
}

func sum(v []int) int {
	n := 0
	for _, x := range v {
		n += x
	}
	return n
}
