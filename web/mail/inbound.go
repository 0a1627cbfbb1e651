package mail

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-imap/v2"

	"safedesk/security"
	"safedesk/store"
)

// Inbox reads the support mailbox: main's scheduler calls Poll every
// --imap-interval, and Watch keeps an IDLE connection that wakes the same
// Poll as soon as mail arrives, where the server offers IDLE. Each message
// is parsed, its sender authenticated, its place found, stored in one
// transaction (store.ImportEmail), and only then marked \Seen. A round
// that fails is retried with capped exponential backoff; the first
// failure of a run and the recovery are logged and the failure alerted
// once, never every retry.
type Inbox struct {
	opts    InboundOptions
	db      *store.DB
	threads *Threads
	log     *slog.Logger
	alert   func() // mails the owners about a new critical security event
	fileMax int64  // the largest file stored (--attachment-max-size)

	mu       sync.Mutex  // one round at a time
	failures int         // rounds failed in a row
	nextTry  time.Time   // no round before, after failures
	idle     atomic.Bool // an IDLE connection is up (Watch)
	// reached is set when an IDLE connection has just logged in and
	// selected the mailbox: the next round runs even if failed rounds
	// hold them back, since the mailbox is evidently reachable again.
	reached atomic.Bool
	// idleRetry is the first wait before Watch opens a lost IDLE
	// connection again (idleBackoff).
	idleRetry time.Duration

	wake      chan struct{}
	now       func() time.Time
	lookupTXT func(domain string) ([]string, error) // DNS for DKIM; nil is the system's
}

// InboxDeps are what an Inbox works with.
type InboxDeps struct {
	DB      *store.DB
	Threads *Threads
	Log     *slog.Logger
	// Alert mails the owners and admins about new critical security
	// events now (monitor.Service.AlertNow); nil waits for the minute.
	Alert func()
	// FileMaxSize is the largest file stored from a message
	// (--attachment-max-size; store.DefaultAttachmentMaxSize when zero):
	// a larger one is noted on the message, not stored.
	FileMaxSize int64
}

// NewInbox returns the Inbox of validated options.
func NewInbox(opts InboundOptions, d InboxDeps) (*Inbox, error) {
	if !opts.Enabled() {
		return nil, errors.New("mail: no --imap mailbox")
	}
	if d.Alert == nil {
		d.Alert = func() {}
	}
	return &Inbox{opts: opts, db: d.DB, threads: d.Threads, log: d.Log, alert: d.Alert, fileMax: d.FileMaxSize,
		wake: make(chan struct{}, 1), now: time.Now, idleRetry: time.Second}, nil
}

// Mailbox names the mailbox without credentials.
func (in *Inbox) Mailbox() string { return in.opts.server.display }

// Status is the mailbox's state as the last round left it.
func (in *Inbox) Status(ctx context.Context) (store.Mailbox, error) {
	return in.db.GetMailbox(ctx, in.Mailbox())
}

// maxBackoff caps the wait between failed rounds.
const maxBackoff = 15 * time.Minute

// Poll reads the new messages of the mailbox, unless failures hold it
// back for now (and no IDLE connection has logged in since). Its error is also recorded for the settings page.
func (in *Inbox) Poll(ctx context.Context) error {
	in.mu.Lock()
	defer in.mu.Unlock()
	lifted := in.reached.Swap(false)
	if in.now().Before(in.nextTry) && !lifted {
		return nil
	}
	err := in.round(ctx)
	if ctx.Err() != nil {
		return err // shutting down: not the mailbox's fault
	}
	in.settle(ctx, err)
	return err
}

// settle records how a round went and schedules the next try.
func (in *Inbox) settle(ctx context.Context, err error) {
	failure := ""
	if err != nil {
		failure = err.Error()
		in.failures++
		d := min(in.opts.Interval<<min(in.failures, 10), maxBackoff)
		d += time.Duration(rand.Int64N(int64(d)/5 + 1)) // jitter, so that restarts do not knock in step
		in.nextTry = in.now().Add(d)
	} else {
		in.failures, in.nextTry = 0, time.Time{}
	}
	change, serr := in.db.MailboxPolled(context.WithoutCancel(ctx), in.Mailbox(), failure, in.idle.Load())
	switch {
	case serr != nil:
		in.log.Error("mailbox status not saved", "err", serr)
	case change.FirstFailure:
		in.log.Error("mailbox failing: retrying with backoff, the owners are alerted once", "mailbox", in.Mailbox(), "err", err)
	case change.Recovered:
		in.log.Info("mailbox works again", "mailbox", in.Mailbox())
	}
	if change.Alert {
		in.alert()
	}
}

