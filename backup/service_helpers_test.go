package backup

import (
	"context"
	"sync"
	"testing"

	"safedesk/store"
	"safedesk/store/storetest"
)

// dataFolder makes a data folder as a first start of the server leaves it
// (database, master key, backup identity and recipients) with three
// tickets, and returns it and the tickets' subjects.
func dataFolder(t *testing.T) (string, []string) {
	t.Helper()
	dir, subjects := storetest.DataFolder(t, 3)
	if _, err := EnsureIdentity(dir); err != nil {
		t.Fatal(err)
	}
	return dir, subjects
}

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
