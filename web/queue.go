package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"safedesk/security"
	"safedesk/store"
	"safedesk/templates"
)

// dueSoonWindow is what "due soon" means in the queue: due within the next
// two hours, or already late.
const dueSoonWindow = 2 * time.Hour

// adminTicketList is the ticket queue: filters (status, priority,
// assignee, tag, due soon, text), newest first or soonest due first, and
// bulk tagging.
func (s *Server) adminTicketList(w http.ResponseWriter, r *http.Request) {
	s.renderQueue(w, r, http.StatusOK, r.URL.Query(), templates.BulkTagForm{})
}

// renderQueue shows the queue for the query q, with the bulk-tagging form
// as typed.
func (s *Server) renderQueue(w http.ResponseWriter, r *http.Request, status int, q url.Values, bulk templates.BulkTagForm) {
	f := templates.AdminTicketFilter{Status: q.Get("status"), Priority: q.Get("priority"), Assignee: q.Get("assignee"), Channel: q.Get("channel"),
		Q: q.Get("q"), Tag: q.Get("tag"), DueSoon: q.Get("due") == "soon", Sort: q.Get("sort")}
	filter := store.TicketFilter{AllCustomers: true, Status: f.Status, Priority: f.Priority, Channel: f.Channel, Tag: f.Tag, ByDue: f.Sort == "due", Limit: 50}
	now := s.db.Now()
	if f.DueSoon {
		filter.DueBy = now.Add(dueSoonWindow)
	}
	switch f.Assignee {
	case "":
	case "me":
		filter.Assignee = s.currentStaff(r).ID
	case "none":
		filter.Assignee = store.AssigneeNone
	default:
		filter.Assignee = optionalInt(f.Assignee)
	}
	filter.Before, filter.After = optionalInt(q.Get("before")), optionalInt(q.Get("after"))
	ts, next, notice, err := s.adminSearchTickets(r, filter, f.Q)
	var verr *store.ValidationError
	if err != nil && !errors.As(err, &verr) {
		s.serveError(w, r, err)
		return
	}
	workers, names, err := s.staffNames(r)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	tags, err := s.db.ListTags(r.Context())
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	rows := make([]templates.AdminTicketRow, 0, len(ts))
	masked := map[int64]string{}
	for _, t := range ts {
		row := templates.AdminTicketRow{Ticket: t, Assignee: "—", Customer: s.maskedCustomer(r, t.CustomerID, masked)}
		if t.AssigneeID != 0 {
			row.Assignee = names[t.AssigneeID]
		}
		rows = append(rows, row)
	}
	bulk.Back = "/admin/tickets?" + queueQuery(f, "", 0).Encode()
	props := templates.AdminTicketListProps{AdminPage: s.adminPageProps(r, "Tickets", "tickets"), Filter: f, Rows: rows, Staff: workers,
		CanEdit: s.currentStaff(r).Role.Can(security.PermTicketsWrite), Tags: tags, Now: now, Bulk: bulk}
	if notice != "" {
		props.Notice = notice
	}
	if next != 0 {
		cursor := "before"
		if filter.ByDue {
			cursor = "after"
		}
		props.NextURL = "/admin/tickets?" + queueQuery(f, cursor, next).Encode()
	}
	s.render(w, r, status, templates.AdminTicketList(props))
}

// queueQuery is the query string of the queue with filter f, and a cursor
// when cursor is set.
func queueQuery(f templates.AdminTicketFilter, cursor string, at int64) url.Values {
	v := url.Values{}
	for k, x := range map[string]string{"status": f.Status, "priority": f.Priority, "assignee": f.Assignee, "channel": f.Channel, "q": f.Q,
		"tag": f.Tag, "sort": f.Sort} {
		if x != "" {
			v.Set(k, x)
		}
	}
	if f.DueSoon {
		v.Set("due", "soon")
	}
	if cursor != "" {
		v.Set(cursor, strconv.FormatInt(at, 10))
	}
	return v
}

// adminTicketTagsBulkPost adds and removes tags on the tickets ticked in the
// queue, in one transaction, then goes back to the queue as it was.
func (s *Server) adminTicketTagsBulkPost(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.serveError(w, r, formError(err))
		return
	}
	back := localPath(r.PostForm.Get("back"))
	if !strings.HasPrefix(back, "/admin/tickets?") && back != "/admin/tickets" {
		back = "/admin/tickets"
	}
	_, query, _ := strings.Cut(back, "?")
	q, _ := url.ParseQuery(query) // a malformed query is an unfiltered queue
	bulk := templates.BulkTagForm{Add: r.PostForm.Get("add"), Remove: r.PostForm.Get("remove"), Errors: map[string]string{}}
	var ids []int64
	for _, v := range r.PostForm["ticket"] {
		if id := optionalInt(v); id > 0 {
			ids = append(ids, id)
		}
	}
	var c store.TagChange
	var err error
	if c.Add, err = store.ParseTags(bulk.Add, "add"); err == nil {
		c.Remove, err = store.ParseTags(bulk.Remove, "remove")
	}
	if err == nil && len(ids) == 0 {
		err = &store.ValidationError{Fields: map[string]string{"ticket": "Tick the tickets to tag first."}}
	}
	if err == nil && len(c.Add)+len(c.Remove) == 0 {
		err = &store.ValidationError{Fields: map[string]string{"add": "Enter a tag to add or to remove."}}
	}
	var n int
	if err == nil {
		n, err = s.db.TagTickets(r.Context(), ids, c, s.staffActor(r))
	}
	var verr *store.ValidationError
	if errors.As(err, &verr) {
		bulk.Errors, bulk.Selected = verr.Fields, ids
		s.renderQueue(w, r, http.StatusUnprocessableEntity, q, bulk)
		return
	}
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	s.flash(r, "Tags changed on "+strconv.Itoa(n)+" tickets.")
	http.Redirect(w, r, back, http.StatusSeeOther)
}

// adminTicketTagsPost sets a ticket's tags (a comma-separated list).
func (s *Server) adminTicketTagsPost(w http.ResponseWriter, r *http.Request) {
	t, err := withForm(r, s.adminTicket)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	tags, err := store.ParseTags(r.PostForm.Get("tags"), "tags")
	var changed bool
	if err == nil {
		changed, err = s.db.SetTicketTags(r.Context(), t.ID, tags, s.staffActor(r))
	}
	var verr *store.ValidationError
	if errors.As(err, &verr) {
		s.renderAdminTicket(w, r, http.StatusUnprocessableEntity, t, "", false, verr.Fields) // keeps the typed tags (ticketWorkday)
		return
	}
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	if changed {
		s.flash(r, "Tags saved.")
	}
	http.Redirect(w, r, "/admin/tickets/"+strconv.FormatInt(t.ID, 10), http.StatusSeeOther)
}
