package mail

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Limits of the outbox. With a relay that takes the whole sendTimeout per
// mail, a burst of requests piles up at most outboxQueue mails and
// outboxSenders connections, whatever its size; the rest is dropped.
const (
	// sendTimeout bounds one mail in the background, connection included.
	sendTimeout = 30 * time.Second
	// outboxSenders is how many mails are sent at once.
	outboxSenders = 4
	// outboxQueue is how many mails wait for a sender.
	outboxQueue = 256
	// drainTimeout bounds Wait: a relay that stalls cannot hold a shutdown
	// for the queue's worth of timeouts.
	drainTimeout = time.Minute
)

// Outbox sends mail in the background, so that a slow relay never holds a
// request: mails wait in a bounded queue for one of a few senders, and a
// mail that finds the queue full is dropped, logged and counted (Dropped).
// Wait lets shutdown (and tests) see every mail out. A failure is logged
// with the mail's kind and the relay's status only.
type Outbox struct {
	sender *Sender
	log    *slog.Logger
	queue  chan queued

	mu      sync.Mutex
	senders int // sender goroutines running

	pending sync.WaitGroup // mails queued or being sent
	dropped atomic.Int64
}

// errOutboxFull is the outcome of a mail dropped because the queue was full.
var errOutboxFull = errors.New("mail: the outbox is full")

// queued is a mail waiting for a sender and what to call with its outcome.
type queued struct {
	m    Message
	done func(error) // nil: nobody waits on the outcome
}

// NewOutbox returns an Outbox that sends through s and logs failures to log.
func NewOutbox(s *Sender, log *slog.Logger) *Outbox {
	return &Outbox{sender: s, log: log, queue: make(chan queued, outboxQueue)}
}

// Send queues m and returns at once; when the queue is full, m is dropped
// with an error in the log.
func (o *Outbox) Send(m Message) { o.SendThen(m, nil) }

// SendThen is Send for a caller that acts on the outcome: done, when not
// nil, is called in the background with nil once m is sent, or with the
// error that kept it back (the queue full included).
func (o *Outbox) SendThen(m Message, done func(error)) {
	o.pending.Add(1)
	select {
	case o.queue <- queued{m, done}:
	default:
		o.pending.Done()
		o.log.Error("mail dropped: the outbox is full", "kind", m.Kind, "queued", outboxQueue, "dropped", o.dropped.Add(1))
		if done != nil {
			done(errOutboxFull)
		}
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.senders < outboxSenders {
		o.senders++
		go o.run()
	}
}

// run sends queued mails until the queue is empty. A sender stops only
// under the lock, with the queue seen empty: a mail queued after that
// starts a sender of its own (Send).
func (o *Outbox) run() {
	for {
		o.mu.Lock()
		var q queued
		select {
		case q = <-o.queue:
		default:
			o.senders--
			o.mu.Unlock()
			return
		}
		o.mu.Unlock()
		err := o.send(q.m)
		if q.done != nil {
			q.done(err)
		}
		o.pending.Done()
	}
}

// send sends m within sendTimeout and logs a failure.
func (o *Outbox) send(m Message) error {
	ctx, cancel := context.WithTimeout(context.Background(), sendTimeout)
	defer cancel()
	err := o.sender.Send(ctx, m)
	if err != nil {
		o.log.Error("mail not sent", "kind", m.Kind, "err", err) // an *Error: no recipient, subject or text
	}
	return err
}

// Dropped is how many mails found the queue full.
func (o *Outbox) Dropped() int64 { return o.dropped.Load() }

// Wait blocks until every mail queued so far has been sent or has failed,
// or drainTimeout has passed: then it logs that mail was left unsent.
func (o *Outbox) Wait() {
	done := make(chan struct{})
	go func() {
		o.pending.Wait()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(drainTimeout):
		o.log.Error("mail left unsent: the relay did not take it in time", "queued", len(o.queue), "waited", drainTimeout)
	}
}
