package web

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"safedesk/security"
	"safedesk/store"
	"safedesk/templates"
)

// eraseForm is the erasure form of a customer's admin page, for staff who
// may erase; nil for everyone else.
func (s *Server) eraseForm(r *http.Request, id int64) *templates.AdminEraseForm {
	if !s.currentStaff(r).Role.Can(security.PermCustomersErase) {
		return nil
	}
	return &templates.AdminEraseForm{CustomerID: id, Channels: store.ErasureChannels,
		Received: s.db.Now().UTC().Format(time.DateOnly)}
}

// adminCustomerErasePost erases a customer on a request that reached staff
// by another channel (email, phone, letter): the request is checked first,
// because an erasure cannot be undone; then the customer is crypto-shredded
// (store.EraseCustomer), customer.erased webhooks fire, and the request goes
// into the register of erasure requests.
func (s *Server) adminCustomerErasePost(w http.ResponseWriter, r *http.Request) {
	c, err := withForm(r, func(r *http.Request) (store.Customer, error) { return byID(r, s.db.GetCustomer) })
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	ctx, id := r.Context(), c.ID
	form := templates.AdminEraseForm{CustomerID: id, Channels: store.ErasureChannels,
		Channel: r.PostForm.Get("channel"), Received: strings.TrimSpace(r.PostForm.Get("received")),
		Reference: r.PostForm.Get("reference"), Confirm: strings.TrimSpace(r.PostForm.Get("confirm"))}
	req := store.ErasureRequest{Channel: form.Channel, Reference: form.Reference}
	if d, err := time.Parse(time.DateOnly, form.Received); err == nil {
		req.ReceivedAt = d
	}
	form.Errors = map[string]string{}
	var verr *store.ValidationError
	if err := req.Validate(s.db.Now()); errors.As(err, &verr) {
		form.Errors = verr.Fields
	}
	if form.Received != "" && req.ReceivedAt.IsZero() {
		form.Errors["received"] = "Enter the day as YYYY-MM-DD."
	}
	if form.Confirm != strconv.FormatInt(id, 10) {
		form.Errors["confirm"] = fmt.Sprintf("Type the customer number, %d, to confirm. Nothing has been erased.", id)
	}
	if len(form.Errors) > 0 {
		s.renderEraseForm(w, r, id, form)
		return
	}
	a := s.staffActor(r)
	tomb, err := s.db.EraseCustomer(ctx, id, a)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	s.webhooks.Wake()
	req.Tombstone = tomb
	msg := fmt.Sprintf("Customer #%d is erased: their data key is destroyed and their data removed. The request is in the register as %s.", id, tomb)
	if _, err := s.db.RecordErasureRequest(context.WithoutCancel(ctx), req, a); err != nil {
		s.log.Error("erasure done but not recorded in the register", "tombstone", tomb, "err", err, "request_id", info(r).id)
		msg = fmt.Sprintf("Customer #%d is erased (%s), but the request could not be added to the register: note it by hand.", id, tomb)
	}
	s.flash(r, msg)
	http.Redirect(w, r, "/admin/settings#erasures", http.StatusSeeOther)
}

// adminCustomerExportPost answers an access request that reached staff by
// another channel (email, letter): the file the customer would download
// at /me/export, behind step-up and audited as staff's export.
func (s *Server) adminCustomerExportPost(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		s.serveError(w, r, errNotFound)
		return
	}
	x, err := s.exportSubject(r.Context(), id, s.staffActor(r))
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	s.sendExport(w, r, x, fmt.Sprintf("customer-%d-%s", id, x.at.UTC().Format(time.DateOnly)))
}

// renderEraseForm shows the customer's page again, masked, with the
// erasure form as it was sent and what is wrong with it.
func (s *Server) renderEraseForm(w http.ResponseWriter, r *http.Request, id int64, form templates.AdminEraseForm) {
	c, err := s.db.GetCustomer(r.Context(), id)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	ts, err := s.db.ListTickets(r.Context(), store.TicketFilter{CustomerID: id, Limit: 200})
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	s.render(w, r, http.StatusUnprocessableEntity, templates.AdminCustomer(templates.AdminCustomerProps{
		AdminPage: s.adminPageProps(r, "Customer", "tickets"), Customer: c, Tickets: ts,
		Email: security.MaskEmail(c.Email), Name: maskName(c.Name), CanReveal: s.currentStaff(r).Role.Can(security.PermPIIReveal),
		Erase: &form,
	}))
}

// adminPrivacy is the privacy part of the settings page.
func (s *Server) adminPrivacy(r *http.Request) (templates.AdminPrivacySettings, error) {
	ctx := r.Context()
	notes, err := s.exportNotes(ctx)
	if err != nil {
		return templates.AdminPrivacySettings{}, err
	}
	reqs, err := s.db.ListErasureRequests(ctx, 50)
	if err != nil {
		return templates.AdminPrivacySettings{}, err
	}
	ret := s.cfg.Privacy.Retention
	return templates.AdminPrivacySettings{
		CanManage: s.currentStaff(r).Role.Can(security.PermOwnersManage), ExportInternalNotes: notes,
		NotifyText: s.cfg.Privacy.NotifyText, Requests: reqs,
		Retention: []templates.Fact{
			{Label: "Solved and closed tickets", Value: retentionText(ret.ResolvedTickets, "after their last change")},
			{Label: "Customers with nothing left", Value: retentionText(ret.ResolvedTickets, "after they last confirmed their email")},
			{Label: "Chat transcripts", Value: retentionText(s.cfg.ChatRetention, "after their last message")},
			{Label: "Security events, ended staff sessions", Value: retentionText(ret.SecurityEvents, "")},
			{Label: "Expired sessions and sign-in codes", Value: "deleted within an hour"},
		},
	}, nil
}

func retentionText(d time.Duration, after string) string {
	if d <= 0 {
		return "kept (no retention period set)"
	}
	return strings.TrimSpace(templates.Duration(d) + " " + after)
}

// adminPrivacyPost changes the owner's privacy setting: whether customers'
// exports include internal notes about them.
func (s *Server) adminPrivacyPost(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.serveError(w, r, formError(err))
		return
	}
	v := "off"
	if r.PostForm.Get("export_internal_notes") == "on" {
		v = "on"
	}
	if err := s.db.SetSetting(r.Context(), settingExportNotes, v, s.staffActor(r)); err != nil {
		s.serveError(w, r, err)
		return
	}
	if v == "on" {
		s.flash(r, "Customers' exports now include internal notes about them.")
	} else {
		s.flash(r, "Customers' exports no longer include internal notes.")
	}
	http.Redirect(w, r, "/admin/settings#privacy", http.StatusSeeOther)
}