// round connects, reads every message past the position and logs out.
func (in *Inbox) round(ctx context.Context) error {
	sess, err := connectIMAP(ctx, in.opts.server, in.opts.RootCAs, nil)
	if err != nil {
		return err
	}
	defer sess.close()
	mb, round, err := in.db.OpenMailbox(ctx, in.Mailbox(), sess.sel.UIDValidity, uint32(sess.sel.UIDNext))
	if err != nil {
		return err
	}
	all, todo, err := sess.newUIDs(mb.LastUID, roundCriteria(round, mb))
	if err != nil {
		return err
	}
	pos := store.MailPosition{Mailbox: in.Mailbox(), UIDValidity: sess.sel.UIDValidity}
	for len(todo) > 0 {
		batch := todo[:min(len(todo), 50)]
		todo = todo[len(batch):]
		if err := in.batch(ctx, sess, pos, batch); err != nil {
			return err
		}
	}
	if len(all) > 0 {
		pos.UID = uint32(all[len(all)-1])
		return in.db.SkipTo(ctx, pos)
	}
	return nil
}

// roundCriteria is which of the messages past the position a round reads
// (nil: all). The first round ever reads only what nobody has read yet:
// years of read mail are no new requests. A renumbered mailbox is read
// again from its first message, back to the day safedesk first read it,
// by the email log's Message-ID and content (no duplicates), read or not.
func roundCriteria(round string, mb store.Mailbox) *imap.SearchCriteria {
	switch round {
	case store.RoundFirst:
		return &imap.SearchCriteria{NotFlag: []imap.Flag{imap.FlagSeen}}
	case store.RoundRenumbered:
		return &imap.SearchCriteria{Since: mb.FirstReadAt.AddDate(0, 0, -1)}
	}
	return nil
}

// batch imports the messages uids, one at a time.
func (in *Inbox) batch(ctx context.Context, sess *imapSession, pos store.MailPosition, uids []imap.UID) error {
	sizes, err := sess.sizes(uids)
	if err != nil {
		return err
	}
	for _, uid := range uids {
		pos.UID = uint32(uid)
		size, ok := sizes[uid]
		if !ok {
			continue // expunged meanwhile
		}
		if size > int64(in.opts.MaxSize) {
			err = in.db.RecordSkippedEmail(ctx, store.SkippedEmail{MailPosition: pos, Outcome: store.EmailTooLarge, Size: size,
				Reason: fmt.Sprintf("larger than --email-max-size (%s)", in.opts.MaxSize.String())})
			in.alert()
		} else {
			var raw []byte
			if raw, err = sess.fetch(uid); errors.Is(err, errGone) {
				continue
			} else if err == nil {
				err = in.Import(ctx, pos, raw)
			}
		}
		if err != nil {
			return err
		}
		if err := sess.markSeen(uid); err != nil {
			// Committed already: a missing \Seen is cosmetic.
			in.log.Warn("could not mark a message \\Seen", "uid", uid, "err", err)
		}
	}
	return nil
}

