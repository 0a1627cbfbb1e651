package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"safedesk/security"
	"safedesk/store"
	"safedesk/web/httpx"
)

// ticketJSON is a ticket as the API shows it.
type ticketJSON struct {
	ID         int64  `json:"id"`
	CustomerID int64  `json:"customer_id"`
	Subject    string `json:"subject"`
	Status     string `json:"status"`
	Priority   string `json:"priority"`
	AssigneeID *int64 `json:"assignee_id"`
	Confirmed  bool   `json:"confirmed"`
	CreatedAt  any    `json:"created_at"`
	UpdatedAt  any    `json:"updated_at"`
	// Channel is how the ticket came in: email, portal, chat or api.
	Channel string `json:"channel"`
	// Language is the language mail about the ticket speaks; null for a
	// ticket from before languages were kept (the site's applies).
	Language *string `json:"language"`
	// DueAt is when the ticket's next due-time target falls due (null
	// when nothing is due); Tags its labels.
	DueAt    any           `json:"due_at"`
	Tags     []string      `json:"tags"`
	Messages []messageJSON `json:"messages,omitempty"`
	// Redacted names what was removed from the customer's text before it
	// was saved, such as "card_number"; only a created ticket has it.
	Redacted []security.Kind `json:"redacted,omitempty"`
}

// messageJSON is a ticket message as the API shows it.
type messageJSON struct {
	ID          int64            `json:"id"`
	TicketID    int64            `json:"ticket_id"`
	AuthorType  string           `json:"author_type"`
	AuthorID    *int64           `json:"author_id"`
	Internal    bool             `json:"internal"`
	Body        string           `json:"body"`
	Attachments []attachmentJSON `json:"attachments"`
	CreatedAt   any              `json:"created_at"`
	// Channel is where the message was written: email, portal, chat or
	// api (a staff reply in the panel has its ticket's channel).
	Channel string `json:"channel"`
	// SenderAuthenticated says, for a customer's email only, whether its
	// sender passed authentication (DMARC or aligned DKIM); null otherwise.
	SenderAuthenticated *bool `json:"sender_authenticated"`
}

func newTicketJSON(t store.Ticket) ticketJSON {
	out := ticketJSON{ID: t.ID, CustomerID: t.CustomerID, Subject: t.Subject, Status: t.Status, Priority: t.Priority,
		Confirmed: t.Confirmed, CreatedAt: jsonTime(t.CreatedAt), UpdatedAt: jsonTime(t.UpdatedAt), Channel: t.Channel,
		DueAt: jsonTime(t.DueAt), Tags: t.Tags}
	if out.Tags == nil {
		out.Tags = []string{}
	}
	if t.AssigneeID != 0 {
		out.AssigneeID = &t.AssigneeID
	}
	if t.Lang != "" {
		out.Language = &t.Lang
	}
	return out
}

// newTicketWithMessages is a ticket with its messages, as one ticket's
// answer and the export show it.
func newTicketWithMessages(t store.Ticket, msgs []store.Message) ticketJSON {
	out := newTicketJSON(t)
	out.Messages = make([]messageJSON, len(msgs))
	for i, m := range msgs {
		out.Messages[i] = newMessageJSON(m)
	}
	return out
}

func newMessageJSON(m store.Message) messageJSON {
	out := messageJSON{ID: m.ID, TicketID: m.TicketID, AuthorType: m.AuthorType, Internal: m.Internal, Body: m.Body,
		Attachments: newAttachmentsJSON(m.Attachments), CreatedAt: jsonTime(m.CreatedAt), Channel: m.Channel, SenderAuthenticated: m.SenderAuthenticated}
	if m.AuthorID != 0 {
		out.AuthorID = &m.AuthorID
	}
	return out
}

// ticketQuery is the parsed query string of GET /tickets.
type ticketQuery struct {
	status  string
	channel string
	q       string
	cursor  int64
	limit   int
	tag     string
	byDue   bool
}

