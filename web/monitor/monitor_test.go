package monitor

import (
	"context"
	"crypto/rand"
	"log/slog"
	"net/url"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"safedesk/security"
	"safedesk/store"
	"safedesk/web/mail"
)

// fixture is a Service over a real store in a temp folder, on a clock the
// test moves, with its mail kept in memory.
type fixture struct {
	t      *testing.T
	db     *store.DB
	offset atomic.Int64 // what the test added to the clock
	mail   *outbox
	mon    *Service
	opts   Options
}

// now is the store's clock: real time plus what advance added.
func (f *fixture) now() time.Time { return time.Now().Add(time.Duration(f.offset.Load())) }

// advance moves the clock on by d.
func (f *fixture) advance(d time.Duration) { f.offset.Add(int64(d)) }

func newFixture(t *testing.T, opts Options) *fixture {
	t.Helper()
	dir := t.TempDir()
	ring, _, err := security.LoadMasterKey(filepath.Join(dir, "master.key"), true)
	if err != nil {
		t.Fatal(err)
	}
	base, _ := url.Parse("https://help.northwind.example")
	opts.Site = mail.Site{Product: "Northwind", BaseURL: base}
	f := &fixture{t: t, mail: &outbox{}, opts: opts}
	db, err := store.Open(context.Background(), filepath.Join(dir, "safedesk.db"), ring, store.Options{Now: f.now})
	if err != nil {
		t.Fatal(err)
	}
	f.db = db
	f.mon = f.restart()
	t.Cleanup(func() {
		f.mon.Wait()
		db.Close()
	})
	return f
}

// restart returns a new Service over the same store, as after a restart.
func (f *fixture) restart() *Service {
	f.t.Helper()
	s, err := New(context.Background(), f.db, f.mail, slog.New(slog.DiscardHandler), f.opts)
	if err != nil {
		f.t.Fatal(err)
	}
	return s
}

// staff enrols an active staff member with role.
func (f *fixture) staff(role security.Role, email string) {
	f.t.Helper()
	ctx := context.Background()
	token, err := f.db.CreateInvite(ctx, email, role, 0, store.SystemActor)
	if err != nil {
		f.t.Fatal(err)
	}
	_, err = f.db.EnrollStaff(ctx, "invite", token, store.Enrollment{Name: "Staff " + string(role), Email: email, UserHandle: []byte(rand.Text()),
		Passkey: store.NewPasskey{CredentialID: []byte(rand.Text()), Name: "key", Credential: []byte("{}")}}, store.SystemActor)
	if err != nil {
		f.t.Fatal(err)
	}
}

// critical records a critical security event of kind from client.
func (f *fixture) critical(kind, client string) {
	f.t.Helper()
	err := f.db.RecordSecurityEvent(context.Background(), store.SecurityEvent{Kind: kind, Severity: store.SeverityCritical, ClientIP: client, Actor: "-"})
	if err != nil {
		f.t.Fatal(err)
	}
}

// events counts the security events of kind.
func (f *fixture) events(kind string) int {
	f.t.Helper()
	evs, err := f.db.ListSecurityEvents(context.Background(), store.EventFilter{Kind: kind})
	if err != nil {
		f.t.Fatal(err)
	}
	return len(evs)
}

// outbox keeps the mail the Service sends.
type outbox struct {
	mu   sync.Mutex
	msgs []mail.Message
}

func (o *outbox) Send(m mail.Message) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.msgs = append(o.msgs, m)
}

// take returns the mail sent since the last take.
func (o *outbox) take() []mail.Message {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := o.msgs
	o.msgs = nil
	return out
}
