package monitor

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/robfig/cron/v3"
)

// syncBuffer is a bytes.Buffer that the scheduler's goroutines may write to.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestSchedulerLogs: the scheduler's recovered panics and skipped runs
// reach the application's log.
func TestSchedulerLogs(t *testing.T) {
	logs := &syncBuffer{}
	sched := NewScheduler(slog.New(slog.NewTextHandler(logs, nil)))
	release := make(chan struct{})
	if _, err := sched.AddFunc("@every 1s", func() { panic("job exploded") }); err != nil {
		t.Fatal(err)
	}
	if _, err := sched.AddFunc("@every 1s", func() { <-release }); err != nil {
		t.Fatal(err)
	}
	sched.Start()
	deadline := time.Now().Add(10 * time.Second)
	for {
		l := logs.String()
		if strings.Contains(l, `level=ERROR msg="scheduler: panic"`) && strings.Contains(l, "job exploded") &&
			strings.Contains(l, `level=WARN msg="scheduler: skip"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no panic and skipped run in the log:\n%s", l)
		}
		time.Sleep(20 * time.Millisecond)
	}
	close(release)
	<-sched.Stop().Done()
	if strings.Contains(logs.String(), "level=INFO") {
		t.Errorf("the scheduler's own chatter is above debug:\n%s", logs.String())
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
