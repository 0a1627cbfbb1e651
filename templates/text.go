package templates

import (
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Duration says d in words, for people: a whole number of days, hours or
// minutes when d is one ("1 hour", "90 days"), else rounded up to seconds
// under 90 seconds, minutes under 90 minutes, hours under two days, and
// days beyond ("45 seconds", "3 minutes", "5 hours"). It never says less
// than "1 second", so a wait is never announced as none.
func Duration(d time.Duration) string {
	const minute, hour, day = 60, 60 * 60, 24 * 60 * 60
	secs := max(1, int64((d+time.Second-1)/time.Second))
	ceil := func(unit int64) int64 { return (secs + unit - 1) / unit }
	switch {
	case secs%day == 0:
		return plural(secs/day, "day")
	case secs%hour == 0:
		return plural(secs/hour, "hour")
	case secs%minute == 0:
		return plural(secs/minute, "minute")
	case secs < 90:
		return plural(secs, "second")
	case secs < 90*minute:
		return plural(ceil(minute), "minute")
	case secs < 2*day:
		return plural(ceil(hour), "hour")
	}
	return plural(ceil(day), "day")
}

// plural says n units: "1 day", "3 days".
func plural(n int64, unit string) string { return Count(n, unit, unit+"s") }

// Count is n with its noun, one or many: "1 entry", "3 entries".
func Count(n int64, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.FormatInt(n, 10) + " " + many
}

// Clip shortens s for display on one line: runs of white space become one
// space, and text beyond n characters is cut, on a character boundary, and
// ends in "…" (so the result has at most n characters).
func Clip(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return strings.TrimSpace(string(r[:max(0, n-1)])) + "…"
}
