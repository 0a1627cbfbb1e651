package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"safedesk/store"
	"safedesk/templates"
	"safedesk/templates/i18n"
)

func (s *Server) ticketNew(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, templates.TicketNew(templates.TicketNewProps{Page: s.page(r, i18n.T(r.Context(), i18n.ContactSupport))}))
}

// ticketCreatePost stores a new request. Invalid input comes back with 422
// and everything typed. A verified owner sees the ticket. Anyone else's
// ticket is unconfirmed (store.Ticket.Confirmed): its receipt mails a code
// that confirms it, and the visitor goes on to /verify, then to the ticket.
// Anonymous requests are limited per client, and mail per address
// (store.CodesPerHour): past that the ticket is kept, staff see it, and no
// receipt is sent.
func (s *Server) ticketCreatePost(w http.ResponseWriter, r *http.Request) {
	in, err := s.readForm(w, r) // files too (web/upload.go)
	defer in.discard(s)
	if err != nil {
		s.failForm(w, r, err)
		return
	}
	form := templates.TicketForm{
		Email: in.Values.Get("email"), Name: in.Values.Get("name"),
		Subject: in.Values.Get("subject"), Body: in.Values.Get("body"),
	}
	if ok, wait := s.allowAnonymousTicket(r); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(max(1, int(wait.Round(time.Second)/time.Second))))
		l := i18n.From(r.Context())
		form.Errors = map[string]string{"body": l.T(i18n.TicketRateLimited, l.Duration(wait))}
		s.render(w, r, http.StatusTooManyRequests, templates.TicketNew(templates.TicketNewProps{Page: s.page(r, l.T(i18n.ContactSupport)), Form: form}))
		return
	}
	var t store.Ticket
	if in.FileError == "" {
		t, err = s.db.CreateTicket(r.Context(), store.NewTicket{Email: form.Email, Name: form.Name, Subject: form.Subject, Body: form.Body,
			Upload: in.Upload, Lang: i18n.From(r.Context()).Lang}, s.actor(r))
	}
	if status, errs := in.formErrors(r.Context(), err); status != 0 {
		form.Errors = errs
		s.render(w, r, status, templates.TicketNew(templates.TicketNewProps{Page: s.page(r, i18n.T(r.Context(), i18n.ContactSupport)), Form: form}))
		return
	}
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	ctx := r.Context()
	if t.Confirmed {
		s.customer.Put(ctx, sessNotice, withRemoved(i18n.From(ctx), i18n.T(ctx, i18n.NoticeTicketIn, t.ID), t.Redacted)+
			strippedNotice(r.Context(), in.Upload.Files()))
		http.Redirect(w, r, ticketURL(t.ID), http.StatusSeeOther)
		return
	}
	if err := s.sendReceipt(r, form.Email, t, strippedNotice(r.Context(), in.Upload.Files())); err != nil {
		s.serveError(w, r, err)
		return
	}
	http.Redirect(w, r, "/verify", http.StatusSeeOther)
}

// sendReceipt mails the receipt of unconfirmed ticket id with the code that
// confirms it, and sets the session up for /verify: the address, a notice,
// and the ticket to open afterwards. Past the address's mail for the hour
// nothing is mailed, and the notice says so.
func (s *Server) sendReceipt(r *http.Request, email string, t store.Ticket, files string) error {
	ctx := r.Context()
	id := t.ID
	issued, err := s.db.IssueCode(ctx, store.CodeRequest{Email: email, Ticket: id}, s.actor(r))
	l := i18n.From(ctx)
	notice := l.T(i18n.NoticeTicketCode, id)
	switch {
	case errors.Is(err, store.ErrRateLimited):
		// The newest code of the hour proves the address but was not
		// sent for this request: staff confirm it.
		notice = l.T(i18n.NoticeTicketNoReceipt, id)
		if !issued.Revived.IsZero() {
			notice += " " + l.T(i18n.NoticeRevived, l.Clock(issued.Revived)+" "+l.ZoneName(issued.Revived))
		}
		s.customer.Remove(ctx, sessNext)
	case err != nil:
		return err
	default:
		s.mail.Send(s.site.TicketReceived(l, email, id, issued.Code))
		s.customer.Put(ctx, sessNext, ticketURL(id))
	}
	s.customer.Put(ctx, sessPending, email)
	s.customer.Put(ctx, sessNotice, withRemoved(i18n.From(ctx), notice, t.Redacted)+files)
	return nil
}

