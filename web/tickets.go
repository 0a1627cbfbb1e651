package web

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"safedesk/store"
	"safedesk/templates"
	"safedesk/web/httpx"
)

func (s *Server) ticketNew(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, templates.TicketNew(templates.TicketNewProps{Page: s.page(r, "Contact support")}))
}

// ticketCreatePost stores a new request. Invalid input comes back with 422
// and everything typed. A visitor who has not verified this address gets a
// code by email and goes on to /verify; a verified owner sees the ticket.
func (s *Server) ticketCreatePost(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.serveError(w, r, formError(err))
		return
	}
	form := templates.TicketForm{
		Email: r.PostForm.Get("email"), Name: r.PostForm.Get("name"),
		Subject: r.PostForm.Get("subject"), Body: r.PostForm.Get("body"),
	}
	t, err := s.db.CreateTicket(r.Context(), store.NewTicket{Email: form.Email, Name: form.Name, Subject: form.Subject, Body: form.Body}, s.actor(r))
	var verr *store.ValidationError
	if errors.As(err, &verr) {
		form.Errors = verr.Fields
		s.render(w, r, http.StatusUnprocessableEntity, templates.TicketNew(templates.TicketNewProps{Page: s.page(r, "Contact support"), Form: form}))
		return
	}
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	ctx := r.Context()
	if t.CustomerID == s.customerID(r) {
		s.customer.Put(ctx, sessNotice, withRemoved(fmt.Sprintf("Thank you: request #%d is in. We will reply here and let you know by email.", t.ID), t.Redacted))
		http.Redirect(w, r, ticketURL(t.ID), http.StatusSeeOther)
		return
	}
	notice := fmt.Sprintf("Thank you: request #%d is in. We emailed you a 6-digit code: enter it below to follow your request.", t.ID)
	code, err := s.db.IssueCode(ctx, form.Email, s.actor(r))
	switch {
	case errors.Is(err, store.ErrRateLimited):
		notice = fmt.Sprintf("Thank you: request #%d is in. Use the latest code we emailed you to follow it.", t.ID)
		s.mail.Send(s.site.TicketReceived(form.Email, t.ID, ""))
	case err != nil:
		s.serveError(w, r, err)
		return
	default:
		s.mail.Send(s.site.TicketReceived(form.Email, t.ID, code))
	}
	s.customer.Put(ctx, sessPending, form.Email)
	s.customer.Put(ctx, sessNotice, withRemoved(notice, t.Redacted))
	http.Redirect(w, r, "/verify", http.StatusSeeOther)
}

func (s *Server) ticketList(w http.ResponseWriter, r *http.Request) {
	ts, err := s.db.ListTickets(r.Context(), store.TicketFilter{CustomerID: s.customerID(r), Limit: 200, SenderVerified: true})
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, templates.TicketList(templates.TicketListProps{Page: s.page(r, "My tickets"), Tickets: ts}))
}

// ownTicket loads the ticket in the path if it belongs to the session's
// customer. Someone else's ticket is 404, exactly like a missing one.
func (s *Server) ownTicket(r *http.Request) (store.Ticket, error) {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		return store.Ticket{}, errNotFound
	}
	return s.db.GetCustomerTicket(r.Context(), s.customerID(r), id)
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
	if err := r.ParseForm(); err != nil {
		s.serveError(w, r, formError(err))
		return
	}
	body := r.PostForm.Get("body")
	m, err := s.db.AddMessage(r.Context(), t.ID, store.NewMessage{AuthorType: "customer", AuthorID: t.CustomerID, Body: body, Channel: store.ChannelPortal}, s.actor(r))
	var verr *store.ValidationError
	if errors.As(err, &verr) {
		s.renderTicket(w, r, http.StatusUnprocessableEntity, t, body, verr.Fields)
		return
	}
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	if m.Redacted != 0 {
		s.customer.Put(r.Context(), sessNotice, withRemoved("Your reply is saved.", m.Redacted))
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
