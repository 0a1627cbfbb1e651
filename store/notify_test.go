package store_test

import (
	"slices"
	"strconv"
	"testing"
	"time"

	"safedesk/security"
	"safedesk/store"
)

// claimed collects the queue and claims what waits (digest or not), as
// "staffID event ticket" lines.
func claimed(t *testing.T, db *store.DB, digest bool) []string {
	t.Helper()
	if _, _, err := db.CollectNotifications(t.Context()); err != nil {
		t.Fatal(err)
	}
	ns, err := db.ClaimNotifications(t.Context(), digest)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, n := range ns {
		out = append(out, strconv.FormatInt(n.StaffID, 10)+" "+n.Event+" "+strconv.FormatInt(n.TicketID+n.ChatID, 10))
	}
	return out
}

func line(staff int64, event string, id int64) string {
	return strconv.FormatInt(staff, 10) + " " + event + " " + strconv.FormatInt(id, 10)
}

func actorOf(id int64) store.Actor {
	return store.Actor{Type: store.ActorStaff, ID: strconv.FormatInt(id, 10)}
}

func TestNotifications(t *testing.T) {
	db, clk := newTestDB(t)
	ctx := t.Context()
	owner, _ := staffSession(t, db, "owner@northwind.example", "198.51.100.9")
	if err := db.SetStaffRole(ctx, owner, security.RoleOwner, store.SystemActor); err != nil {
		t.Fatal(err)
	}
	agent, _ := staffSession(t, db, "agent@northwind.example", "198.51.100.1")
	other, _ := staffSession(t, db, "other@northwind.example", "198.51.100.2")
	editor, _ := staffSession(t, db, "editor@northwind.example", "198.51.100.3")
	if err := db.SetStaffRole(ctx, editor, security.RoleKBEditor, store.SystemActor); err != nil {
		t.Fatal(err)
	}
	if got := claimed(t, db, false); len(got) != 0 {
		t.Fatalf("enrolment notified %v", got)
	}

	tk := createTicket(t, db, "customer@example.org", "Help")
	want := []string{line(owner, "new_ticket", tk.ID), line(agent, "new_ticket", tk.ID), line(other, "new_ticket", tk.ID)}
	if got := claimed(t, db, false); !slices.Equal(got, want) {
		t.Errorf("new ticket: %v, want %v (not the knowledge-base editor)", got, want)
	}
	if got := claimed(t, db, false); len(got) != 0 {
		t.Errorf("told twice: %v", got)
	}

	t.Run("assignment tells the assignee, not who assigned themselves", func(t *testing.T) {
		mine := createTicket(t, db, "mine@example.org", "Mine")
		claimed(t, db, false)
		if _, _, err := db.UpdateTicket(ctx, tk.ID, store.TicketUpdate{AssigneeID: &other}, actorOf(agent)); err != nil {
			t.Fatal(err)
		}
		if _, _, err := db.UpdateTicket(ctx, mine.ID, store.TicketUpdate{AssigneeID: &agent}, actorOf(agent)); err != nil {
			t.Fatal(err)
		}
		if got, want := claimed(t, db, false), []string{line(other, "assigned", tk.ID)}; !slices.Equal(got, want) {
			t.Errorf("got %v, want %v", got, want)
		}
	})
	t.Run("a customer's reply tells the assignee; notes and staff replies do not", func(t *testing.T) {
		for _, m := range []store.NewMessage{
			{AuthorType: "customer", Body: "More"},
			{AuthorType: "staff", AuthorID: agent, Internal: true, Body: "Note"},
			{AuthorType: "staff", AuthorID: agent, Body: "Answer"},
		} {
			if _, err := db.AddMessage(ctx, tk.ID, m, customerActor); err != nil {
				t.Fatal(err)
			}
		}
		if got, want := claimed(t, db, false), []string{line(other, "customer_reply", tk.ID)}; !slices.Equal(got, want) {
			t.Errorf("got %v, want %v", got, want)
		}
	})
	t.Run("choices: off, and the daily digest", func(t *testing.T) {
		for _, id := range []int64{owner, agent} {
			if err := db.SetNotifyPrefs(ctx, id, map[string]string{"new_ticket": "off"}, actorOf(id)); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.SetNotifyPrefs(ctx, other, map[string]string{"new_ticket": "digest"}, actorOf(other)); err != nil {
			t.Fatal(err)
		}
		next := createTicket(t, db, "next@example.org", "Next")
		if got := claimed(t, db, false); len(got) != 0 {
			t.Errorf("mailed at once: %v", got)
		}
		if got, want := claimed(t, db, true), []string{line(other, "new_ticket", next.ID)}; !slices.Equal(got, want) {
			t.Errorf("digest: %v, want %v", got, want)
		}
		if err := db.SetNotifyPrefs(ctx, agent, map[string]string{"new_ticket": "loud"}, actorOf(agent)); err == nil {
			t.Error("an unknown choice was saved")
		}
	})
	t.Run("a chat waiting for a person, for those who chose it", func(t *testing.T) {
		if err := db.SetNotifyPrefs(ctx, agent, map[string]string{"chat_waiting": "now"}, actorOf(agent)); err != nil {
			t.Fatal(err)
		}
		c, err := db.StartConversation(ctx, []byte("visitor-hash-0123456789abcdef012"), 0, "v1", "", visitorActor)
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := db.HandOffConversation(ctx, c.ID, clk.Now().Add(3*time.Minute), nil, visitorActor); err != nil {
			t.Fatal(err)
		}
		if got, want := claimed(t, db, false), []string{line(agent, "chat_waiting", c.ID)}; !slices.Equal(got, want) {
			t.Errorf("got %v, want %v", got, want)
		}
	})
	t.Run("a due time about to be missed, once, and a release for a retry", func(t *testing.T) {
		if err := db.SetNotifyPrefs(ctx, other, map[string]string{"due_soon": "now"}, actorOf(other)); err != nil {
			t.Fatal(err)
		}
		setTargets(t, db, store.DueTargets{"normal": {FirstResponse: 4 * time.Hour, Resolution: 8 * time.Hour}})
		claimed(t, db, false)
		if n, err := db.QueueDueSoon(ctx, time.Hour); err != nil || n != 0 {
			t.Fatalf("nothing is due within the hour yet: %d, %v", n, err)
		}
		clk.Advance(7*time.Hour + 30*time.Minute)
		for range 2 {
			if _, err := db.QueueDueSoon(ctx, time.Hour); err != nil {
				t.Fatal(err)
			}
		}
		ns, err := db.ClaimNotifications(ctx, false)
		if err != nil || len(ns) != 1 || ns[0].StaffID != other || ns[0].Event != "due_soon" || ns[0].TicketID != tk.ID {
			t.Fatalf("due soon: %+v, %v", ns, err)
		}
		if err := db.ReleaseNotifications(ctx, []int64{ns[0].ID}); err != nil {
			t.Fatal(err)
		}
		if again, _ := db.ClaimNotifications(ctx, false); len(again) != 1 || again[0].ID != ns[0].ID {
			t.Errorf("released notification not claimed again: %+v", again)
		}
	})
}

func TestAvailableStaff(t *testing.T) {
	db, clk := newTestDB(t)
	ctx := t.Context()
	agent, _ := staffSession(t, db, "agent@northwind.example", "198.51.100.1")
	if got, err := db.AvailableStaff(ctx, clk.Now().Add(-15*time.Minute)); err != nil || len(got) != 0 {
		t.Fatalf("signed in but not marked available: %v %v", got, err)
	}
	if err := db.SetAvailable(ctx, agent, true); err != nil {
		t.Fatal(err)
	}
	if got, err := db.AvailableStaff(ctx, clk.Now().Add(-15*time.Minute)); err != nil || got[agent] != security.RoleAgent {
		t.Fatalf("available: %v %v", got, err)
	}
	clk.Advance(20 * time.Minute)
	if got, _ := db.AvailableStaff(ctx, clk.Now().Add(-15*time.Minute)); len(got) != 0 {
		t.Errorf("idle past the limit, still available: %v", got)
	}
}

func TestMailFailureShows(t *testing.T) {
	db, _ := newTestDB(t)
	ctx := t.Context()
	agent, _ := staffSession(t, db, "agent@northwind.example", "198.51.100.1")
	if err := db.RecordMailFailure(ctx, agent, "smtp 550 5.1.1"); err != nil {
		t.Fatal(err)
	}
	p, err := db.GetStaffPrefs(ctx, agent)
	if err != nil || p.MailFailure != "smtp 550 5.1.1" || p.MailFailedAt.IsZero() {
		t.Fatalf("%+v %v", p, err)
	}
	if p.Deliver["new_ticket"] != "now" || p.Deliver["chat_waiting"] != "off" {
		t.Errorf("the failure changed the choices: %v", p.Deliver)
	}
	if err := db.RecordMailFailure(ctx, agent, ""); err != nil {
		t.Fatal(err)
	}
	if p, _ := db.GetStaffPrefs(ctx, agent); p.MailFailure != "" || !p.MailFailedAt.IsZero() {
		t.Errorf("a mail that went out left the failure: %+v", p)
	}
}