// parseTicketQuery validates GET /tickets parameters; it is apart from the
// handler so FuzzSearchQuery can drive it.
func parseTicketQuery(r *http.Request) (ticketQuery, error) {
	qs := r.URL.Query()
	tq := ticketQuery{status: qs.Get("status"), channel: qs.Get("channel"), tag: qs.Get("tag"), byDue: qs.Get("sort") == "due"}
	fields := map[string]string{}
	if s := qs.Get("sort"); s != "" && s != "due" && s != "newest" {
		fields["sort"] = "Use newest or due."
	}
	if tq.tag != "" {
		if _, problem := store.NormalizeTag(tq.tag); problem != "" {
			fields["tag"] = problem
		}
	}
	if tq.status != "" && !slices.Contains(store.TicketStatuses, tq.status) {
		fields["status"] = "Use one of " + strings.Join(store.TicketStatuses, ", ") + "."
	}
	if tq.channel != "" && !slices.Contains(store.TicketChannels, tq.channel) {
		fields["channel"] = "Use one of " + strings.Join(store.TicketChannels, ", ") + "."
	}
	var err error
	var verr *store.ValidationError
	if tq.q, err = queryText(r); errors.As(err, &verr) {
		maps.Copy(fields, verr.Fields)
	}
	if c := qs.Get("cursor"); c != "" {
		n, err := strconv.ParseInt(c, 10, 64)
		if err != nil || n <= 0 {
			fields["cursor"] = "Use the next_cursor of a previous answer."
		}
		tq.cursor = n
	}
	if len(fields) > 0 {
		return ticketQuery{}, &store.ValidationError{Fields: fields}
	}
	tq.limit, err = queryLimit(r, 50, 200)
	return tq, err
}

func (h *Handler) ticketList(w http.ResponseWriter, r *http.Request, p *store.Principal) {
	tq, err := parseTicketQuery(r)
	if err != nil {
		h.ServeError(w, r, err)
		return
	}
	f := store.TicketFilter{AllCustomers: true, Status: tq.status, Channel: tq.channel, Tag: tq.tag, ByDue: tq.byDue, Limit: tq.limit}
	if tq.byDue {
		f.After = tq.cursor
	} else {
		f.Before = tq.cursor
	}
	ts, next, err := h.searchTickets(w, r, p, f, tq.q)
	if err != nil {
		h.ServeError(w, r, err)
		return
	}
	out := make([]ticketJSON, len(ts))
	for i, t := range ts {
		out[i] = newTicketJSON(t)
	}
	var cursor any
	if next > 0 {
		cursor = strconv.FormatInt(next, 10)
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"tickets": out, "next_cursor": cursor})
}

// searchTickets runs GET /tickets' search. A q that is an email address
// finds that customer's tickets, which reveals who they are: it needs the
// customers:read scope as well, and is audited like GET /customers/{id}.
func (h *Handler) searchTickets(w http.ResponseWriter, r *http.Request, p *store.Principal, f store.TicketFilter, q string) ([]store.Ticket, int64, error) {
	if q == "" || store.ValidateEmail(q) != "" {
		return h.db.SearchTickets(r.Context(), f, q)
	}
	if !p.Has(store.ScopeCustomersRead) {
		w.Header().Set("WWW-Authenticate", `Bearer realm="safedesk", error="insufficient_scope", scope="`+store.ScopeCustomersRead+`"`)
		return nil, 0, errorf(http.StatusForbidden, "insufficient_scope", "Searching by email address needs the %s scope.", store.ScopeCustomersRead)
	}
	return h.db.SearchTicketsByEmail(r.Context(), f, q, h.actor(r, p))
}

// ticketCreateRequest is the body of POST /tickets.
type ticketCreateRequest struct {
	Email   string `json:"email"`
	Name    string `json:"name"`
	Subject string `json:"subject"`
	Body    string `json:"body"`
	// Language is the customer's (one of store.Languages); absent: the
	// site's language.
	Language string `json:"language"`
}

func (h *Handler) ticketCreate(w http.ResponseWriter, r *http.Request, p *store.Principal) {
	var req ticketCreateRequest
	if err := decodeJSON(r, &req); err != nil {
		h.ServeError(w, r, err)
		return
	}
	lang, err := h.ticketLanguage(r.Context(), req.Language)
	if err != nil {
		h.ServeError(w, r, err)
		return
	}
	t, err := h.db.CreateTicket(r.Context(), store.NewTicket{Email: req.Email, Name: req.Name, Subject: req.Subject, Body: req.Body,
		Channel: store.ChannelAPI, Lang: lang}, h.actor(r, p))
	if err != nil {
		h.ServeError(w, r, err)
		return
	}
	h.webhooks.Wake()
	w.Header().Set("Location", "/api/v1/tickets/"+strconv.FormatInt(t.ID, 10))
	out := newTicketJSON(t)
	out.Redacted = t.Redacted.Kinds()
	httpx.WriteJSON(w, http.StatusCreated, out)
}

// ticketLanguage is the language a ticket created through the API is filed
// in: the request's, which must be one of the site's languages, else the
// site's own.
func (h *Handler) ticketLanguage(ctx context.Context, lang string) (string, error) {
	if lang == "" {
		return h.db.KBLanguage(ctx)
	}
	if !store.ValidLanguage(lang) {
		return "", &store.ValidationError{Fields: map[string]string{"language": "Use one of " + strings.Join(store.Languages, ", ") + "."}}
	}
	return lang, nil
}

