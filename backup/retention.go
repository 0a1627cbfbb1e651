package backup

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"safedesk/security"
)

// Policy is a retention ladder: always keep the Newest backups, and
// besides them the newest backup of each of the last Days UTC days, Weeks
// ISO weeks and Months calendar months, the current one included. A backup
// may satisfy several rungs. The zero Policy keeps only the newest backup.
type Policy struct {
	// Newest is how many of the newest backups are kept whatever their
	// date: a backup made by hand, or by a schedule more often than daily,
	// survives the next runs.
	Newest int
	// Days is how many UTC days, today included, keep their newest backup.
	Days int
	// Weeks is how many ISO weeks (Monday to Sunday), this one included.
	Weeks int
	// Months is how many calendar months, this one included.
	Months int
}

// ParseKeep parses a ladder such as "3,7d,4w,12m": comma-separated counts,
// each at most once, in any order: a bare number keeps that many of the
// newest backups, and counts of days (d), weeks (w) and months (m) keep the
// newest backup of each.
func ParseKeep(s string) (Policy, error) {
	var p Policy
	if strings.TrimSpace(s) == "" {
		return p, errors.New("backup: keep: empty; want something like 3,7d,4w,12m")
	}
	seen := map[byte]bool{}
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			return Policy{}, errors.New("backup: keep: empty term; want something like 3,7d,4w,12m")
		}
		num, unit := part, byte('n')
		if last := part[len(part)-1]; last < '0' || last > '9' {
			num, unit = part[:len(part)-1], last
		}
		n, err := strconv.Atoi(num)
		if err != nil || n < 1 || n > 100000 || strings.ContainsAny(num, "+-") {
			return Policy{}, fmt.Errorf("backup: keep: %q: want a whole number from 1, alone or followed by d, w or m", part)
		}
		if seen[unit] {
			return Policy{}, fmt.Errorf("backup: keep: %q: term given twice", part)
		}
		seen[unit] = true
		switch unit {
		case 'n':
			p.Newest = n
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

// String returns p in the form ParseKeep reads, for example "3,7d,4w,12m".
func (p Policy) String() string {
	var parts []string
	for _, r := range []struct {
		n    int
		unit string
	}{{p.Newest, ""}, {p.Days, "d"}, {p.Weeks, "w"}, {p.Months, "m"}} {
		if r.n > 0 {
			parts = append(parts, strconv.Itoa(r.n)+r.unit)
		}
	}
	return strings.Join(parts, ",")
}

// Decision is what the policy makes of one backup: kept, with the reasons,
// or removed (no reasons).
type Decision struct {
	Entry
	// Reasons say why the backup is kept, one per rung that holds it:
	// "newest 2/3", "daily 2026-12-05", "weekly 2026-W48", "monthly
	// 2026-11", "dated after now"; empty when it is removed.
	Reasons []string
}

// Kept reports whether the policy keeps the backup.
func (d Decision) Kept() bool { return len(d.Reasons) > 0 }

// Explain applies the policy to entries, newest first, and says of each
// why it is kept. The newest entry is always kept, and so is any entry
// dated after now (a clock that went back must not cost backups).
func Explain(entries []Entry, p Policy, now time.Time) []Decision {
	sorted := slices.Clone(entries)
	sortNewestFirst(sorted)
	today := dayNumber(now)
	thisMonth := monthNumber(now)
	newest := max(p.Newest, 1)
	seenDay, seenWeek, seenMonth := map[int]bool{}, map[int]bool{}, map[int]bool{}
	out := make([]Decision, len(sorted))
	for i, e := range sorted {
		d := Decision{Entry: e}
		day, month := dayNumber(e.Created), monthNumber(e.Created)
		week := weekStart(day)
		if i < newest {
			d.Reasons = append(d.Reasons, fmt.Sprintf("newest %d/%d", i+1, newest))
		}
		if e.Created.After(now) {
			d.Reasons = append(d.Reasons, "dated after now")
		}
		// Each rung keeps the first (newest) entry of each period it covers.
		if n := today - day; n >= 0 && n < p.Days && !seenDay[day] {
			seenDay[day] = true
			d.Reasons = append(d.Reasons, "daily "+e.Created.UTC().Format(time.DateOnly))
		}
		if w := (weekStart(today) - week) / 7; w >= 0 && w < p.Weeks && !seenWeek[week] {
			seenWeek[week] = true
			y, wk := e.Created.UTC().ISOWeek()
			d.Reasons = append(d.Reasons, fmt.Sprintf("weekly %d-W%02d", y, wk))
		}
		if m := thisMonth - month; m >= 0 && m < p.Months && !seenMonth[month] {
			seenMonth[month] = true
			d.Reasons = append(d.Reasons, "monthly "+e.Created.UTC().Format("2006-01"))
		}
		out[i] = d
	}
	return out
}

// Select splits entries into those the policy keeps and those it removes,
// both newest first, as Explain decides.
func Select(entries []Entry, p Policy, now time.Time) (keep, remove []Entry) {
	for _, d := range Explain(entries, p, now) {
		if d.Kept() {
			keep = append(keep, d.Entry)
		} else {
			remove = append(remove, d.Entry)
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

// WriteList writes entries as the table of `safedesk backup list`: when
// each was taken, its size and snapshot hash, why the ladder keep (as
// ParseKeep reads it) holds it at now, and its path.
func WriteList(w io.Writer, entries []Entry, keep string, now time.Time) error {
	p, err := ParseKeep(keep)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TAKEN (UTC)\tBYTES\tSNAPSHOT SHA-256\tKEPT BECAUSE\tFILE")
	for _, d := range Explain(entries, p, now) {
		sum := "(no manifest)"
		if d.Manifest != nil {
			sum = d.Manifest.SHA256[:16] + "…"
		}
		why := strings.Join(d.Reasons, ", ")
		if why == "" {
			why = "(the next backup removes it)"
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\n", d.Created.Format(time.DateTime), d.Size, sum, why, d.Path)
	}
	return tw.Flush()
}
