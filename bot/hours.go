package bot

import (
	"fmt"
	"slices"
	"strings"
	"time"
	_ "time/tzdata" // business hours name a zone; a minimal server may have no zoneinfo
)

// Hours are the business's hours, such as
// "Mon-Fri 09:00-17:00 Europe/Berlin" or
// "Mon-Thu 09:00-17:00, Fri 09:00-15:00 Europe/Amsterdam": when staff
// answer chats (outside them a hand-off becomes a ticket at once) and the
// clock that ticket due times count in (Add). The zero value (or nil) is
// always open.
type Hours struct {
	loc   *time.Location
	days  [7][]span // by time.Weekday
	text  string
	every bool
}

type span struct{ from, to int } // minutes since midnight, to > from

var weekdays = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
}

// ParseHours reads business hours: comma-separated "DAYS HH:MM-HH:MM"
// ranges, where DAYS is a day ("Sat"), a range ("Mon-Fri") or a list
// ("Mon,Wed"), followed by an IANA time zone (UTC when left out). An empty
// string or "always" means always open.
func ParseHours(s string) (*Hours, error) { return ParseHoursIn(s, time.UTC) }

// ParseHoursIn is ParseHours with zone, the business's time zone, for
// hours that name none.
func ParseHoursIn(s string, zone *time.Location) (*Hours, error) {
	if zone == nil {
		zone = time.UTC
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return &Hours{every: true, loc: zone}, nil
	}
	if strings.EqualFold(s, "always") || s == "24/7" {
		return &Hours{every: true, loc: zone, text: "always"}, nil
	}
	h := &Hours{loc: zone, text: s}
	fields := strings.Fields(strings.ReplaceAll(s, ",", " , "))
	if last := fields[len(fields)-1]; strings.Contains(last, "/") || last == "UTC" {
		loc, err := time.LoadLocation(last)
		if err != nil {
			return nil, fmt.Errorf("bot: business hours: unknown time zone %q", last)
		}
		h.loc, fields = loc, fields[:len(fields)-1]
	}
	var days []time.Weekday
	for _, f := range fields {
		switch {
		case f == ",":
		case strings.Contains(f, ":"):
			sp, err := parseSpan(f)
			if err != nil {
				return nil, err
			}
			if len(days) == 0 {
				return nil, fmt.Errorf("bot: business hours: %q has no days before it", f)
			}
			for _, d := range days {
				h.days[d] = append(h.days[d], sp)
			}
			days = nil
		default:
			ds, err := parseDays(f)
			if err != nil {
				return nil, err
			}
			days = append(days, ds...)
		}
	}
	if len(days) > 0 {
		return nil, fmt.Errorf("bot: business hours: days without times in %q", s)
	}
	for d := range h.days {
		h.days[d] = mergeSpans(h.days[d])
	}
	return h, nil
}

func parseDays(f string) ([]time.Weekday, error) {
	lower := strings.ToLower(f)
	if a, b, ok := strings.Cut(lower, "-"); ok {
		from, ok1 := weekdays[a[:min(3, len(a))]]
		to, ok2 := weekdays[b[:min(3, len(b))]]
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("bot: business hours: bad days %q (use Mon-Fri)", f)
		}
		var out []time.Weekday
		for d := from; ; d = (d + 1) % 7 {
			out = append(out, d)
			if d == to {
				return out, nil
			}
		}
	}
	d, ok := weekdays[lower[:min(3, len(lower))]]
	if !ok {
		return nil, fmt.Errorf("bot: business hours: bad day %q", f)
	}
	return []time.Weekday{d}, nil
}

func parseSpan(f string) (span, error) {
	a, b, ok := strings.Cut(f, "-")
	if !ok {
		return span{}, fmt.Errorf("bot: business hours: bad times %q (use 09:00-17:00)", f)
	}
	from, err1 := parseClock(a)
	to, err2 := parseClock(b)
	if err1 != nil || err2 != nil || to <= from {
		return span{}, fmt.Errorf("bot: business hours: bad times %q (use 09:00-17:00)", f)
	}
	return span{from, to}, nil
}

func parseClock(s string) (int, error) {
	t, err := time.Parse("15:04", s)
	if err != nil {
		if s == "24:00" {
			return 24 * 60, nil
		}
		return 0, err
	}
	return t.Hour()*60 + t.Minute(), nil
}

// Open reports whether t falls within the hours.
func (h *Hours) Open(t time.Time) bool {
	if h == nil || h.every {
		return true
	}
	lt := t.In(h.loc)
	m := lt.Hour()*60 + lt.Minute()
	for _, sp := range h.days[lt.Weekday()] {
		if m >= sp.from && m < sp.to {
			return true
		}
	}
	return false
}

// NextOpen returns when the hours next begin after t (t itself when open),
// or the zero time if they never do.
func (h *Hours) NextOpen(t time.Time) time.Time {
	if h.Open(t) {
		return t
	}
	lt := t.In(h.loc)
	for i := 0; i <= 7; i++ {
		day := time.Date(lt.Year(), lt.Month(), lt.Day()+i, 0, 0, 0, 0, h.loc)
		for _, sp := range h.days[day.Weekday()] {
			start := day.Add(time.Duration(sp.from) * time.Minute)
			if start.After(t) {
				return start
			}
		}
	}
	return time.Time{}
}

// String is the hours as written: "always" when they never close, "" when
// none were configured.
func (h *Hours) String() string {
	if h == nil {
		return ""
	}
	return h.text
}

// Always reports whether the hours never close.
func (h *Hours) Always() bool { return h == nil || h.every }

// mergeSpans sorts a day's spans and joins those that overlap or touch,
// so that no minute counts twice in Add.
func mergeSpans(sp []span) []span {
	slices.SortFunc(sp, func(a, b span) int { return a.from - b.from })
	var out []span
	for _, s := range sp {
		if n := len(out); n > 0 && s.from <= out[n-1].to {
			out[n-1].to = max(out[n-1].to, s.to)
			continue
		}
		out = append(out, s)
	}
	return out
}

// Add returns the moment when d of business time has passed since t:
// closed hours, nights and weekends do not count, and days are those of
// the hours' time zone (daylight-saving changes included). With hours that
// never close it is t.Add(d); with hours that are never open, the zero
// time.
func (h *Hours) Add(t time.Time, d time.Duration) time.Time {
	if h.Always() {
		return t.Add(d)
	}
	open := time.Duration(0)
	for _, day := range h.days {
		for _, sp := range day {
			open += time.Duration(sp.to-sp.from) * time.Minute
		}
	}
	if open == 0 {
		return time.Time{}
	}
	lt := t.In(h.loc)
	weeks := int(d/open) + 2 // whole weeks of open time, and the partial ones at both ends
	for i := 0; i <= 7*weeks; i++ {
		y, m, dd := lt.Date()
		wd := time.Date(y, m, dd+i, 12, 0, 0, 0, h.loc).Weekday()
		for _, sp := range h.days[wd] {
			start := time.Date(y, m, dd+i, sp.from/60, sp.from%60, 0, 0, h.loc)
			end := time.Date(y, m, dd+i, sp.to/60, sp.to%60, 0, 0, h.loc)
			if !end.After(t) {
				continue
			}
			if start.Before(t) {
				start = t
			}
			avail := end.Sub(start)
			if d <= avail {
				return start.Add(d)
			}
			d -= avail
		}
	}
	return time.Time{}
}
