package mail

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2/imapclient"
)

// Watch runs the rounds that Wake asks for, one at a time, and keeps an
// IDLE connection to the mailbox, until ctx ends. It starts with a round.
// When the server says that new mail exists, it wakes a round at once,
// run from a goroutine of its own so that the IDLE connection keeps
// listening; Poll does the work, exactly as when it is called directly. A server without IDLE is
// left to the scheduled Poll. A lost connection is opened again after a
// capped exponential backoff with jitter; its failures are not logged one
// by one (Poll reports a failing mailbox).
func (in *Inbox) Watch(ctx context.Context) {
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() { in.wakeLoop(ctx) })
	in.Wake() // the first round now, not after a whole interval
	failures := 0
	for {
		supported, err := in.idleOnce(ctx)
		if ctx.Err() != nil {
			return
		}
		if !supported {
			in.log.Info("the mail server offers no IDLE: the mailbox is read every --imap-interval", "mailbox", in.Mailbox())
			return
		}
		if err != nil {
			failures++
			in.log.Debug("IDLE connection lost", "err", err)
		} else {
			failures = 0
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(idleBackoff(in.idleRetry, failures, rand.Int64N)):
		}
	}
}

// idleBackoff is the wait before opening the IDLE connection again after
// failures lost connections in a row: base, doubled for each failure,
// capped at maxBackoff, plus a random part of up to half of that (from
// random, rand.Int64N) so that many servers behind one provider do not
// come back in step.
func idleBackoff(base time.Duration, failures int, random func(int64) int64) time.Duration {
	d := min(base<<min(failures, 10), maxBackoff)
	return d + time.Duration(random(int64(d)/2+1))
}

// Wake asks for a round now; rounds asked for while one runs become one.
func (in *Inbox) Wake() {
	select {
	case in.wake <- struct{}{}:
	default:
	}
}

// wakeLoop runs the rounds Wake asks for.
func (in *Inbox) wakeLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-in.wake:
			if err := in.Poll(ctx); err != nil {
				in.log.Debug("mailbox round woken by IDLE failed", "err", err) // Poll recorded it
			}
		}
	}
}

// idleOnce opens one IDLE connection and waits on it until ctx ends or the
// connection is lost. supported is false when the server has no IDLE.
func (in *Inbox) idleOnce(ctx context.Context) (supported bool, err error) {
	handler := &imapclient.UnilateralDataHandler{Mailbox: func(d *imapclient.UnilateralDataMailbox) {
		if d.NumMessages != nil {
			in.Wake()
		}
	}}
	sess, err := connectIMAP(ctx, in.opts.server, in.opts.RootCAs, handler)
	if err != nil {
		return true, err
	}
	defer sess.close()
	if !sess.idle {
		return false, nil
	}
	cmd, err := sess.c.Idle()
	if err != nil {
		return true, err
	}
	in.idle.Store(true)
	defer in.idle.Store(false)
	in.reached.Store(true) // a round held back by failures may run now
	in.Wake()              // whatever arrived while nothing listened
	select {
	case <-ctx.Done():
		return true, cmd.Close()
	case <-sess.c.Closed():
		return true, errors.New("the server closed the IDLE connection")
	}
}
