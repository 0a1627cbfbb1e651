package web

import (
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

// EmailConfig is the email channel as the web layer sees it: the mailbox's
// settings and the Inbox that reads it, for the panel, the settings page
// and doctor, and the Threads that mail about tickets goes through.
type EmailConfig struct {
	// Options are the validated --imap settings.
	Options mail.InboundOptions
	// Inbox reads the mailbox; nil when none is read.
	Inbox *mail.Inbox
	// Threads threads mail about tickets; nil makes one over MailFrom.
	Threads *mail.Threads
}

// initThreads sets up the mail about tickets: the configured Threads, or
// one for --mail-from's address.
func (s *Server) initThreads() {
	s.threads = s.cfg.Email.Threads
	if s.threads == nil {
		support := s.cfg.Email.Options.Support()
		if support == "" {
			support = mailAddress(s.cfg.MailFrom)
		}
		s.threads = mail.NewThreads(s.db, s.mail, s.site, support)
	}
}

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
	m := templates.MailboxStatus{Configured: s.cfg.Email.Inbox != nil, Mailbox: o.Mailbox(), Support: s.threads.Support(),
		Trust: o.Trust().String(), Interval: o.Interval}
	if s.cfg.Email.Inbox == nil {
		return m, nil
	}
	st, err := s.cfg.Email.Inbox.Status(ctx)
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
	return templates.Processor{Name: "Our mailbox provider (" + host + ")",
		Purpose: "It receives the emails you send to " + o.Support() + " and keeps them in our mailbox, where this help centre reads them.",
		Data:    "your email address and everything you write to us by email"}
}

// mailAddress is the address of a From setting like "Shop <s@example.com>".
func mailAddress(from string) string {
	if a, err := netmail.ParseAddress(from); err == nil {
		return a.Address
	}
	return from
}
