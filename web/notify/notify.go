// Package notify tells staff about new work by email: a new ticket nobody
// is assigned to, a customer's reply on their ticket, a ticket assigned to
// them, a chat waiting for a person, a due time about to be missed.
//
// Events come from the store's notification queue, which the store fills
// from the audit log in the transaction that moves its cursor
// (store.CollectNotifications): every committed change is queued once,
// whatever part of safedesk made it, and a crash loses none. Service.Run,
// which main's scheduler calls every minute, queues what happened since
// the last run and sends each person one mail listing it all, so that many
// events at once make one mail; Digest sends the daily summary of those
// who chose it. Each notification is claimed and marked sent before its
// mail goes out, so nobody hears of an event twice; one the relay could
// not take for now goes back in the queue.
//
// Mails carry no ticket text, subject or customer address: a number, the
// customer masked, and a link into the panel, where the person signs in.
package notify

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"safedesk/security"
	"safedesk/store"
	"safedesk/web/mail"
)

// Mailer sends mail in the background and reports the outcome:
// *mail.Outbox.
type Mailer interface {
	SendThen(m mail.Message, done func(error))
}

// Options configures a Service.
type Options struct {
	// Site names the product and the base URL the links point under.
	Site mail.Site
	// DueWindow is how long before a due time its person is warned (an
	// hour when zero).
	DueWindow time.Duration
	// DigestSchedule is when the daily digest goes out, a cron spec in UTC
	// (main schedules it).
	DigestSchedule string
}

// DefaultOptions are the defaults of Options' flags.
func DefaultOptions() Options {
	return Options{DueWindow: time.Hour, DigestSchedule: "0 7 * * *"}
}

// Flags adds the notification flags.
func (o *Options) Flags(fs *flag.FlagSet) {
	fs.DurationVar(&o.DueWindow, "notify-due-window", o.DueWindow, "warn staff who chose it this long before a ticket's due time")
	fs.StringVar(&o.DigestSchedule, "notify-digest", o.DigestSchedule, `when the daily notification digest goes out, a cron spec in UTC ("0 7 * * *": 07:00)`)
}

// Validate checks the window and the digest's schedule.
func (o *Options) Validate() error {
	if o.DueWindow < time.Minute || o.DueWindow > 7*24*time.Hour {
		return errors.New("--notify-due-window must be between 1m and 168h")
	}
	if _, err := cron.ParseStandard(o.DigestSchedule); err != nil {
		return fmt.Errorf("--notify-digest %q: %v", o.DigestSchedule, err)
	}
	return nil
}

// Service sends staff notifications (see the package comment).
type Service struct {
	db   *store.DB
	mail Mailer
	log  *slog.Logger
	opts Options
}

// New returns the Service.
func New(db *store.DB, m Mailer, log *slog.Logger, opts Options) *Service {
	if opts.DueWindow <= 0 {
		opts.DueWindow = time.Hour
	}
	return &Service{db: db, mail: m, log: log, opts: opts}
}

// keepSent is how long sent notifications are kept: past it, a due time
// that has not moved could be announced again.
const keepSent = 30 * 24 * time.Hour

// Run queues what happened since the last run and due times about to be
// missed, and mails each person who chose "at once" one mail listing it.
// main runs it every minute.
func (s *Service) Run(ctx context.Context) {
	for more := true; more; {
		var err error
		if _, more, err = s.db.CollectNotifications(ctx); err != nil {
			s.log.Error("staff notifications not collected", "err", err)
			return
		}
	}
	if _, err := s.db.QueueDueSoon(ctx, s.opts.DueWindow); err != nil {
		s.log.Error("due-time warnings not queued", "err", err)
	}
	if err := s.send(ctx, false); err != nil {
		s.log.Error("staff notifications not sent", "err", err)
	}
}

// Digest mails each person who chose the daily digest what happened since
// the last one, and forgets notifications sent long ago. main runs it on
// Options.DigestSchedule.
func (s *Service) Digest(ctx context.Context) {
	s.Run(ctx) // the digest covers everything up to now
	if err := s.send(ctx, true); err != nil {
		s.log.Error("notification digest not sent", "err", err)
	}
	if _, err := s.db.PruneNotifications(ctx, s.db.Now().Add(-keepSent)); err != nil {
		s.log.Error("old notifications not pruned", "err", err)
	}
}

// send claims the waiting notifications (the digest's or the others) and
// mails one message per person.
func (s *Service) send(ctx context.Context, digest bool) error {
	ns, err := s.db.ClaimNotifications(ctx, digest)
	if err != nil || len(ns) == 0 {
		return err
	}
	for start := 0; start < len(ns); {
		end := start
		for end < len(ns) && ns[end].StaffID == ns[start].StaffID {
			end++
		}
		if err := s.mailPerson(ctx, ns[start:end], digest); err != nil {
			s.log.Error("staff notification", "staff", ns[start].StaffID, "err", err)
		}
		start = end
	}
	return nil
}

