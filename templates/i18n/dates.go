package i18n

import (
	"strconv"
	"time"
)

// months are each language's abbreviated month names, January first.
var months = map[string][12]string{
	"en": {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"},
	"de": {"Jan.", "Feb.", "März", "Apr.", "Mai", "Juni", "Juli", "Aug.", "Sept.", "Okt.", "Nov.", "Dez."},
	"fr": {"janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc."},
	"es": {"ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sept", "oct", "nov", "dic"},
	"nl": {"jan.", "feb.", "mrt.", "apr.", "mei", "jun.", "jul.", "aug.", "sep.", "okt.", "nov.", "dec."},
}

// Date is t's day in the business's zone, day before month in every
// language: "6 Dec 2026", "6. Dez. 2026", "6 déc. 2026".
func (l Locale) Date(t time.Time) string {
	t = t.In(l.Zone)
	day := strconv.Itoa(t.Day())
	if l.Lang == "de" {
		day += "."
	}
	return day + " " + months[l.Lang][t.Month()-1] + " " + strconv.Itoa(t.Year())
}

// Clock is t's time of day in the business's zone: 24-hour in German,
// French, Spanish and Dutch ("13:05"), 12-hour in English ("1:05 pm").
func (l Locale) Clock(t time.Time) string {
	t = t.In(l.Zone)
	if l.Lang == "en" {
		return t.Format("3:04 pm")
	}
	return t.Format("15:04")
}

// DateTime is t's date and time of day in the business's zone, with the
// zone's abbreviation: "6 Dec 2026, 1:05 pm CET".
func (l Locale) DateTime(t time.Time) string {
	return l.Date(t) + ", " + l.Clock(t) + " " + l.ZoneName(t)
}

// ZoneName is the business zone's abbreviation at t ("CET", "UTC"), or
// its offset ("+03") where the zone has no abbreviation.
func (l Locale) ZoneName(t time.Time) string {
	name, _ := t.In(l.Zone).Zone()
	return name
}

// ISO is t in the business's zone as RFC 3339, for a <time datetime>.
func (l Locale) ISO(t time.Time) string { return t.In(l.Zone).Format(time.RFC3339) }

// Duration says d in words, as templates.Duration does in English: a
// whole number of days, hours or minutes when d is one ("1 Stunde",
// "90 jours"), else rounded up to seconds under 90 seconds, minutes under
// 90 minutes, hours under two days, and days beyond. It never says less
// than one second.
func (l Locale) Duration(d time.Duration) string {
	const minute, hour, day = 60, 60 * 60, 24 * 60 * 60
	secs := max(1, int64((d+time.Second-1)/time.Second))
	ceil := func(unit int64) int { return int((secs + unit - 1) / unit) }
	switch {
	case secs%day == 0:
		return l.N(DaysCount, int(secs/day))
	case secs%hour == 0:
		return l.N(HoursCount, int(secs/hour))
	case secs%minute == 0:
		return l.N(MinutesCount, int(secs/minute))
	case secs < 90:
		return l.N(SecondsCount, int(secs))
	case secs < 90*minute:
		return l.N(MinutesCount, ceil(minute))
	case secs < 2*day:
		return l.N(HoursCount, ceil(hour))
	}
	return l.N(DaysCount, ceil(day))
}
