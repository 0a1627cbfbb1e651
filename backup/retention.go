package backup

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"safedesk/security"
)

// Policy is a retention ladder: keep the newest backup of each of the last
// Days UTC days, Weeks ISO weeks and Months calendar months, the current
// one included. A backup may satisfy several rungs. The zero Policy keeps
// only the newest backup.
type Policy struct {
	// Days is how many UTC days, today included, keep their newest backup.
	Days int
	// Weeks is how many ISO weeks (Monday to Sunday), this one included.
	Weeks int
	// Months is how many calendar months, this one included.
	Months int
}

// ParseKeep parses a ladder such as "7d,4w,12m": comma-separated counts of
// days (d), weeks (w) and months (m), each at most once, in any order.
func ParseKeep(s string) (Policy, error) {
	var p Policy
	if strings.TrimSpace(s) == "" {
		return p, errors.New("backup: keep: empty; want something like 7d,4w,12m")
	}
	seen := map[byte]bool{}
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if len(part) < 2 {
			return Policy{}, fmt.Errorf("backup: keep: %q: want a count and d, w or m", part)
		}
		unit := part[len(part)-1]
		n, err := strconv.Atoi(part[:len(part)-1])
		if err != nil || n < 1 || n > 100000 {
			return Policy{}, fmt.Errorf("backup: keep: %q: count must be a whole number from 1", part)
		}
		if seen[unit] {
			return Policy{}, fmt.Errorf("backup: keep: %q: unit given twice", part)
		}
		seen[unit] = true
		switch unit {
		case 'd':
			p.Days = n
		case 'w':
			p.Weeks = n
		case 'm':
			p.Months = n
		default:
			return Policy{}, fmt.Errorf("backup: keep: %q: unit must be d, w or m", part)
		}
	}
	return p, nil
}

// String returns p in the form ParseKeep reads, for example "7d,4w,12m".
func (p Policy) String() string {
	var parts []string
	for _, r := range []struct {
		n    int
		unit string
	}{{p.Days, "d"}, {p.Weeks, "w"}, {p.Months, "m"}} {
		if r.n > 0 {
			parts = append(parts, strconv.Itoa(r.n)+r.unit)
		}
	}
	return strings.Join(parts, ",")
}

// Select splits entries into those the policy keeps and those it removes,
// both newest first. The newest entry is always kept, and so is any entry
// dated after now (a clock that went back must not cost backups).
func Select(entries []Entry, p Policy, now time.Time) (keep, remove []Entry) {
	sorted := slices.Clone(entries)
	sortNewestFirst(sorted)
	today := dayNumber(now)
	thisMonth := monthNumber(now)
	seenDay, seenWeek, seenMonth := map[int]bool{}, map[int]bool{}, map[int]bool{}
	for i, e := range sorted {
		day, month := dayNumber(e.Created), monthNumber(e.Created)
		week := weekStart(day)
		kept := i == 0 || e.Created.After(now)
		// Each rung keeps the first (newest) entry of each period it covers.
		if d := today - day; d >= 0 && d < p.Days && !seenDay[day] {
			seenDay[day], kept = true, true
		}
		if w := (weekStart(today) - week) / 7; w >= 0 && w < p.Weeks && !seenWeek[week] {
			seenWeek[week], kept = true, true
		}
		if m := thisMonth - month; m >= 0 && m < p.Months && !seenMonth[month] {
			seenMonth[month], kept = true, true
		}
		if kept {
			keep = append(keep, e)
		} else {
			remove = append(remove, e)
		}
	}
	return keep, remove
}

// Prune deletes the backups in dir (and their manifests) that the policy
// does not keep, and returns the paths it deleted. It goes on past a file it
// cannot delete and reports all failures together.
func Prune(dir string, p Policy, now time.Time) (removed []string, err error) {
	entries, err := List(dir)
	if err != nil {
		return nil, err
	}
	_, remove := Select(entries, p, now)
	var errs []error
	for _, e := range remove {
		if err := os.Remove(e.Path); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, fmt.Errorf("backup: prune: %w", err))
			continue
		}
		removed = append(removed, e.Path)
		if err := os.Remove(e.Path + manifestExt); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, fmt.Errorf("backup: prune: %w", err))
		}
	}
	if len(removed) > 0 {
		if err := security.SyncDir(dir); err != nil {
			errs = append(errs, err)
		}
	}
	return removed, errors.Join(errs...)
}

// dayNumber returns the UTC calendar day of t as days since 1970-01-01.
func dayNumber(t time.Time) int {
	y, m, d := t.UTC().Date()
	return int(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// weekStart returns the day number of the Monday that starts the ISO week
// of day number d.
func weekStart(d int) int {
	// 1970-01-01 was a Thursday: day 0 has ISO weekday index 3 (Monday = 0).
	return d - ((d%7 + 7 + 3) % 7)
}

// monthNumber returns the UTC calendar month of t as months since year 0.
func monthNumber(t time.Time) int {
	y, m, _ := t.UTC().Date()
	return y*12 + int(m) - 1
}
