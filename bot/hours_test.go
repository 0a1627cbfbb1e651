package bot

import (
	"testing"
	"time"
)

// TestHoursAddAcrossWeekend: business time stops at closing time, skips the
// weekend and the night, and counts in the business's own time zone, also
// across a daylight-saving change.
func TestHoursAddAcrossWeekend(t *testing.T) {
	h, err := ParseHours("Mon-Fri 09:00-17:00 Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	berlin, _ := time.LoadLocation("Europe/Berlin")
	at := func(month time.Month, day, hour, min int) time.Time {
		return time.Date(2026, month, day, hour, min, 0, 0, berlin)
	}
	for _, tt := range []struct {
		name string
		from time.Time
		add  time.Duration
		want time.Time
	}{
		{"within the day", at(3, 2, 10, 0), 2 * time.Hour, at(3, 2, 12, 0)},
		{"up to closing time", at(3, 2, 15, 0), 2 * time.Hour, at(3, 2, 17, 0)},
		{"over the night", at(3, 2, 16, 0), 2 * time.Hour, at(3, 3, 10, 0)},
		{"Friday afternoon to Monday", at(3, 6, 16, 0), 2 * time.Hour, at(3, 9, 10, 0)},
		{"from Saturday", at(3, 7, 11, 0), time.Hour, at(3, 9, 10, 0)},
		{"Friday evening, a whole day", at(3, 6, 20, 0), 8 * time.Hour, at(3, 9, 17, 0)},
		{"a week of business time", at(3, 2, 9, 0), 40 * time.Hour, at(3, 6, 17, 0)},
		{"over the spring change", at(3, 27, 16, 0), 2 * time.Hour, at(3, 30, 10, 0)},
		{"nothing from a closed hour", at(3, 7, 11, 0), 0, at(3, 9, 9, 0)},
	} {
		if got := h.Add(tt.from, tt.add); !got.Equal(tt.want) {
			t.Errorf("%s: %s + %s = %s, want %s", tt.name, tt.from, tt.add, got.In(berlin), tt.want)
		}
	}
	always, _ := ParseHours("")
	from := at(3, 7, 3, 0)
	if got := always.Add(from, 5*time.Hour); !got.Equal(from.Add(5 * time.Hour)) {
		t.Errorf("no hours: %s", got)
	}
	overlapping, _ := ParseHours("Mon 09:00-12:00, Mon 11:00-13:00 UTC")
	mon := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	if got := overlapping.Add(mon, 5*time.Hour); !got.Equal(time.Date(2026, 3, 9, 10, 0, 0, 0, time.UTC)) {
		t.Errorf("overlapping spans counted twice: %s", got)
	}
}

// TestHoursInBusinessZone: hours that name no zone count in the business's
// (--timezone); hours that name one keep theirs.
func TestHoursInBusinessZone(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	h, err := ParseHoursIn("Mon-Fri 09:00-17:00", berlin)
	if err != nil {
		t.Fatal(err)
	}
	// Monday 7 December 2026, 08:30 UTC is 09:30 in Berlin.
	if at := time.Date(2026, 12, 7, 8, 30, 0, 0, time.UTC); !h.Open(at) {
		t.Errorf("closed at %v: the hours did not count in Berlin's zone", at)
	}
	if at := time.Date(2026, 12, 7, 16, 30, 0, 0, time.UTC); h.Open(at) {
		t.Errorf("open at %v (17:30 in Berlin)", at)
	}
	own, err := ParseHoursIn("Mon-Fri 09:00-17:00 UTC", berlin)
	if err != nil {
		t.Fatal(err)
	}
	if at := time.Date(2026, 12, 7, 16, 30, 0, 0, time.UTC); !own.Open(at) {
		t.Errorf("hours naming UTC closed at %v", at)
	}
}
