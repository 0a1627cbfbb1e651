package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"safedesk/store"
)

// apiTicketJSON is a ticket as the API shows it.
type apiTicketJSON struct {
	ID         int64            `json:"id"`
	CustomerID int64            `json:"customer_id"`
	Subject    string           `json:"subject"`
	Status     string           `json:"status"`
	Priority   string           `json:"priority"`
	AssigneeID *int64           `json:"assignee_id"`
	CreatedAt  any              `json:"created_at"`
	UpdatedAt  any              `json:"updated_at"`
	Messages   []apiMessageJSON `json:"messages,omitempty"`
}

type apiMessageJSON struct {
	ID         int64  `json:"id"`
	TicketID   int64  `json:"ticket_id"`
	AuthorType string `json:"author_type"`
	AuthorID   *int64 `json:"author_id"`
	Internal   bool   `json:"internal"`
	Body       string `json:"body"`
	CreatedAt  any    `json:"created_at"`
}

func ticketJSON(t store.Ticket) apiTicketJSON {
	out := apiTicketJSON{ID: t.ID, CustomerID: t.CustomerID, Subject: t.Subject, Status: t.Status, Priority: t.Priority,
		CreatedAt: apiTime(t.CreatedAt), UpdatedAt: apiTime(t.UpdatedAt)}
	if t.AssigneeID != 0 {
		out.AssigneeID = &t.AssigneeID
	}
	return out
}

func messageJSON(m store.Message) apiMessageJSON {
	out := apiMessageJSON{ID: m.ID, TicketID: m.TicketID, AuthorType: m.AuthorType, Internal: m.Internal, Body: m.Body, CreatedAt: apiTime(m.CreatedAt)}
	if m.AuthorID != 0 {
		out.AuthorID = &m.AuthorID
	}
	return out
}

// maxQueryLen bounds the q parameter.
const maxQueryLen = 200

// ticketQuery is the parsed query string of GET /tickets.
type ticketQuery struct {
	status string
	q      string
	cursor int64
	limit  int
}

// parseTicketQuery validates GET /tickets parameters; it is apart from the
// handler so FuzzSearchQuery can drive it.
func parseTicketQuery(r *http.Request) (ticketQuery, error) {
	var v store.ValidationError
	qs := r.URL.Query()
	tq := ticketQuery{status: qs.Get("status"), q: strings.TrimSpace(qs.Get("q"))}
	if tq.status != "" && !slices.Contains(store.TicketStatuses, tq.status) {
		v.Fields = map[string]string{"status": "Use one of " + strings.Join(store.TicketStatuses, ", ") + "."}
	}
	if !utf8.ValidString(tq.q) || utf8.RuneCountInString(tq.q) > maxQueryLen || strings.ContainsRune(tq.q, 0) {
		if v.Fields == nil {
			v.Fields = map[string]string{}
		}
		v.Fields["q"] = "Use at most 200 characters of text."
	}
	if c := qs.Get("cursor"); c != "" {
		n, err := strconv.ParseInt(c, 10, 64)
		if err != nil || n <= 0 {
			if v.Fields == nil {
				v.Fields = map[string]string{}
			}
			v.Fields["cursor"] = "Use the next_cursor of a previous answer."
		}
		tq.cursor = n
	}
	if len(v.Fields) > 0 {
		return ticketQuery{}, &v
	}
	var err error
	tq.limit, err = queryLimit(r, 50, 200)
	return tq, err
}

func (s *Server) apiTicketList(w http.ResponseWriter, r *http.Request, p *store.Principal) {
	tq, err := parseTicketQuery(r)
	if err != nil {
		s.apiServeError(w, r, err)
		return
	}
	ts, next, err := s.db.SearchTickets(r.Context(), store.TicketFilter{Status: tq.status, Before: tq.cursor, Limit: tq.limit}, tq.q)
	if err != nil {
		s.apiServeError(w, r, err)
		return
	}
	out := make([]apiTicketJSON, len(ts))
	for i, t := range ts {
		out[i] = ticketJSON(t)
	}
	var cursor any
	if next > 0 {
		cursor = strconv.FormatInt(next, 10)
	}
	s.writeJSON(w, http.StatusOK, map[string]any{"tickets": out, "next_cursor": cursor})
}

