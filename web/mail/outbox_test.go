package mail

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// TestOutboxBounded: a burst of mails to a relay that holds every
// connection (until the test lets it go) neither blocks the sender nor
// piles up goroutines or memory: at most outboxSenders connections, at most
// outboxQueue mails waiting, the rest dropped with a log line and a count.
// Wait then sees every queued mail out.
func TestOutboxBounded(t *testing.T) {
	relay := newSlowRelay(t)
	// The log goes to a file: held in memory, it would weigh on the heap.
	logs, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer logs.Close()
	log := slog.New(slog.NewTextHandler(logs, nil))
	s, err := New("smtp+insecure://"+relay.addr, "support@example.com", log)
	if err != nil {
		t.Fatal(err)
	}
	out := NewOutbox(s, log)

	const burst = 20_000
	text := strings.Repeat("Your request is in. ", 50) // 1 KB
	goroutines := runtime.NumGoroutine()
	heap := heapInUse()
	for i := range burst {
		out.Send(Message{Kind: "ticket_received", To: fmt.Sprintf("c%d@example.org", i), Subject: "Received", Text: text})
	}
	relay.waitConnections(t, outboxSenders)
	// Every held connection is a sender and a relay session: two
	// goroutines, and a few for the relay's listener and the test.
	if g := runtime.NumGoroutine() - goroutines; g > 4*outboxSenders {
		t.Errorf("%d more goroutines after a burst of %d mails, want at most %d", g, burst, 4*outboxSenders)
	}
	if grown := heapInUse() - heap; grown > 4<<20 {
		t.Errorf("the heap grew by %d KB for a burst of %d mails, want under 4 MB", grown>>10, burst)
	}
	dropped := out.Dropped()
	if dropped < burst-outboxQueue-outboxSenders || dropped > burst-outboxQueue {
		t.Errorf("%d mails dropped, want all but the queue's %d and the %d being sent", dropped, outboxQueue, outboxSenders)
	}
	logged, err := os.ReadFile(logs.Name())
	if err != nil {
		t.Fatal(err)
	}
	if l := string(logged); strings.Count(l, "mail dropped: the outbox is full") != int(dropped) || !strings.Contains(l, "kind=ticket_received") ||
		!strings.Contains(l, fmt.Sprintf("dropped=%d\n", dropped)) || strings.Contains(l, "example.org") {
		t.Errorf("log: want each drop logged with the kind and the count, no address:\n%.500s", l)
	}

	if most := relay.most.Load(); most > outboxSenders {
		t.Errorf("the relay saw %d connections at once, want at most %d", most, outboxSenders)
	}

	relay.release()
	out.Wait()
	if got, want := relay.delivered.Load(), burst-dropped; got != want {
		t.Errorf("after Wait: %d mails delivered, want every one queued: %d", got, want)
	}
	out.Send(Message{Kind: "code", To: "late@example.org", Subject: "Code", Text: "123456"})
	out.Wait()
	if got := relay.delivered.Load(); got != burst-dropped+1 {
		t.Errorf("a mail sent after the senders went idle: %d delivered in all, want %d", got, burst-dropped+1)
	}
}

func heapInUse() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapInuse)
}

// slowRelay is a real SMTP server on loopback that holds every mail
// until release, counting the connections open at once.
type slowRelay struct {
	addr      string
	gate      chan struct{}
	open      atomic.Int64
	most      atomic.Int64
	delivered atomic.Int64
	opened    chan struct{} // one value per connection
	once      sync.Once
}

func newSlowRelay(t *testing.T) *slowRelay {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &slowRelay{addr: ln.Addr().String(), gate: make(chan struct{}), opened: make(chan struct{}, 1024)}
	s := smtp.NewServer(r)
	s.Domain = "localhost"
	s.ReadTimeout, s.WriteTimeout = time.Minute, time.Minute
	var wg sync.WaitGroup
	wg.Go(func() { _ = s.Serve(ln) })
	t.Cleanup(func() {
		r.release()
		s.Close()
		ln.Close()
		wg.Wait()
	})
	return r
}

func (r *slowRelay) release() { r.once.Do(func() { close(r.gate) }) }

// waitConnections waits until n connections have been opened.
func (r *slowRelay) waitConnections(t *testing.T, n int) {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for range n {
		select {
		case <-r.opened:
		case <-timeout:
			t.Fatalf("the relay saw fewer than %d connections", n)
		}
	}
}

// NewSession counts the connection and holds it until release.
func (r *slowRelay) NewSession(*smtp.Conn) (smtp.Session, error) {
	n := r.open.Add(1)
	for m := r.most.Load(); n > m && !r.most.CompareAndSwap(m, n); m = r.most.Load() {
	}
	r.opened <- struct{}{}
	<-r.gate
	return slowSession{r}, nil
}

type slowSession struct{ r *slowRelay }

func (slowSession) Reset()                               {}
func (s slowSession) Logout() error                      { s.r.open.Add(-1); return nil }
func (slowSession) Mail(string, *smtp.MailOptions) error { return nil }
func (slowSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s slowSession) Data(r io.Reader) error {
	_, err := io.Copy(io.Discard, r)
	s.r.delivered.Add(1)
	return err
}
