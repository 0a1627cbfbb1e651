package store_test

import (
	"testing"
	"time"

	"safedesk/store"
)

func TestTeamStats(t *testing.T) {
	db, clk := newTestDB(t)
	ctx := t.Context()
	agent, _ := staffSession(t, db, "agent@northwind.example", "198.51.100.1")
	solved := "solved"
	for i, answer := range []time.Duration{time.Hour, 3 * time.Hour, 2 * time.Hour} {
		tk := createTicket(t, db, "c@example.org", "T")
		if _, _, err := db.UpdateTicket(ctx, tk.ID, store.TicketUpdate{AssigneeID: &agent}, staffActor); err != nil {
			t.Fatal(err)
		}
		clk.Advance(answer)
		if _, err := db.AddMessage(ctx, tk.ID, store.NewMessage{AuthorType: "staff", AuthorID: agent, Body: "Answer"}, staffActor); err != nil {
			t.Fatal(err)
		}
		if i < 2 {
			if _, _, err := db.UpdateTicket(ctx, tk.ID, store.TicketUpdate{Status: &solved}, staffActor); err != nil {
				t.Fatal(err)
			}
		}
	}
	createTicket(t, db, "old@example.org", "Old")
	clk.Advance(10 * 24 * time.Hour)
	if _, err := db.CreateTicket(ctx, store.NewTicket{Email: "api@example.org", Subject: "By API", Body: "x"}, store.Actor{Type: store.ActorToken, ID: "1"}); err != nil {
		t.Fatal(err)
	}
	st, err := db.TeamStats(ctx, 7)
	if err != nil {
		t.Fatal(err)
	}
	if sum(st.Volume["api"]) != 1 || sum(st.Volume["portal"]) != 0 {
		t.Errorf("last 7 days by channel: %v", st.Volume)
	}
	st, err = db.TeamStats(ctx, 30)
	if err != nil {
		t.Fatal(err)
	}
	if sum(st.Volume["portal"]) != 4 || sum(st.Volume["api"]) != 1 {
		t.Errorf("last 30 days by channel: %v", st.Volume)
	}
	if got := store.Median(st.FirstResponse); got != 2*time.Hour {
		t.Errorf("median first response %s, want 2h (of 1h, 2h, 3h)", got)
	}
	if got := store.Median(st.Resolution); got != 2*time.Hour {
		t.Errorf("median resolution %s, want 2h (of 1h and 3h from creation to solved)", got)
	}
	// Backlog now: the third ticket (10 days old), "old" (10 days) and the
	// API's (just now).
	if st.Backlog[0] != 1 || st.Backlog[3] != 2 {
		t.Errorf("backlog by age %v", st.Backlog)
	}
	var mine store.AgentStats
	for _, a := range st.Agents {
		if a.StaffID == agent {
			mine = a
		}
	}
	if mine.Created != 3 || mine.Solved != 2 || mine.Backlog != 1 || len(mine.FirstResponse) != 3 {
		t.Errorf("agent %+v", mine)
	}
}

func sum(v []int) int {
	n := 0
	for _, x := range v {
		n += x
	}
	return n
}
