package web

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"safedesk/bot"
	"safedesk/store"
)

// dueForm is the settings form of due-time targets.
func dueForm(targets map[string][2]string) url.Values {
	f := url.Values{}
	for prio, t := range targets {
		f.Set(prio+".first_response", t[0])
		f.Set(prio+".resolution", t[1])
	}
	return f
}

// TestDueTimesAcrossAWeekend: with business hours Mon–Fri 09:00–17:00 in
// Berlin, a ticket filed on Friday at 16:00 with a two-hour first-response
// target is due on Monday at 10:00; the queue shows it, sorts by it, and
// the API has it.
func TestDueTimesAcrossAWeekend(t *testing.T) {
	hours, err := bot.ParseHours("Mon-Fri 09:00-17:00 Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	env := newTestServerWith(t, func(c *Config) {
		c.ChatHours = hours
		c.StaffIdle, c.StaffLifetime = 10*24*time.Hour, 10*24*time.Hour // the clock moves to next Friday
	})
	owner, dev := env.owner()
	env.stepUp(owner, dev)

	t.Run("nonsense is refused and kept", func(t *testing.T) {
		r := owner.post("/admin/settings/due", dueForm(map[string][2]string{"high": {"4h", "1h"}, "low": {"soon", ""}}))
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "cannot be shorter than the first-response") && !strings.Contains(r.body, "Use minutes") {
			t.Fatalf("bad targets: %d\n%s", r.status, r.body)
		}
		if !strings.Contains(r.body, `value="soon"`) {
			t.Error("what was typed is gone")
		}
		r = owner.post("/admin/settings/due", dueForm(map[string][2]string{"high": {"4h", "1h"}}))
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, "cannot be shorter than the first-response") {
			t.Fatalf("resolution before first response: %d", r.status)
		}
		if got, _ := env.db.GetDueTargets(context.Background()); len(got) != 0 {
			t.Errorf("saved anyway: %v", got)
		}
	})

	r := owner.post("/admin/settings/due", dueForm(map[string][2]string{"normal": {"2h", "2d"}, "urgent": {"30m", "4h"}}))
	if r.status != http.StatusSeeOther {
		t.Fatalf("save targets: %d\n%s", r.status, r.body)
	}
	if page := owner.get("/admin/settings").body; !strings.Contains(page, `value="2h"`) || !strings.Contains(page, "Mon-Fri 09:00-17:00 Europe/Berlin") {
		t.Errorf("settings page does not show the targets or hours")
	}

	berlin, _ := time.LoadLocation("Europe/Berlin")
	now := env.clock.Now().In(berlin)
	friday := time.Date(now.Year(), now.Month(), now.Day()+1, 16, 0, 0, 0, berlin)
	for friday.Weekday() != time.Friday {
		friday = friday.AddDate(0, 0, 1)
	}
	env.clock.advance(friday.Sub(env.clock.Now()))
	tk, err := env.db.CreateTicket(context.Background(), store.NewTicket{Email: "ada@example.org", Subject: "Kettle", Body: "It leaks."}, store.SystemActor)
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(friday.Year(), friday.Month(), friday.Day()+3, 10, 0, 0, 0, berlin); !tk.DueAt.Round(time.Second).Equal(want) {
		t.Fatalf("due %s, want Monday 10:00 in Berlin (%s)", tk.DueAt.In(berlin), want)
	}
	urgent := "urgent"
	late, err := env.db.CreateTicket(context.Background(), store.NewTicket{Email: "bob@example.org", Subject: "Broken", Body: "Help."}, store.SystemActor)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := env.db.UpdateTicket(context.Background(), late.ID, store.TicketUpdate{Priority: &urgent}, store.SystemActor); err != nil {
		t.Fatal(err)
	}
	env.clock.advance(60 * time.Minute) // past the urgent ticket's half hour: 17:00, closed
	if _, err := env.db.CreateTicket(context.Background(), store.NewTicket{Email: "cy@example.org", Subject: "No target", Body: "x"}, store.SystemActor); err != nil {
		t.Fatal(err)
	}

	queue := owner.get("/admin/tickets?sort=due").body
	iLate, iMon := strings.Index(queue, "/admin/tickets/"+itoa(late.ID)+`"`), strings.Index(queue, "/admin/tickets/"+itoa(tk.ID)+`"`)
	if iLate < 0 || iMon < 0 || iLate > iMon || !strings.Contains(queue, `data-testid="due-late"`) {
		t.Fatalf("sorted by due: late %d, Monday %d\n%s", iLate, iMon, queue)
	}
	soon := owner.get("/admin/tickets?due=soon").body
	if !strings.Contains(soon, "/admin/tickets/"+itoa(late.ID)+`"`) || strings.Contains(soon, "/admin/tickets/"+itoa(tk.ID)+`"`) {
		t.Errorf("due soon lists the wrong tickets:\n%s", soon)
	}

	api := env.api("GET", "/api/v1/tickets/"+itoa(tk.ID), env.token(store.ScopeTicketsRead), "")
	var got struct {
		DueAt *time.Time `json:"due_at"`
	}
	if err := json.Unmarshal([]byte(api.body), &got); err != nil || got.DueAt == nil || !got.DueAt.Equal(tk.DueAt) {
		t.Errorf("API due_at %v (%v), want %s:\n%s", got.DueAt, err, tk.DueAt, api.body)
	}
}
