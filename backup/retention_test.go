package backup

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseKeep(t *testing.T) {
	tests := []struct {
		in      string
		want    Policy
		wantErr bool
	}{
		{in: "7d,4w,12m", want: Policy{Days: 7, Weeks: 4, Months: 12}},
		{in: "3,7d,4w,12m", want: Policy{Newest: 3, Days: 7, Weeks: 4, Months: 12}},
		{in: " 12m , 7d ", want: Policy{Days: 7, Months: 12}},
		{in: "30d", want: Policy{Days: 30}},
		{in: "7", want: Policy{Newest: 7}},
		{in: "", wantErr: true},
		{in: "3,7d,5", wantErr: true},
		{in: "0", wantErr: true},
		{in: "+3", wantErr: true},
		{in: "d", wantErr: true},
		{in: "7x", wantErr: true},
		{in: "0d", wantErr: true},
		{in: "-1w", wantErr: true},
		{in: "7d,3d", wantErr: true},
		{in: "7d,,4w", wantErr: true},
		{in: "1.5m", wantErr: true},
	}
	for _, tt := range tests {
		got, err := ParseKeep(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseKeep(%q) = %+v, %v; want %+v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
	if got := (Policy{Days: 7, Weeks: 4, Months: 12}).String(); got != "7d,4w,12m" {
		t.Errorf("String() = %q", got)
	}
	if got := (Policy{Newest: 3, Days: 7, Weeks: 4, Months: 12}).String(); got != DefaultKeep {
		t.Errorf("String() = %q, want %q", got, DefaultKeep)
	}
}

// at parses a "2006-01-02 15:04" UTC time.
func at(s string) time.Time {
	t, err := time.Parse("2006-01-02 15:04", s)
	if err != nil {
		panic(err)
	}
	return t
}

// entriesAt returns one entry per time, named as Create names them.
func entriesAt(times ...time.Time) []Entry {
	var es []Entry
	for _, tm := range times {
		es = append(es, Entry{Name: FileName(tm), Created: tm})
	}
	return es
}

// daily returns a backup at 02:00 UTC on every day from first to last.
func daily(first, last string) []time.Time {
	var ts []time.Time
	for d := at(first + " 02:00"); !d.After(at(last + " 02:00")); d = d.AddDate(0, 0, 1) {
		ts = append(ts, d)
	}
	return ts
}

func TestSelect(t *testing.T) {
	tests := []struct {
		name   string
		times  []time.Time
		policy Policy
		now    string
		want   []string // kept, as "2006-01-02 15:04"
	}{
		{
			name: "no backups", policy: Policy{Days: 7}, now: "2025-06-15 12:00",
		},
		{
			name:   "zero policy keeps only the newest",
			times:  []time.Time{at("2025-06-13 02:00"), at("2025-06-14 02:00"), at("2025-06-15 02:00")},
			policy: Policy{}, now: "2025-06-15 12:00",
			want: []string{"2025-06-15 02:00"},
		},
		{
			name:   "days keep the newest of each day",
			times:  []time.Time{at("2025-06-13 02:00"), at("2025-06-13 14:00"), at("2025-06-14 02:00"), at("2025-06-15 02:00"), at("2025-06-15 08:00")},
			policy: Policy{Days: 2}, now: "2025-06-15 12:00",
			want: []string{"2025-06-15 08:00", "2025-06-14 02:00"},
		},
		{
			name:   "ISO weeks start on Monday, across the year end",
			times:  []time.Time{at("2024-12-29 02:00"), at("2024-12-30 02:00"), at("2025-01-05 02:00"), at("2025-01-06 02:00")},
			policy: Policy{Weeks: 2}, now: "2025-01-08 12:00",
			want: []string{"2025-01-06 02:00", "2025-01-05 02:00"},
		},
		{
			name:   "months keep the newest of each month",
			times:  []time.Time{at("2025-03-31 23:59"), at("2025-04-01 00:00"), at("2025-04-30 10:00"), at("2025-05-02 02:00")},
			policy: Policy{Months: 3}, now: "2025-05-20 12:00",
			want: []string{"2025-05-02 02:00", "2025-04-30 10:00", "2025-03-31 23:59"},
		},
		{
			name:   "newest is kept even when every rung has passed",
			times:  []time.Time{at("2023-01-01 02:00"), at("2023-01-02 02:00")},
			policy: Policy{Days: 7, Weeks: 4, Months: 12}, now: "2025-06-15 12:00",
			want: []string{"2023-01-02 02:00"},
		},
		{
			name:   "the newest N are kept besides the ladder",
			times:  []time.Time{at("2025-06-15 02:00"), at("2025-06-15 06:00"), at("2025-06-15 10:00"), at("2025-06-14 22:00")},
			policy: Policy{Newest: 3, Days: 1}, now: "2025-06-15 12:00",
			want: []string{"2025-06-15 10:00", "2025-06-15 06:00", "2025-06-15 02:00"},
		},
		{
			name:   "a backup dated after now is kept",
			times:  []time.Time{at("2025-06-20 02:00"), at("2025-06-15 02:00"), at("2025-06-14 02:00")},
			policy: Policy{Days: 1}, now: "2025-06-15 12:00",
			want: []string{"2025-06-20 02:00", "2025-06-15 02:00"},
		},
		{
			// Sunday 2025-06-15. Days: Jun 9..15. Weeks add Jun 8, Jun 1 and
			// May 25. Months add the last day of May 2025 back to Jul 2024.
			name:   "the 7d,4w,12m ladder over a year of daily backups",
			times:  daily("2024-06-16", "2025-06-15"),
			policy: Policy{Days: 7, Weeks: 4, Months: 12}, now: "2025-06-15 12:00",
			want: []string{
				"2025-06-15 02:00", "2025-06-14 02:00", "2025-06-13 02:00", "2025-06-12 02:00",
				"2025-06-11 02:00", "2025-06-10 02:00", "2025-06-09 02:00",
				"2025-06-08 02:00", "2025-06-01 02:00",
				"2025-05-31 02:00", "2025-05-25 02:00",
				"2025-04-30 02:00", "2025-03-31 02:00", "2025-02-28 02:00", "2025-01-31 02:00",
				"2024-12-31 02:00", "2024-11-30 02:00", "2024-10-31 02:00", "2024-09-30 02:00",
				"2024-08-31 02:00", "2024-07-31 02:00",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			entries := entriesAt(tt.times...)
			keep, remove := Select(entries, tt.policy, at(tt.now))
			var got []string
			for _, e := range keep {
				got = append(got, e.Created.Format("2006-01-02 15:04"))
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("kept %v\nwant %v", got, tt.want)
			}
			if len(keep)+len(remove) != len(entries) {
				t.Errorf("kept %d and removed %d of %d entries", len(keep), len(remove), len(entries))
			}
			for _, e := range remove {
				if slices.ContainsFunc(keep, func(k Entry) bool { return k.Name == e.Name }) {
					t.Errorf("%s both kept and removed", e.Name)
				}
			}
		})
	}
}

func TestPruneAndList(t *testing.T) {
	dir := t.TempDir()
	times := daily("2025-05-01", "2025-06-15")
	for _, tm := range times {
		p := filepath.Join(dir, FileName(tm))
		if err := os.WriteFile(p, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
		m := `{"format":1,"file":"` + FileName(tm) + `","sha256":"` + sha0 + `","encrypted_sha256":"` + sha0 + `"}`
		if err := os.WriteFile(p+".json", []byte(m), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	others := []string{".safedesk-tmp-123", "notes.txt", "safedesk.db.pre-restore-20250101T000000Z", "safedesk-garbage.db.age"}
	for _, n := range others {
		if err := os.WriteFile(filepath.Join(dir, n), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	// A backup whose manifest is missing is listed without one.
	noManifest := filepath.Join(dir, FileName(at("2025-04-30 02:00")))
	if err := os.WriteFile(noManifest, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}

	entries, err := List(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(times)+1 {
		t.Fatalf("List found %d backups, want %d", len(entries), len(times)+1)
	}
	if !entries[0].Created.Equal(at("2025-06-15 02:00")) || entries[0].Manifest == nil || entries[0].Size != 1 {
		t.Errorf("newest entry = %+v", entries[0])
	}
	if last := entries[len(entries)-1]; last.Path != noManifest || last.Manifest != nil {
		t.Errorf("oldest entry = %+v, want %s without manifest", last, noManifest)
	}

	now := at("2025-06-15 12:00")
	policy := Policy{Days: 3, Weeks: 2, Months: 2}
	wantKeep, wantRemove := Select(entries, policy, now)
	removed, err := Prune(dir, policy, now)
	if err != nil {
		t.Fatal(err)
	}
	if len(removed) != len(wantRemove) {
		t.Errorf("removed %d files, want %d", len(removed), len(wantRemove))
	}
	var want []string
	for _, e := range wantKeep {
		want = append(want, e.Name, e.Name+".json")
	}
	want = append(want, others...)
	slices.Sort(want)
	// Kept: Jun 15, 14, 13; Jun 8 (last week); May 31 (May). 5 backups.
	if got := names(t, dir); !slices.Equal(got, want) || len(wantKeep) != 5 {
		t.Errorf("after Prune the folder holds %v\nwant %v", got, want)
	}
}

const sha0 = "0000000000000000000000000000000000000000000000000000000000000000"

// TestEvery4hKeepsThePreviousBackup: with backups every four hours, the
// default ladder keeps the backup made just before, and a backup made by
// hand before an upgrade survives the next scheduled runs; the ladder of
// days alone (the old default) deleted both.
func TestEvery4hKeepsThePreviousBackup(t *testing.T) {
	manual := at("2025-06-15 09:12")
	times := []time.Time{at("2025-06-15 00:00"), at("2025-06-15 04:00"), at("2025-06-15 08:00"), manual, at("2025-06-15 12:00")}
	def, err := ParseKeep(DefaultKeep)
	if err != nil {
		t.Fatal(err)
	}
	now := at("2025-06-15 12:00")
	keep, _ := Select(entriesAt(times...), def, now)
	var kept []time.Time
	for _, e := range keep {
		kept = append(kept, e.Created)
	}
	for _, want := range []time.Time{at("2025-06-15 12:00"), manual, at("2025-06-15 08:00")} {
		if !slices.ContainsFunc(kept, want.Equal) {
			t.Errorf("%s removed by %s; kept %v", want.Format(time.DateTime), DefaultKeep, kept)
		}
	}
	if old, _ := Select(entriesAt(times...), Policy{Days: 7, Weeks: 4, Months: 12}, now); len(old) != 1 {
		t.Errorf("the days-only ladder kept %d backups of one day, want 1 (the test's premise)", len(old))
	}
}

func TestExplainSaysWhy(t *testing.T) {
	// Friday 2026-12-04 and Saturday 2026-12-05 are in ISO week 49.
	times := []time.Time{at("2026-11-20 03:00"), at("2026-12-04 03:00"), at("2026-12-05 03:00"), at("2026-12-05 15:00")}
	p := Policy{Newest: 3, Days: 7, Weeks: 4, Months: 12}
	got := map[string]string{}
	for _, d := range Explain(entriesAt(times...), p, at("2026-12-05 16:00")) {
		got[d.Created.Format("2006-01-02 15:04")] = strings.Join(d.Reasons, ", ")
	}
	want := map[string]string{
		"2026-12-05 15:00": "newest 1/3, daily 2026-12-05, weekly 2026-W49, monthly 2026-12",
		"2026-12-05 03:00": "newest 2/3",
		"2026-12-04 03:00": "newest 3/3, daily 2026-12-04",
		"2026-11-20 03:00": "weekly 2026-W47, monthly 2026-11",
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s kept because %q, want %q", k, got[k], w)
		}
	}
	var b strings.Builder
	if err := WriteList(&b, entriesAt(times[0]), "1", at("2026-12-05 16:00")); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), "KEPT BECAUSE") || !strings.Contains(b.String(), "newest 1/1") {
		t.Errorf("list:\n%s", b.String())
	}
}
