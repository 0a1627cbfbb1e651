package mail

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// sendTimeout bounds one mail in the background, connection included.
const sendTimeout = 30 * time.Second

// Outbox sends mail in the background, so that a slow relay never holds a
// request; Wait lets shutdown (and tests) see every mail out. A failure is
// logged with the mail's kind and the relay's status only.
type Outbox struct {
	sender *Sender
	log    *slog.Logger
	wg     sync.WaitGroup
}

// NewOutbox returns an Outbox that sends through s and logs failures to log.
func NewOutbox(s *Sender, log *slog.Logger) *Outbox {
	return &Outbox{sender: s, log: log}
}

// Send starts sending m and returns at once.
func (o *Outbox) Send(m Message) { o.SendThen(m, nil) }

// SendThen is Send for a caller that acts on the outcome: done, when not
// nil, is called in the background with nil once m is sent, or with the
// *Error that kept it back.
func (o *Outbox) SendThen(m Message, done func(error)) {
	o.wg.Go(func() {
		ctx, cancel := context.WithTimeout(context.Background(), sendTimeout)
		defer cancel()
		err := o.sender.Send(ctx, m)
		if err != nil {
			o.log.Error("mail not sent", "kind", m.Kind, "err", err) // an *Error: no recipient, subject or text
		}
		if done != nil {
			done(err)
		}
	})
}

// Wait blocks until every mail started so far has been sent or has failed.
func (o *Outbox) Wait() { o.wg.Wait() }
