package mail

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"safedesk/web/mail/mailtest"
)

// lockedBuffer is a log that goroutines write to at the same time.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// watch runs env.inbox.Watch until the test ends.
func watch(t *testing.T, env *inboxEnv) {
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() {
		defer close(done)
		env.inbox.Watch(ctx)
	}()
	t.Cleanup(func() {
		cancel()
		<-done
	})
}

// throughProxy points env's inbox at a proxy to its IMAP server.
func throughProxy(t *testing.T, env *inboxEnv, hideIdle bool) *mailtest.Proxy {
	p := env.imap.Proxy(t, hideIdle)
	srv, err := parseIMAP(p.URL())
	if err != nil {
		t.Fatal(err)
	}
	srv.password = env.inbox.opts.server.password
	env.inbox.opts.server = srv
	return p
}

// TestInboxIdleReconnects: when the network drops the IDLE connection,
// Watch opens it again after its backoff, and new mail is read at once on
// the new connection, without a scheduled round.
func TestInboxIdleReconnects(t *testing.T) {
	env := newInboxEnv(t, nil, nil)
	proxy := throughProxy(t, env, false)
	env.inbox.idleRetry = 5 * time.Millisecond
	watch(t, env)
	waitFor(t, func() bool { return env.inbox.idle.Load() })
	for drop := range 3 {
		before := proxy.Accepted()
		proxy.Drop()
		waitFor(t, func() bool { return proxy.Accepted() > before && env.inbox.idle.Load() })
		raw := bytes.Replace(mailtest.Fixture(t, "gmail-new.eml"), []byte("gmail-new@"), []byte("drop-"+strconv.Itoa(drop)+"@"), 1)
		env.imap.Deliver(t, raw)
		waitFor(t, func() bool { return len(env.tickets(t)) == drop+1 }, "drop %d: the message delivered after it never became a ticket", drop)
	}
}

// TestInboxIdleLiftsBackoff: rounds held back after failures run as
// soon as an IDLE connection logs in again, instead of after the backoff
// (minutes), which would leave mail unread although the mailbox is back.
func TestInboxIdleLiftsBackoff(t *testing.T) {
	env := newInboxEnv(t, nil, nil)
	env.inbox.opts.server.password = "wrong-password-123"
	if err := env.inbox.Poll(t.Context()); err == nil {
		t.Fatal("no error with a wrong password")
	}
	env.imap.Deliver(t, mailtest.Fixture(t, "gmail-new.eml"))
	if err := env.inbox.Poll(t.Context()); err != nil || len(env.tickets(t)) != 0 {
		t.Fatalf("a round ran during the backoff: %v", err)
	}
	env.inbox.opts.server.password = mailtest.Password
	watch(t, env)
	waitFor(t, func() bool { return len(env.tickets(t)) == 1 }, "the mail waited for the backoff although IDLE logged in")
}

// TestInboxWithoutIdle: a server that offers no IDLE is said so once in
// the log, never watched, and left to the scheduled rounds, which read
// its mail.
func TestInboxWithoutIdle(t *testing.T) {
	var logs lockedBuffer
	env := newInboxEnv(t, &logs, nil)
	throughProxy(t, env, true)
	watch(t, env)
	waitFor(t, func() bool { return strings.Contains(logs.String(), "offers no IDLE") })
	if env.inbox.idle.Load() {
		t.Fatal("IDLE is up on a server that does not offer it")
	}
	env.imap.Deliver(t, mailtest.Fixture(t, "gmail-new.eml"))
	env.poll(t) // the scheduled round (--imap-interval)
	if n := len(env.tickets(t)); n != 1 {
		t.Fatalf("%d tickets after the scheduled round, want 1", n)
	}
	if n := strings.Count(logs.String(), "offers no IDLE"); n != 1 {
		t.Errorf("%d log lines about IDLE, want 1", n)
	}
}

// TestIdleBackoff: the wait doubles with each lost connection, is capped,
// and adds at most half again at random.
func TestIdleBackoff(t *testing.T) {
	none := func(int64) int64 { return 0 }
	most := func(n int64) int64 { return n - 1 }
	for _, c := range []struct {
		failures  int
		low, high time.Duration
	}{
		{0, time.Second, 1500 * time.Millisecond},
		{1, 2 * time.Second, 3 * time.Second},
		{3, 8 * time.Second, 12 * time.Second},
		{20, maxBackoff, maxBackoff * 3 / 2},
	} {
		if got := idleBackoff(time.Second, c.failures, none); got != c.low {
			t.Errorf("after %d failures: %s without jitter, want %s", c.failures, got, c.low)
		}
		if got := idleBackoff(time.Second, c.failures, most); got != c.high {
			t.Errorf("after %d failures: %s with the most jitter, want %s", c.failures, got, c.high)
		}
	}
}
