package web

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"safedesk/security"
	"safedesk/store"
)

type apiWebhookJSON struct {
	ID             int64    `json:"id"`
	URL            string   `json:"url"`
	Events         []string `json:"events"`
	Description    string   `json:"description"`
	Active         bool     `json:"active"`
	Failures       int      `json:"failures"`
	DisabledAt     any      `json:"disabled_at"`
	DisabledReason string   `json:"disabled_reason"`
	CreatedAt      any      `json:"created_at"`
	UpdatedAt      any      `json:"updated_at"`
	Secret         string   `json:"secret,omitempty"`
}

func webhookJSON(h store.Webhook) apiWebhookJSON {
	return apiWebhookJSON{ID: h.ID, URL: h.URL, Events: h.Events, Description: h.Description, Active: h.Active,
		Failures: h.Failures, DisabledAt: apiTime(h.DisabledAt), DisabledReason: h.DisabledReason,
		CreatedAt: apiTime(h.CreatedAt), UpdatedAt: apiTime(h.UpdatedAt)}
}

// checkWebhookURL refuses a destination that is not public (SSRF), unless
// its host is in --webhook-allow-hosts: a 422 on the url field.
func (s *Server) checkWebhookURL(ctx context.Context, url string) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return refusedURL(security.CheckURL(ctx, url, s.cfg.WebhookAllowHosts, s.cfg.WebhookLookup))
}

func (s *Server) apiWebhookList(w http.ResponseWriter, r *http.Request, p *store.Principal) {
	hooks, err := s.db.ListWebhooks(r.Context())
	if err != nil {
		s.apiServeError(w, r, err)
		return
	}
	out := make([]apiWebhookJSON, len(hooks))
	for i, h := range hooks {
		out[i] = webhookJSON(h)
	}
	s.writeJSON(w, http.StatusOK, map[string]any{"webhooks": out})
}

// webhookCreateRequest is the body of POST /webhooks.
type webhookCreateRequest struct {
	URL         string   `json:"url"`
	Events      []string `json:"events"`
	Description string   `json:"description"`
}

// apiWebhookCreate answers 201 with the webhook and its signing secret,
// which is shown this once.
func (s *Server) apiWebhookCreate(w http.ResponseWriter, r *http.Request, p *store.Principal) {
	var req webhookCreateRequest
	if err := decodeJSON(r, &req); err != nil {
		s.apiServeError(w, r, err)
		return
	}
	nw := store.NewWebhook{URL: req.URL, Events: req.Events, Description: req.Description}
	if err := nw.Validate(); err != nil {
		s.apiServeError(w, r, err)
		return
	}
	if err := s.checkWebhookURL(r.Context(), nw.URL); err != nil {
		s.apiServeError(w, r, err)
		return
	}
	h, secret, err := s.db.CreateWebhook(r.Context(), nw, apiActor(r, p))
	if err != nil {
		s.apiServeError(w, r, err)
		return
	}
	out := webhookJSON(h)
	out.Secret = secret
	w.Header().Set("Location", "/api/v1/webhooks/"+strconv.FormatInt(h.ID, 10))
	s.writeJSON(w, http.StatusCreated, out)
}

func (s *Server) apiWebhookGet(w http.ResponseWriter, r *http.Request, p *store.Principal) {
	id, err := pathID(r, "id")
	if err != nil {
		s.apiServeError(w, r, err)
		return
	}
	h, err := s.db.GetWebhook(r.Context(), id)
	if err != nil {
		s.apiServeError(w, r, err)
		return
	}
	s.writeJSON(w, http.StatusOK, webhookJSON(h))
}

// webhookUpdateRequest is the body of PATCH /webhooks/{id}; absent fields
// stay. active true re-enables a webhook disabled after failures.
type webhookUpdateRequest struct {
	URL         *string   `json:"url"`
	Events      *[]string `json:"events"`
	Description *string   `json:"description"`
	Active      *bool     `json:"active"`
}

func (s *Server) apiWebhookUpdate(w http.ResponseWriter, r *http.Request, p *store.Principal) {
	id, err := pathID(r, "id")
	if err != nil {
		s.apiServeError(w, r, err)
		return
	}
	var req webhookUpdateRequest
	if err := decodeJSON(r, &req); err != nil {
		s.apiServeError(w, r, err)
		return
	}
	u := store.WebhookUpdate{URL: req.URL, Events: req.Events, Description: req.Description, Active: req.Active}
	if err := u.Validate(); err != nil {
		s.apiServeError(w, r, err)
		return
	}
	if u.URL != nil {
		if err := s.checkWebhookURL(r.Context(), *u.URL); err != nil {
			s.apiServeError(w, r, err)
			return
		}
	}
	h, err := s.db.UpdateWebhook(r.Context(), id, u, apiActor(r, p))
	if err != nil {
		s.apiServeError(w, r, err)
		return
	}
	s.wakeWebhooks()
	s.writeJSON(w, http.StatusOK, webhookJSON(h))
}

func (s *Server) apiWebhookDelete(w http.ResponseWriter, r *http.Request, p *store.Principal) {
	id, err := pathID(r, "id")
	if err != nil {
		s.apiServeError(w, r, err)
		return
	}
	if err := s.db.DeleteWebhook(r.Context(), id, apiActor(r, p)); err != nil {
		s.apiServeError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
}

type apiDeliveryJSON struct {
	ID         int64  `json:"id"`
	DeliveryID int64  `json:"delivery_id"`
	MessageID  string `json:"message_id"`
	Event      string `json:"event"`
	State      string `json:"state"`
	Attempt    int    `json:"attempt"`
	At         any    `json:"at"`
	StatusCode int    `json:"status_code"`
	Error      string `json:"error"`
	DurationMS int64  `json:"duration_ms"`
}

// apiWebhookDeliveries is the webhook's delivery log, newest attempt first.
func (s *Server) apiWebhookDeliveries(w http.ResponseWriter, r *http.Request, p *store.Principal) {
	id, err := pathID(r, "id")
	if err != nil {
		s.apiServeError(w, r, err)
		return
	}
	before, err := queryInt(r, "before", 0)
	if err != nil {
		s.apiServeError(w, r, err)
		return
	}
	limit, err := queryLimit(r, 50, 200)
	if err != nil {
		s.apiServeError(w, r, err)
		return
	}
	if _, err := s.db.GetWebhook(r.Context(), id); err != nil {
		s.apiServeError(w, r, err)
		return
	}
	log, err := s.db.ListDeliveryLog(r.Context(), id, before, limit)
	if err != nil {
		s.apiServeError(w, r, err)
		return
	}
	out := make([]apiDeliveryJSON, len(log))
	for i, e := range log {
		out[i] = apiDeliveryJSON{ID: e.ID, DeliveryID: e.DeliveryID, MessageID: e.MsgID, Event: e.Event, State: e.State,
			Attempt: e.Attempt, At: apiTime(e.At), StatusCode: e.StatusCode, Error: e.Error, DurationMS: e.Duration.Milliseconds()}
	}
	s.writeJSON(w, http.StatusOK, map[string]any{"deliveries": out})
}
