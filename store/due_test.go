package store_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"safedesk/store"
)

var staffActor = store.Actor{Type: store.ActorStaff, ID: "1", ClientIP: "198.51.100.1"}

func setTargets(t *testing.T, db *store.DB, targets store.DueTargets) {
	t.Helper()
	if _, err := db.SetDueTargets(t.Context(), targets, staffActor); err != nil {
		t.Fatal(err)
	}
}

func dueOf(t *testing.T, db *store.DB, id int64) time.Time {
	t.Helper()
	tk, err := db.GetTicket(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	return tk.DueAt
}

func TestDueTargetsValidate(t *testing.T) {
	for _, tt := range []struct {
		name    string
		targets store.DueTargets
		field   string
	}{
		{"resolution before first response", store.DueTargets{"high": {FirstResponse: 4 * time.Hour, Resolution: time.Hour}}, "high.resolution"},
		{"negative", store.DueTargets{"low": {FirstResponse: -time.Minute}}, "low.first_response"},
		{"over a year", store.DueTargets{"low": {Resolution: 400 * 24 * time.Hour}}, "low.resolution"},
		{"unknown priority", store.DueTargets{"someday": {FirstResponse: time.Hour}}, "someday"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			db, _ := newTestDB(t)
			_, err := db.SetDueTargets(t.Context(), tt.targets, staffActor)
			var verr *store.ValidationError
			if !errors.As(err, &verr) || verr.Fields[tt.field] == "" {
				t.Fatalf("got %v, want a problem with %s", err, tt.field)
			}
			if got, _ := db.GetDueTargets(t.Context()); len(got) != 0 {
				t.Errorf("saved anyway: %v", got)
			}
		})
	}
	ok := store.DueTargets{"urgent": {FirstResponse: time.Hour, Resolution: time.Hour}, "low": {Resolution: 72 * time.Hour}}
	if err := ok.Validate(); err != nil {
		t.Errorf("equal targets, or a resolution target alone: %v", err)
	}
}

// TestDueTimeFollowsTheTicket walks one ticket through its life: due for a
// first response, then for resolution once staff reply, nothing while it
// waits for the customer or is solved, and a fresh first-response target
// when the customer reopens it.
func TestDueTimeFollowsTheTicket(t *testing.T) {
	db, clk := newTestDB(t)
	ctx := t.Context()
	setTargets(t, db, store.DueTargets{
		"normal": {FirstResponse: 4 * time.Hour, Resolution: 24 * time.Hour},
		"urgent": {FirstResponse: time.Hour, Resolution: 8 * time.Hour},
	})
	tk := createTicket(t, db, "due@example.org", "Due")
	start := clk.Now()
	if !tk.DueAt.Equal(start.Add(4 * time.Hour)) {
		t.Fatalf("new ticket due %s, want first response at %s", tk.DueAt, start.Add(4*time.Hour))
	}
	urgent, normal := "urgent", "normal"
	step := func(name string, change func() error, want time.Time) {
		t.Helper()
		if err := change(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := dueOf(t, db, tk.ID); !got.Equal(want) {
			t.Errorf("%s: due %s, want %s", name, got, want)
		}
	}
	update := func(u store.TicketUpdate) func() error {
		return func() error { _, _, err := db.UpdateTicket(ctx, tk.ID, u, staffActor); return err }
	}
	reply := func(author string, internal bool) func() error {
		return func() error {
			clk.Advance(10 * time.Minute)
			_, err := db.AddMessage(ctx, tk.ID, store.NewMessage{AuthorType: author, Internal: internal, Body: "Text"}, staffActor)
			return err
		}
	}
	step("priority raised", update(store.TicketUpdate{Priority: &urgent}), start.Add(time.Hour))
	step("an internal note is no response", reply("staff", true), start.Add(time.Hour))
	step("first staff reply", reply("staff", false), start.Add(8*time.Hour))
	step("priority back", update(store.TicketUpdate{Priority: &normal}), start.Add(24*time.Hour))
	pending, solved := "pending", "solved"
	step("waiting for the customer", update(store.TicketUpdate{Status: &pending}), time.Time{})
	step("the customer answers", reply("customer", false), start.Add(24*time.Hour))
	step("solved", update(store.TicketUpdate{Status: &solved}), time.Time{})
	clk.Advance(48 * time.Hour)
	step("reopened by the customer", reply("customer", false), clk.Now().Add(10*time.Minute+4*time.Hour)) // reply waits 10 minutes

	got, err := db.GetTicket(ctx, tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.FirstResponseAt.IsZero() || !got.SolvedAt.IsZero() {
		t.Errorf("reopened ticket keeps first response %s / solved %s", got.FirstResponseAt, got.SolvedAt)
	}
	if _, err := db.SetDueTargets(ctx, store.DueTargets{}, staffActor); err != nil {
		t.Fatal(err)
	}
	if d := dueOf(t, db, tk.ID); !d.IsZero() {
		t.Errorf("targets removed, still due %s", d)
	}
}

// TestDueQueue lists by due time: soonest first, only tickets with a due
// time, the "due by" filter, and the cursor.
func TestDueQueue(t *testing.T) {
	db, clk := newTestDB(t)
	ctx := t.Context()
	setTargets(t, db, store.DueTargets{"normal": {FirstResponse: 8 * time.Hour}, "urgent": {FirstResponse: time.Hour}, "high": {FirstResponse: 2 * time.Hour}})
	var ids []int64
	for _, prio := range []string{"normal", "urgent", "low", "high"} {
		tk := createTicket(t, db, prio+"@example.org", prio)
		p := prio
		if _, _, err := db.UpdateTicket(ctx, tk.ID, store.TicketUpdate{Priority: &p}, staffActor); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, tk.ID)
		clk.Advance(time.Minute)
	}
	list := func(f store.TicketFilter) []int64 {
		t.Helper()
		f.AllCustomers = true
		ts, err := db.ListTickets(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		var out []int64
		for _, tk := range ts {
			out = append(out, tk.ID)
		}
		return out
	}
	if got, want := list(store.TicketFilter{ByDue: true}), []int64{ids[1], ids[3], ids[0]}; !slices.Equal(got, want) {
		t.Errorf("by due: %v, want %v (urgent, high, normal; low has none)", got, want)
	}
	if got, want := list(store.TicketFilter{ByDue: true, After: ids[1]}), []int64{ids[3], ids[0]}; !slices.Equal(got, want) {
		t.Errorf("after the first: %v, want %v", got, want)
	}
	if got, want := list(store.TicketFilter{DueBy: clk.Now().Add(2 * time.Hour)}), []int64{ids[3], ids[1]}; !slices.Equal(got, want) {
		t.Errorf("due within two hours: %v, want %v", got, want)
	}
	clk.Advance(3 * time.Hour)
	if got, want := list(store.TicketFilter{ByDue: true, DueBy: clk.Now()}), []int64{ids[1], ids[3]}; !slices.Equal(got, want) {
		t.Errorf("breached: %v, want %v", got, want)
	}
}