// ticketCreateRequest is the body of POST /tickets.
type ticketCreateRequest struct {
	Email   string `json:"email"`
	Name    string `json:"name"`
	Subject string `json:"subject"`
	Body    string `json:"body"`
}

func (s *Server) apiTicketCreate(w http.ResponseWriter, r *http.Request, p *store.Principal) {
	var req ticketCreateRequest
	if err := decodeJSON(r, &req); err != nil {
		s.apiServeError(w, r, err)
		return
	}
	t, err := s.db.CreateTicket(r.Context(), store.NewTicket{Email: req.Email, Name: req.Name, Subject: req.Subject, Body: req.Body}, apiActor(r, p))
	if err != nil {
		s.apiServeError(w, r, err)
		return
	}
	s.wakeWebhooks()
	w.Header().Set("Location", "/api/v1/tickets/"+strconv.FormatInt(t.ID, 10))
	s.writeJSON(w, http.StatusCreated, ticketJSON(t))
}

func (s *Server) apiTicketGet(w http.ResponseWriter, r *http.Request, p *store.Principal) {
	id, err := pathID(r, "id")
	if err != nil {
		s.apiServeError(w, r, err)
		return
	}
	t, err := s.db.GetTicket(r.Context(), id)
	if err != nil {
		s.apiServeError(w, r, err)
		return
	}
	msgs, err := s.db.ListMessages(r.Context(), id, true)
	if err != nil {
		s.apiServeError(w, r, err)
		return
	}
	out := ticketJSON(t)
	out.Messages = make([]apiMessageJSON, len(msgs))
	for i, m := range msgs {
		out.Messages[i] = messageJSON(m)
	}
	s.writeJSON(w, http.StatusOK, out)
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
}

func (req ticketUpdateRequest) update() store.TicketUpdate {
	u := store.TicketUpdate{Status: req.Status, Priority: req.Priority}
	if req.AssigneeID.set {
		u.AssigneeID = &req.AssigneeID.id
	}
	return u
}

func (s *Server) apiTicketUpdate(w http.ResponseWriter, r *http.Request, p *store.Principal) {
	id, err := pathID(r, "id")
	if err != nil {
		s.apiServeError(w, r, err)
		return
	}
	var req ticketUpdateRequest
	if err := decodeJSON(r, &req); err != nil {
		s.apiServeError(w, r, err)
		return
	}
	if req.AssigneeID.set && req.AssigneeID.id < 0 {
		s.apiServeError(w, r, &store.ValidationError{Fields: map[string]string{"assignee_id": "Use a staff id or null."}})
		return
	}
	t, changed, err := s.db.UpdateTicket(r.Context(), id, req.update(), apiActor(r, p))
	var verr *store.ValidationError
	if errors.As(err, &verr) && verr.Fields["assignee"] != "" {
		verr.Fields["assignee_id"] = verr.Fields["assignee"]
		delete(verr.Fields, "assignee")
	}
	if err != nil {
		s.apiServeError(w, r, err)
		return
	}
	if len(changed) > 0 {
		s.wakeWebhooks()
	}
	s.writeJSON(w, http.StatusOK, ticketJSON(t))
}

// messageCreateRequest is the body of POST /tickets/{id}/messages. API
// messages are staff replies (visible to the customer) or, with internal,
// staff notes.
type messageCreateRequest struct {
	Body     string `json:"body"`
	Internal bool   `json:"internal"`
}

func (s *Server) apiMessageCreate(w http.ResponseWriter, r *http.Request, p *store.Principal) {
	id, err := pathID(r, "id")
	if err != nil {
		s.apiServeError(w, r, err)
		return
	}
	var req messageCreateRequest
	if err := decodeJSON(r, &req); err != nil {
		s.apiServeError(w, r, err)
		return
	}
	m, err := s.db.AddMessage(r.Context(), id, store.NewMessage{AuthorType: "staff", Internal: req.Internal, Body: req.Body}, apiActor(r, p))
	if err != nil {
		s.apiServeError(w, r, err)
		return
	}
	s.wakeWebhooks()
	w.Header().Set("Location", "/api/v1/tickets/"+strconv.FormatInt(id, 10))
	s.writeJSON(w, http.StatusCreated, messageJSON(m))
}
