package web

import (
	"cmp"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"safedesk/security"
	"safedesk/store"
	"safedesk/templates"
	"safedesk/templates/i18n"
)

// staffNames maps staff ids to names for showing authors and assignees.
func (s *Server) staffNames(r *http.Request) ([]store.Staff, map[int64]string, error) {
	all, err := s.db.ListStaff(r.Context())
	if err != nil {
		return nil, nil, err
	}
	names := make(map[int64]string, len(all))
	var workers []store.Staff
	for _, st := range all {
		names[st.ID] = st.Name
		if st.Active() && st.Role.Can(security.PermTicketsWrite) {
			workers = append(workers, st)
		}
	}
	return workers, names, nil
}

func (s *Server) adminTicket(r *http.Request) (store.Ticket, error) {
	return byID(r, s.db.GetTicket)
}

func (s *Server) adminTicketView(w http.ResponseWriter, r *http.Request) {
	t, err := s.adminTicket(r)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	s.renderAdminTicket(w, r, http.StatusOK, t, "", false, nil)
}

func (s *Server) renderAdminTicket(w http.ResponseWriter, r *http.Request, status int, t store.Ticket, reply string, internal bool, errs map[string]string) {
	msgs, err := s.db.ListMessages(r.Context(), t.ID, true)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	workers, names, err := s.staffNames(r)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	email, err := s.emailView(r, t)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	wd, err := s.ticketWorkday(r, t, names) // web/ticket_workday.go
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	site, err := s.db.KBLanguage(r.Context())
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	s.render(w, r, status, templates.AdminTicketView(templates.AdminTicketViewProps{
		AdminPage: s.adminPageProps(r, fmt.Sprintf("#%d %s", t.ID, t.Subject), "tickets"),
		Ticket:    t, Customer: s.maskedCustomer(r, t.CustomerID, nil), Messages: msgs, Authors: names, Staff: workers,
		Reply: cmp.Or(reply, wd.Inserted), Internal: internal, Errors: errs, CanEdit: s.currentStaff(r).Role.Can(security.PermTicketsWrite),
		Workday: wd, Email: email, SiteLanguage: site,
	}))
}

// adminTicketLanguagePost changes the language mail to the customer about
// a ticket speaks (audited by the store).
func (s *Server) adminTicketLanguagePost(w http.ResponseWriter, r *http.Request) {
	t, err := withForm(r, s.adminTicket)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	lang := r.PostForm.Get("lang")
	if err := s.db.SetTicketLanguage(r.Context(), t.ID, lang, s.staffActor(r)); err != nil {
		s.serveError(w, r, err)
		return
	}
	if lang == "" {
		s.flash(r, "Mail about this ticket is now in the site's language.")
	} else {
		s.flash(r, "Mail about this ticket is now in "+i18n.Names[lang]+".")
	}
	http.Redirect(w, r, "/admin/tickets/"+strconv.FormatInt(t.ID, 10), http.StatusSeeOther)
}

// adminTicketReplyPost adds a reply (the customer is told by a content-free
// email) or an internal note (never shown to the customer).
func (s *Server) adminTicketReplyPost(w http.ResponseWriter, r *http.Request) {
	t, err := s.adminTicket(r)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	in, err := s.readForm(w, r) // files too (web/upload.go)
	defer in.discard(s)
	if err != nil {
		s.failForm(w, r, err)
		return
	}
	body, internal := in.Values.Get("body"), in.Values.Get("internal") != ""
	var m store.Message
	if in.FileError == "" {
		m, err = s.db.AddMessage(r.Context(), t.ID, store.NewMessage{AuthorType: "staff", AuthorID: s.currentStaff(r).ID, Internal: internal, Body: body, Upload: in.Upload}, s.staffActor(r))
	}
	if status, errs := in.formErrors(r.Context(), err); status != 0 {
		s.renderAdminTicket(w, r, status, t, body, internal, errs)
		return
	}
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	if !internal {
		if err := s.notifyCustomerReply(r, t, m); err != nil {
			s.log.Error("reply notification", "ticket", t.ID, "err", err)
		}
		if then := replyThen(r, t); then != "" {
			if _, _, err := s.db.UpdateTicket(r.Context(), t.ID, store.TicketUpdate{Status: &then}, s.staffActor(r)); err != nil {
				s.serveError(w, r, err)
				return
			}
		}
		s.flash(r, "Reply sent. The customer was told by email.")
	} else {
		s.flash(r, "Internal note added.")
	}
	http.Redirect(w, r, "/admin/tickets/"+strconv.FormatInt(t.ID, 10), http.StatusSeeOther)
}

// apiReplied tells the customer of ticket id about reply m made through the
// API, exactly as adminTicketReplyPost does for one made in the panel.
func (s *Server) apiReplied(r *http.Request, id int64, m store.Message) {
	t, err := s.db.GetTicket(r.Context(), id)
	if err == nil {
		err = s.notifyCustomerReply(r, t, m)
	}
	if err != nil {
		s.log.Error("reply notification", "ticket", id, "err", err, "request_id", info(r).id)
	}
}