func (h *Handler) ticketGet(w http.ResponseWriter, r *http.Request, p *store.Principal) {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		h.ServeError(w, r, err)
		return
	}
	t, err := h.db.GetTicket(r.Context(), id)
	if err != nil {
		h.ServeError(w, r, err)
		return
	}
	msgs, err := h.db.ListMessages(r.Context(), id, true)
	if err != nil {
		h.ServeError(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, newTicketWithMessages(t, msgs))
}

// optionalID is a JSON field that may be absent, null or a number.
type optionalID struct {
	set bool
	id  int64 // 0 for null
}

func (o *optionalID) UnmarshalJSON(b []byte) error {
	o.set = true
	if bytes.Equal(b, []byte("null")) {
		o.id = 0
		return nil
	}
	return json.Unmarshal(b, &o.id)
}

// ticketUpdateRequest is the body of PATCH /tickets/{id}; absent fields
// stay as they are, and assignee_id null unassigns.
type ticketUpdateRequest struct {
	Status     *string    `json:"status"`
	Priority   *string    `json:"priority"`
	AssigneeID optionalID `json:"assignee_id"`
	Tags       *[]string  `json:"tags"` // the ticket's labels, all of them
}

// tags are the labels asked for, folded (nil when the request sets none).
func (req ticketUpdateRequest) tags() ([]string, error) {
	if req.Tags == nil {
		return nil, nil
	}
	tags, err := store.ParseTags(strings.Join(*req.Tags, ","), "tags")
	if err != nil {
		return nil, err
	}
	for _, t := range *req.Tags {
		if strings.Contains(t, ",") {
			return nil, &store.ValidationError{Fields: map[string]string{"tags": "A tag cannot hold a comma."}}
		}
	}
	if tags == nil {
		tags = []string{}
	}
	return tags, nil
}

func (req ticketUpdateRequest) update() store.TicketUpdate {
	u := store.TicketUpdate{Status: req.Status, Priority: req.Priority}
	if req.AssigneeID.set {
		u.AssigneeID = &req.AssigneeID.id
	}
	return u
}

func (h *Handler) ticketUpdate(w http.ResponseWriter, r *http.Request, p *store.Principal) {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		h.ServeError(w, r, err)
		return
	}
	var req ticketUpdateRequest
	if err := decodeJSON(r, &req); err != nil {
		h.ServeError(w, r, err)
		return
	}
	if req.AssigneeID.set && req.AssigneeID.id < 0 {
		h.ServeError(w, r, &store.ValidationError{Fields: map[string]string{"assignee_id": "Use a staff id or null."}})
		return
	}
	tags, err := req.tags()
	if err != nil {
		h.ServeError(w, r, err)
		return
	}
	t, changed, err := h.db.UpdateTicket(r.Context(), id, req.update(), h.actor(r, p))
	if err == nil && tags != nil {
		var tagged bool
		if tagged, err = h.db.SetTicketTags(r.Context(), id, tags, h.actor(r, p)); tagged {
			changed = append(changed, "tags")
			t, err = h.db.GetTicket(r.Context(), id)
		}
	}
	var verr *store.ValidationError
	if errors.As(err, &verr) && verr.Fields["assignee"] != "" {
		verr.Fields["assignee_id"] = verr.Fields["assignee"]
		delete(verr.Fields, "assignee")
	}
	if err != nil {
		h.ServeError(w, r, err)
		return
	}
	if len(changed) > 0 {
		h.webhooks.Wake()
	}
	httpx.WriteJSON(w, http.StatusOK, newTicketJSON(t))
}

// messageCreateRequest is the body of POST /tickets/{id}/messages (JSON,
// or multipart/form-data with files: messageRequest). API messages are
// staff replies (visible to the customer, who is told by mail through the
// Replied hook) or, with internal, staff notes.
type messageCreateRequest struct {
	Body     string `json:"body"`
	Internal bool   `json:"internal"`
}

func (h *Handler) messageCreate(w http.ResponseWriter, r *http.Request, p *store.Principal) {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		h.ServeError(w, r, err)
		return
	}
	req, up, err := h.messageRequest(w, r, id)
	defer h.discard(up)
	if err != nil {
		h.ServeError(w, r, err)
		return
	}
	m, err := h.db.AddMessage(r.Context(), id, store.NewMessage{AuthorType: "staff", Internal: req.Internal, Body: req.Body,
		Channel: store.ChannelAPI, Upload: up}, h.actor(r, p))
	if err != nil {
		h.ServeError(w, r, err)
		return
	}
	if !req.Internal {
		h.hooks.Replied(r, id, m)
	}
	h.webhooks.Wake()
	w.Header().Set("Location", "/api/v1/tickets/"+strconv.FormatInt(id, 10))
	httpx.WriteJSON(w, http.StatusCreated, newMessageJSON(m))
}
