package monitor

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/robfig/cron/v3"

	"safedesk/store"
)

// lineWriter hands each log line to a channel, which the test reads.
type lineWriter chan string

func (w lineWriter) Write(p []byte) (int, error) {
	select {
	case w <- string(p):
	default: // the test has what it needs; drop the rest
	}
	return len(p), nil
}

// TestSchedulerLogs: the scheduler's recovered panics and skipped runs
// reach the application's log; its own chatter stays at debug.
func TestSchedulerLogs(t *testing.T) {
	lines := make(lineWriter, 64)
	sched := NewScheduler(slog.New(slog.NewTextHandler(lines, nil)))
	release := make(chan struct{})
	if _, err := sched.AddFunc("@every 1s", func() { panic("job exploded") }); err != nil {
		t.Fatal(err)
	}
	if _, err := sched.AddFunc("@every 1s", func() { <-release }); err != nil {
		t.Fatal(err)
	}
	sched.Start()
	defer func() { <-sched.Stop().Done() }()
	defer close(release)
	var panicked, skipped bool
	timeout := time.After(10 * time.Second)
	for !panicked || !skipped {
		select {
		case l := <-lines:
			panicked = panicked || strings.Contains(l, `level=ERROR msg="scheduler: panic"`) && strings.Contains(l, "job exploded")
			skipped = skipped || strings.Contains(l, `level=WARN msg="scheduler: skip"`)
			if strings.Contains(l, "level=INFO") {
				t.Errorf("the scheduler's own chatter is above debug: %s", l)
			}
		case <-timeout:
			t.Fatalf("after 10s: panic logged %v, skipped run logged %v", panicked, skipped)
		}
	}
}

func TestOnceFiresOnce(t *testing.T) {
	at := time.Now().Add(time.Minute)
	var s cron.Schedule = Once(at)
	if next := s.Next(time.Now()); !next.Equal(at) {
		t.Errorf("before: next %s, want %s", next, at)
	}
	if next := s.Next(at.Add(time.Minute)); !next.IsZero() {
		t.Errorf("a one-off job would run again at %s", next)
	}
}

// TestApplyRetention: the retention job deletes a solved ticket older than
// the period, keeps a recent one, and logs what it deleted.
func TestApplyRetention(t *testing.T) {
	f := newFixture(t, Options{})
	ctx := context.Background()
	ticket := func(email string) int64 {
		tk, err := f.db.CreateTicket(ctx, store.NewTicket{Email: email, Name: "C", Subject: "Old order", Body: "Where is it?"}, store.SystemActor)
		if err != nil {
			t.Fatal(err)
		}
		solved := "solved"
		if _, _, err := f.db.UpdateTicket(ctx, tk.ID, store.TicketUpdate{Status: &solved}, store.SystemActor); err != nil {
			t.Fatal(err)
		}
		return tk.ID
	}
	old := ticket("old@example.com")
	f.advance(40 * 24 * time.Hour)
	recent := ticket("recent@example.com")
	lines := make(lineWriter, 16)
	s, err := New(ctx, f.db, f.mail, slog.New(slog.NewTextHandler(lines, nil)), Options{Retention: store.Retention{ResolvedTickets: 30 * 24 * time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Wait()
	s.ApplyRetention(ctx)
	if _, err := f.db.GetTicket(ctx, old); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the old solved ticket: %v, want it deleted", err)
	}
	if _, err := f.db.GetTicket(ctx, recent); err != nil {
		t.Errorf("the recent solved ticket: %v, want it kept", err)
	}
	if l := <-lines; !strings.Contains(l, `msg="retention applied" tickets=1`) {
		t.Errorf("log %q, want what was deleted", l)
	}
}
