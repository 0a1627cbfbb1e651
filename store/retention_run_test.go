package store_test

import (
	"testing"
	"time"

	"safedesk/store"
)

func TestPeriod(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"90d": 90 * 24 * time.Hour, "26w": 26 * 7 * 24 * time.Hour, "36h": 36 * time.Hour, "off": 0, "0": 0,
	} {
		var p store.Period
		if err := p.Set(in); err != nil || time.Duration(p) != want {
			t.Errorf("Set(%q) = %v, %v; want %v", in, time.Duration(p), err, want)
		}
	}
	for _, bad := range []string{"soon", "-1d", "3x", "-2h", "99999999d"} {
		var p store.Period
		if err := p.Set(bad); err == nil {
			t.Errorf("Set(%q) accepted", bad)
		}
	}
	for p, want := range map[store.Period]string{0: "off", store.Period(730 * 24 * time.Hour): "730d", store.Period(36 * time.Hour): "36h0m0s"} {
		if got := p.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", p, got, want)
		}
	}
}

func TestApplyAllRetention(t *testing.T) {
	db, clk := newTestDB(t)
	tk := createTicket(t, db, "ada@example.com", "Old and solved")
	setStatus(t, db, tk.ID, "solved")
	clk.Advance(31 * 24 * time.Hour)
	rep, err := db.ApplyAllRetention(t.Context(), store.Retention{ResolvedTickets: 30 * 24 * time.Hour})
	if err != nil || rep.Tickets != 1 {
		t.Fatalf("ApplyAllRetention = %+v, %v; want the solved ticket gone", rep, err)
	}
	es, err := db.ListAudit(t.Context(), store.AuditFilter{Action: "retention.applied"})
	if err != nil || len(es) != 1 || es[0].Actor.ID != "retention" {
		t.Errorf("retention audit entries %+v, %v; want one by the retention job", es, err)
	}
}