// Import imports one message (raw, as fetched) read at pos: see the
// comment on Inbox. A message that cannot be read is logged as such and
// skipped; only a failure to store it is an error.
func (in *Inbox) Import(ctx context.Context, pos store.MailPosition, raw []byte) (err error) {
	up := in.db.NewUpload(in.fileMax)
	defer func() { err = errors.Join(err, up.Discard(context.WithoutCancel(ctx))) }() // whatever the import did not take
	var notStored []store.AttachmentNote
	p, err := ParseMessage(raw, func(a Attachment) error { return stageAttachment(ctx, up, &notStored, a) })
	if err != nil {
		return in.skip(ctx, pos, int64(len(raw)), err.Error())
	}
	if p.Bounce != nil || isDaemonBounce(p) {
		return in.bounce(ctx, pos, p, int64(len(raw)))
	}
	verdict := security.AuthenticateSender(security.MailSender{From: p.From, AuthResults: p.AuthResults, LocalDKIM: in.localDKIM(ctx, raw)},
		in.opts.trust)
	e := store.InboundEmail{MailPosition: pos, MessageID: p.MessageID, ContentHash: p.BodyHash[:], Size: int64(len(raw)),
		References: p.References, ReplyTokens: ReplyTokens(p.Recipients, in.opts.support), FromName: p.FromName,
		Subject: p.Subject, Text: p.Text, FullText: p.FullText, Headers: p.Headers,
		Authenticated: verdict.Authenticated, Verdict: verdict.Reason, Automatic: security.IsAutomatic(p.Loop), AutoReply: security.IsAutoReply(p.Loop),
		AutoReplyRefusal: security.AutoReplyRefusal(p.Loop, in.ownAddresses()), Upload: up, NotStored: notStored, Lang: messageLanguage(p)}
	if len(p.From) > 0 {
		e.From = p.From[0]
	}
	if e.AutoReplyRefusal == "" {
		e.AckMessageID = in.threads.NewMessageID()
	}
	if e.Lang == "" { // nothing to tell by: the site's language, as it is now
		if e.Lang, err = in.db.KBLanguage(ctx); err != nil {
			return err
		}
	}
	if e.Lookalike, err = in.db.IsLookalikeSender(ctx, e.From); err != nil {
		return err
	}
	res, err := in.db.ImportEmail(ctx, e)
	var verr *store.ValidationError
	if errors.As(err, &verr) {
		return in.skip(ctx, pos, int64(len(raw)), "no usable From address")
	}
	if err != nil {
		return err
	}
	if res.Acknowledge {
		tk, err := in.db.GetTicket(ctx, res.TicketID)
		if err != nil {
			return err
		}
		return in.threads.SendAcknowledgment(ctx, tk, e.From, e.AckMessageID)
	}
	return nil
}

// stageAttachment hands one file of an incoming message to the attachment
// store, as every upload: it checks the name and the type by content,
// strips photo metadata and seals the file in chunks. ImportEmail then
// links it to the message, or holds it with a held reply. A file the store
// refuses (larger than --attachment-max-size, of a type it does not take,
// one too many) is not stored: its name, size and why are noted on the
// message for staff, who find it in the mailbox.
func stageAttachment(ctx context.Context, up *store.Upload, notStored *[]store.AttachmentNote, a Attachment) error {
	name := security.CleanFilename(a.Name)
	body := &countingReader{r: a.Body}
	_, err := up.Add(ctx, name, body)
	var refused *store.AttachmentError
	if !errors.As(err, &refused) {
		return err
	}
	if _, err := io.Copy(io.Discard, body); err != nil { // the rest, for its size
		return err
	}
	*notStored = append(*notStored, store.AttachmentNote{Name: name, ContentType: a.ContentType, Size: body.n, Problem: refused.Problem})
	return nil
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// skip records a message that is not imported.
func (in *Inbox) skip(ctx context.Context, pos store.MailPosition, size int64, why string) error {
	in.log.Warn("a message in the mailbox was not imported", "uid", pos.UID, "reason", why)
	return in.db.RecordSkippedEmail(ctx, store.SkippedEmail{MailPosition: pos, Outcome: store.EmailUnreadable, Size: size, Reason: why})
}

// bounce marks the ticket whose mail came back.
func (in *Inbox) bounce(ctx context.Context, pos store.MailPosition, p *Parsed, size int64) error {
	b := store.InboundBounce{MailPosition: pos, MessageID: p.MessageID, ContentHash: p.BodyHash[:], Size: size, Original: p.References}
	if p.Bounce != nil {
		b.Original, b.Status = append(p.Bounce.Original, p.References...), p.Bounce.Status
	}
	_, err := in.db.RecordBounce(ctx, b)
	return err
}

// isDaemonBounce recognises a bounce that is no delivery status report: a
// mail from a mailer daemon with an empty return path.
func isDaemonBounce(p *Parsed) bool {
	return p.Loop.HasReturnPath && p.Loop.ReturnPath == "" && len(p.From) == 1 &&
		security.AutoReplyRefusal(security.MailHeaders{From: p.From[0]}, nil) != ""
}

// ownAddresses are the addresses that are ours: mail from them is never
// answered automatically.
func (in *Inbox) ownAddresses() []string {
	return []string{in.opts.support, in.opts.from, in.opts.server.user}
}
