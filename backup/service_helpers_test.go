package backup

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"safedesk/store"
)

// dataFolder makes a data folder as a first start of the server leaves it
// (database, master key, backup identity and recipients) with a few
// tickets, and returns it and the tickets' subjects.
func dataFolder(t *testing.T) (string, []string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "data")
	db, err := store.OpenDir(t.Context(), dir, "", true, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := EnsureIdentity(dir); err != nil {
		t.Fatal(err)
	}
	var subjects []string
	for i := range 3 {
		s := fmt.Sprintf("Order %d has not arrived", 1000+i)
		if _, err := db.CreateTicket(t.Context(), store.NewTicket{Email: fmt.Sprintf("c%d@example.com", i), Name: "Customer", Subject: s, Body: "Where is it?"},
			store.Actor{Type: store.ActorVisitor}); err != nil {
			t.Fatal(err)
		}
		subjects = append(subjects, s)
	}
	return dir, subjects
}

// openFolder opens the data folder's database until the test ends.
func openFolder(t *testing.T, dir string) *store.DB {
	t.Helper()
	db, err := store.OpenDir(t.Context(), dir, "", false, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// logBuffer is a log that the service's goroutines may write to.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (l *logBuffer) logger() *slog.Logger { return slog.New(slog.NewTextHandler(l, nil)) }

// sentMail is one alert the service sent.
type sentMail struct{ to, subject, text string }

// mailbox records the alerts a service sends: mail leaves the process, so
// this is the one stand-in these tests use.
type mailbox struct {
	mu   sync.Mutex
	sent []sentMail
}

func (m *mailbox) Send(_ context.Context, to, subject, text string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.sent = append(m.sent, sentMail{to, subject, text})
	return nil
}

func (m *mailbox) all() []sentMail {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]sentMail(nil), m.sent...)
}

// oneLine fails unless err is an error printed on one line containing want.
func oneLine(t *testing.T, err error, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one containing %q", want)
	}
	if msg := err.Error(); strings.Contains(msg, "\n") || !strings.Contains(msg, want) {
		t.Fatalf("error %q: want one line containing %q", msg, want)
	}
}

// enrolOwner makes an active owner, who receives backup alerts.
func enrolOwner(t *testing.T, db *store.DB, email string) {
	t.Helper()
	token, err := db.CreateSetupLink(t.Context(), store.SystemActor)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.EnrollStaff(t.Context(), "setup", token, store.Enrollment{Name: "Olive Owner", Email: email,
		UserHandle: []byte("olive-handle-0001"), Passkey: store.NewPasskey{CredentialID: []byte("olive-cred"), Credential: []byte("{}")}},
		store.Actor{Type: store.ActorVisitor}); err != nil {
		t.Fatal(err)
	}
}