// notifyCustomerReply emails the customer that there is a reply, threaded
// (web/mail.Threads) so that an answer by email finds the ticket. A ticket
// that came by email gets the reply itself: its text and its files' names
// (never the files), as any mail conversation. Any other notification
// carries no ticket text by default: the customer reads it on the portal
// after verifying. A site that chose --notify-text
// (Config.Privacy.NotifyText) sends the reply's text, never the subject.
func (s *Server) notifyCustomerReply(r *http.Request, t store.Ticket, m store.Message) error {
	ctx := r.Context()
	c, err := s.db.GetCustomer(ctx, t.CustomerID)
	if err != nil {
		return err
	}
	if t.Channel == store.ChannelEmail {
		return s.threads.SendStaffReply(ctx, t, c.Email, m.Body, attachmentNames(m.Attachments))
	}
	reply := ""
	if s.cfg.Privacy.NotifyText {
		reply = m.Body
	}
	l, err := s.ticketLocale(ctx, t)
	if err != nil {
		return err
	}
	// The number of files at most, never the files themselves.
	msg := s.site.ReplyNotice(l, c.Email, t.ID, s.site.Link(ticketURL(t.ID)), reply, len(m.Attachments))
	if msg, _, err = s.threads.Thread(ctx, t.ID, msg, false); err != nil {
		return err
	}
	s.mail.Send(msg)
	return nil
}

// adminTicketConfirmPost records that the customer filed an unconfirmed
// ticket (staff know, say from a call), so that it joins the customer's
// own views. The store audits it.
func (s *Server) adminTicketConfirmPost(w http.ResponseWriter, r *http.Request) {
	t, err := s.adminTicket(r)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	changed, err := s.db.ConfirmTicket(r.Context(), t.ID, s.staffActor(r))
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	if changed {
		s.flash(r, "Ticket confirmed: the customer now sees it among their requests.")
	}
	http.Redirect(w, r, "/admin/tickets/"+strconv.FormatInt(t.ID, 10), http.StatusSeeOther)
}

func (s *Server) adminTicketUpdatePost(w http.ResponseWriter, r *http.Request) {
	t, err := withForm(r, s.adminTicket)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	var u store.TicketUpdate
	if v := r.PostForm.Get("status"); v != "" {
		u.Status = &v
	}
	if v := r.PostForm.Get("priority"); v != "" {
		u.Priority = &v
	}
	if v := r.PostForm.Get("assignee"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			s.serveError(w, r, errBadRequest)
			return
		}
		u.AssigneeID = &id
	}
	_, changed, err := s.db.UpdateTicket(r.Context(), t.ID, u, s.staffActor(r))
	var verr *store.ValidationError
	if errors.As(err, &verr) {
		s.renderAdminTicket(w, r, http.StatusUnprocessableEntity, t, "", false, verr.Fields)
		return
	}
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	if len(changed) > 0 {
		s.flash(r, "Ticket updated.")
	}
	http.Redirect(w, r, "/admin/tickets/"+strconv.FormatInt(t.ID, 10), http.StatusSeeOther)
}

// adminCustomerView shows a customer with email and name masked.
func (s *Server) adminCustomerView(w http.ResponseWriter, r *http.Request) {
	s.renderCustomer(w, r, false)
}

// adminCustomerRevealPost shows the customer unmasked, after step-up, and
// records the reveal in the audit log.
func (s *Server) adminCustomerRevealPost(w http.ResponseWriter, r *http.Request) {
	s.renderCustomer(w, r, true)
}

func (s *Server) renderCustomer(w http.ResponseWriter, r *http.Request, reveal bool) {
	c, err := byID(r, s.db.GetCustomer)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	ts, err := s.db.ListTickets(r.Context(), store.TicketFilter{CustomerID: c.ID, Limit: 200})
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	props := templates.AdminCustomerProps{AdminPage: s.adminPageProps(r, "Customer", "tickets"), Customer: c, Tickets: ts,
		Email: security.MaskEmail(c.Email), Name: maskName(c.Name), CanReveal: s.currentStaff(r).Role.Can(security.PermPIIReveal),
		Erase: s.eraseForm(r, c.ID), CanEndDevices: s.currentStaff(r).Role.Can(security.PermTicketsWrite)}
	if props.Devices, err = s.db.ListCustomerDevices(r.Context(), c.ID); err != nil {
		s.serveError(w, r, err)
		return
	}
	if reveal {
		if err := s.db.RecordAudit(r.Context(), s.staffActor(r), "customer.pii_revealed", "customer:"+strconv.FormatInt(c.ID, 10), nil); err != nil {
			s.serveError(w, r, err)
			return
		}
		props.Email, props.Name, props.Revealed = c.Email, c.Name, true
	}
	s.render(w, r, http.StatusOK, templates.AdminCustomer(props))
}

// maskedCustomer shows a customer as a masked address (e***@example.org),
// caching per request in seen when given.
func (s *Server) maskedCustomer(r *http.Request, id int64, seen map[int64]string) string {
	if v, ok := seen[id]; ok {
		return v
	}
	v := "customer #" + strconv.FormatInt(id, 10)
	if c, err := s.db.GetCustomer(r.Context(), id); err == nil {
		v = security.MaskEmail(c.Email)
	}
	if seen != nil {
		seen[id] = v
	}
	return v
}

// maskName keeps the first letter of each word.
func maskName(n string) string {
	out := []rune{}
	start := true
	for _, r := range n {
		switch {
		case r == ' ':
			out, start = append(out, ' '), true
		case start:
			out, start = append(out, r, '*', '*', '*'), false
		}
	}
	if len(out) == 0 {
		return "—"
	}
	return string(out)
}