// mailPerson sends one person's notifications as one mail. A person
// without an address is noted for the staff page instead.
func (s *Service) mailPerson(ctx context.Context, ns []store.Notification, digest bool) error {
	st, err := s.db.GetStaff(ctx, ns[0].StaffID)
	if errors.Is(err, store.ErrNotFound) {
		return nil // gone since: the rows went with them
	}
	if err != nil {
		return err
	}
	if !st.Active() {
		return nil
	}
	if strings.TrimSpace(st.Email) == "" {
		return s.db.RecordMailFailure(ctx, st.ID, "no address")
	}
	var lines []string
	for _, n := range ns {
		if l, ok := s.line(ctx, n); ok {
			lines = append(lines, l)
		}
	}
	if len(lines) == 0 {
		return nil // every ticket erased since
	}
	ids := make([]int64, len(ns))
	for i, n := range ns {
		ids[i] = n.ID
	}
	s.mail.SendThen(s.message(st, lines, digest), func(err error) { s.delivered(st.ID, ids, err) })
	return nil
}

// delivered acts on the relay's answer for a person's mail: a temporary
// refusal puts the notifications back for the next run; a permanent one
// shows on the staff page; success clears what the page showed.
func (s *Service) delivered(staffID int64, ids []int64, err error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var me *mail.Error
	switch {
	case err == nil:
		err = s.db.RecordMailFailure(ctx, staffID, "")
	case errors.As(err, &me) && me.Temporary:
		err = s.db.ReleaseNotifications(ctx, ids)
	case errors.As(err, &me):
		err = s.db.RecordMailFailure(ctx, staffID, me.Error())
	default:
		err = s.db.RecordMailFailure(ctx, staffID, "not sent")
	}
	if err != nil {
		s.log.Error("staff notification outcome not recorded", "staff", staffID, "err", err)
	}
}

// message is the mail to st listing lines.
func (s *Service) message(st store.Staff, lines []string, digest bool) mail.Message {
	product := s.opts.Site.Name()
	subject := fmt.Sprintf("[%s] %s", product, strings.SplitN(lines[0], ":", 2)[0])
	if len(lines) > 1 {
		subject = fmt.Sprintf("[%s] %d updates for you", product, len(lines))
	}
	intro := "here is what needs you:"
	if digest {
		subject = fmt.Sprintf("[%s] Your daily summary: %d updates", product, len(lines))
		intro = "here is what happened since yesterday's summary:"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Hello %s,\n\n%s\n\n", firstName(st.Name), intro)
	for _, l := range lines {
		b.WriteString("- " + l + "\n")
	}
	fmt.Fprintf(&b, "\nThis mail holds no ticket text: sign in to read it.\nChoose what you hear about, and when, at %s\n\n%s\n",
		s.opts.Site.Link("/admin/me/notifications"), product)
	kind := "staff_notification"
	if digest {
		kind = "staff_digest"
	}
	return mail.Message{Kind: kind, To: st.Email, Subject: subject, Text: b.String()}
}

// line describes one notification: what, which ticket, whose (masked), and
// the link. ok is false for a ticket or chat that is gone.
func (s *Service) line(ctx context.Context, n store.Notification) (string, bool) {
	if n.Event == store.NotifyChatWaiting {
		return "A chat is waiting for a person: " + s.opts.Site.Link("/admin/chats/"+strconv.FormatInt(n.ChatID, 10)), true
	}
	t, err := s.db.GetTicket(ctx, n.TicketID)
	if err != nil {
		return "", false
	}
	who := "customer #" + strconv.FormatInt(t.CustomerID, 10)
	if c, err := s.db.GetCustomer(ctx, t.CustomerID); err == nil {
		who = security.MaskEmail(c.Email)
	}
	link := s.opts.Site.Link("/admin/tickets/" + strconv.FormatInt(t.ID, 10))
	switch n.Event {
	case store.NotifyNewTicket:
		return fmt.Sprintf("New ticket #%d from %s: %s", t.ID, who, link), true
	case store.NotifyCustomerReply:
		return fmt.Sprintf("Customer reply on your ticket #%d (%s): %s", t.ID, who, link), true
	case store.NotifyAssigned:
		return fmt.Sprintf("Ticket #%d (%s) assigned to you: %s", t.ID, who, link), true
	case store.NotifyDueSoon:
		if t.DueAt.IsZero() {
			return "", false // answered since
		}
		return fmt.Sprintf("Ticket #%d (%s) is due %s: %s", t.ID, who, t.DueAt.UTC().Format("Mon 2 Jan 15:04 UTC"), link), true
	}
	return "", false
}

// firstName is the first word of a name.
func firstName(name string) string {
	if f := strings.Fields(name); len(f) > 0 {
		return f[0]
	}
	return "there"
}
