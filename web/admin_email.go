package web

import (
	"cmp"
	"context"
	"errors"
	"net/http"
	netmail "net/mail"
	"net/url"
	"strconv"

	"safedesk/security"
	"safedesk/store"
	"safedesk/templates"
	"safedesk/web/httpx"
	"safedesk/web/mail"
)

// EmailConfig is the email channel as the web layer sees it: the validated
// --imap settings. With a mailbox, New makes the Inbox that reads it
// (Server.Inbox, scheduled by main); without one, mail about tickets is
// still threaded, under --mail-from's address.
type EmailConfig struct {
	Options mail.InboundOptions
}

// initEmail sets up the mail about tickets, threaded both ways, and with a
// mailbox the Inbox that reads it.
func (s *Server) initEmail() error {
	o := s.cfg.Email.Options
	s.threads = mail.NewThreads(s.db, s.mail, s.site, cmp.Or(o.Support(), mailAddress(s.cfg.MailFrom)))
	if !o.Enabled() {
		return nil
	}
	var err error
	s.inbox, err = mail.NewInbox(o, mail.InboxDeps{DB: s.db, Threads: s.threads, Log: s.log, Alert: s.mon.AlertNow,
		FileMaxSize: s.cfg.Attachments.MaxSize})
	return err
}

// Inbox reads the support mailbox; nil without --imap. main schedules its
// rounds and runs its watcher (mail.Inbox.Watch).
func (s *Server) Inbox() *mail.Inbox { return s.inbox }

func (s *Server) adminEmail(w http.ResponseWriter, r *http.Request) {
	held, err := s.db.ListQuarantine(r.Context(), store.QuarantineFilter{Limit: 100})
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	skipped, err := s.db.ListSkippedEmail(r.Context(), 50)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	mb, err := s.mailboxStatus(r.Context())
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, templates.AdminEmail(templates.AdminEmailProps{
		AdminPage: s.adminPageProps(r, "Email", "email"), Mailbox: mb, Held: maskHeld(held), Skipped: skipped,
		CanEdit: s.currentStaff(r).Role.Can(security.PermTicketsWrite),
	}))
}

// mailboxStatus is how reading the mailbox goes.
func (s *Server) mailboxStatus(ctx context.Context) (templates.MailboxStatus, error) {
	o := s.cfg.Email.Options
	m := templates.MailboxStatus{Configured: s.inbox != nil, Mailbox: o.Mailbox(), Support: s.threads.Support(),
		Trust: o.Trust().String(), Interval: o.Interval}
	if s.inbox == nil {
		return m, nil
	}
	st, err := s.inbox.Status(ctx)
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return m, err
	default:
		m.State, m.Polled = st, !st.PolledAt.IsZero()
	}
	return m, nil
}

// maskHeld masks the senders of held replies, as every address in the
// panel is masked: the full address is a reveal (a message's headers,
// audited).
func maskHeld(held []store.QuarantinedEmail) []store.QuarantinedEmail {
	for i := range held {
		held[i].Sender = security.MaskEmail(held[i].Sender)
	}
	return held
}

func (s *Server) adminQuarantineAcceptPost(w http.ResponseWriter, r *http.Request) {
	s.decideQuarantined(w, r, "The reply is now part of the conversation.", func(ctx context.Context, id int64) (int64, error) {
		m, err := s.db.AcceptQuarantined(ctx, id, s.staffActor(r))
		return m.TicketID, err
	})
}

func (s *Server) adminQuarantineDismissPost(w http.ResponseWriter, r *http.Request) {
	s.decideQuarantined(w, r, "The reply stays out of the conversation.", func(ctx context.Context, id int64) (int64, error) {
		return s.db.DismissQuarantined(ctx, id, s.staffActor(r))
	})
}

// decideQuarantined runs a decision on the held reply in the path and goes
// back to its ticket, saying done.
func (s *Server) decideQuarantined(w http.ResponseWriter, r *http.Request, done string, decide func(context.Context, int64) (int64, error)) {
	id, err := pathID(r)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	ticket, err := decide(r.Context(), id)
	if errors.Is(err, store.ErrConflict) {
		s.flash(r, "Someone decided about this reply already.")
		http.Redirect(w, r, "/admin/email", http.StatusSeeOther)
		return
	}
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	s.flash(r, done)
	http.Redirect(w, r, "/admin/tickets/"+strconv.FormatInt(ticket, 10), http.StatusSeeOther)
}

// adminEmailHeadersPost shows the headers of one emailed message, after a
// step-up, recorded as a reveal of the customer's personal data.
func (s *Server) adminEmailHeadersPost(w http.ResponseWriter, r *http.Request) {
	t, err := s.adminTicket(r)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	mid, err := httpx.PathID(r, "mid")
	if err != nil {
		s.serveError(w, r, errNotFound)
		return
	}
	details, err := s.db.EmailDetails(r.Context(), t.ID)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	d, ok := details[mid]
	if !ok {
		s.serveError(w, r, errNotFound)
		return
	}
	if err := s.db.RecordAudit(r.Context(), s.staffActor(r), "customer.pii_revealed", "customer:"+strconv.FormatInt(t.CustomerID, 10),
		map[string]any{"via": "email headers", "ticket": t.ID, "message": mid}); err != nil {
		s.serveError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, templates.AdminEmailHeaders(templates.AdminEmailHeadersProps{
		AdminPage: s.adminPageProps(r, "Mail headers", "tickets"), TicketID: t.ID, Headers: d.Headers,
	}))
}

// emailView is what a ticket's page shows of the email channel.
func (s *Server) emailView(r *http.Request, t store.Ticket) (templates.EmailView, error) {
	role := s.currentStaff(r).Role
	v := templates.EmailView{CanEdit: role.Can(security.PermTicketsWrite), CanReveal: role.Can(security.PermPIIReveal)}
	var err error
	if v.Details, err = s.db.EmailDetails(r.Context(), t.ID); err != nil {
		return v, err
	}
	held, err := s.db.ListQuarantine(r.Context(), store.QuarantineFilter{TicketID: t.ID})
	if err != nil {
		return v, err
	}
	v.Held = maskHeld(held)
	first := int64(-1)
	for id, d := range v.Details {
		if first < 0 || id < first {
			first, v.Verdict = id, d.Verdict
		}
		d.Sender = security.MaskEmail(d.Sender)
		v.Details[id] = d
	}
	return v, nil
}

// attachmentNames are the names of files, for a mail that names them.
func attachmentNames(files []store.Attachment) []string {
	names := make([]string, 0, len(files))
	for _, f := range files {
		names = append(names, f.Name)
	}
	return names
}

// emailProcessor names the mailbox provider on the privacy page: it
// receives the mail customers send us before safedesk reads it.
func emailProcessor(o mail.InboundOptions) templates.Processor {
	host := o.Mailbox()
	if u, err := url.Parse(host); err == nil {
		host = u.Hostname()
	}
	return templates.Processor{Kind: templates.ProcessorMailbox, Host: host, Support: o.Support()}
}

// mailAddress is the address of a From setting like "Shop <s@example.com>".
func mailAddress(from string) string {
	if a, err := netmail.ParseAddress(from); err == nil {
		return a.Address
	}
	return from
}