func (s *Server) ticketList(w http.ResponseWriter, r *http.Request) {
	ts, err := s.db.ListTickets(r.Context(), store.TicketFilter{CustomerID: s.customerID(r), Confirmed: true, Limit: 200})
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, templates.TicketList(templates.TicketListProps{Page: s.page(r, i18n.T(r.Context(), i18n.NavMyTickets)), Tickets: ts}))
}

// ownTicket loads the ticket in the path if it belongs to the session's
// customer. Someone else's ticket is 404, exactly like a missing one.
func (s *Server) ownTicket(r *http.Request) (store.Ticket, error) {
	return byID(r, func(ctx context.Context, id int64) (store.Ticket, error) {
		return s.db.GetCustomerTicket(ctx, s.customerID(r), id)
	})
}

func (s *Server) ticketView(w http.ResponseWriter, r *http.Request) {
	t, err := s.ownTicket(r)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	s.renderTicket(w, r, http.StatusOK, t, "", nil)
}

func (s *Server) renderTicket(w http.ResponseWriter, r *http.Request, status int, t store.Ticket, reply string, errs map[string]string) {
	msgs, err := s.db.ListMessages(r.Context(), t.ID, false)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	l := i18n.From(r.Context())
	t.Subject = localPlaceholders(l, t.Subject)
	for i := range msgs {
		msgs[i].Body = localPlaceholders(l, localTranscript(l, msgs[i]))
	}
	s.render(w, r, status, templates.TicketView(templates.TicketViewProps{
		Page: s.page(r, t.Subject), Ticket: t, Messages: msgs, Reply: reply, Errors: errs,
	}))
}

func (s *Server) ticketReplyPost(w http.ResponseWriter, r *http.Request) {
	t, err := s.ownTicket(r)
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
	body := in.Values.Get("body")
	var m store.Message
	if in.FileError == "" {
		m, err = s.db.AddMessage(r.Context(), t.ID, store.NewMessage{AuthorType: "customer", AuthorID: t.CustomerID, Body: body,
			Channel: store.ChannelPortal, Upload: in.Upload}, s.actor(r))
	}
	if status, errs := in.formErrors(r.Context(), err); status != 0 {
		s.renderTicket(w, r, status, t, body, errs)
		return
	}
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	if files := strippedNotice(r.Context(), in.Upload.Files()); m.Redacted != 0 || files != "" {
		s.customer.Put(r.Context(), sessNotice, withRemoved(i18n.From(r.Context()), i18n.T(r.Context(), i18n.NoticeReplySaved), m.Redacted)+files)
	}
	http.Redirect(w, r, ticketURL(t.ID), http.StatusSeeOther)
}

func ticketURL(id int64) string { return "/tickets/" + strconv.FormatInt(id, 10) }

// formError maps a form parse failure: too large is 413, anything else 400.
func formError(err error) error {
	var maxErr *http.MaxBytesError
	if errors.As(err, &maxErr) {
		return errTooLarge
	}
	return fmt.Errorf("%w: %v", errBadRequest, err)
}

// actor names the person behind r for the audit log.
func (s *Server) actor(r *http.Request) store.Actor {
	if id := s.customerID(r); id != 0 {
		return store.Actor{Type: store.ActorCustomer, ID: strconv.FormatInt(id, 10), ClientIP: clientIP(r)}
	}
	return store.Actor{Type: store.ActorVisitor, ID: "-", ClientIP: clientIP(r)}
}
