package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"safedesk/security"
	"safedesk/store"
	"safedesk/web/httpx"
)

// webhookJSON is a webhook as the API shows it; Secret only once, at creation.
type webhookJSON struct {
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

func newWebhookJSON(wh store.Webhook) webhookJSON {
	return webhookJSON{ID: wh.ID, URL: wh.URL, Events: wh.Events, Description: wh.Description, Active: wh.Active,
		Failures: wh.Failures, DisabledAt: jsonTime(wh.DisabledAt), DisabledReason: wh.DisabledReason,
		CreatedAt: jsonTime(wh.CreatedAt), UpdatedAt: jsonTime(wh.UpdatedAt)}
}

// checkWebhookURL refuses a destination that is not public (SSRF), unless
// its host is in --webhook-allow-hosts: a 422 on the url field.
func (h *Handler) checkWebhookURL(ctx context.Context, url string) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	err := security.CheckURL(ctx, url, h.cfg.AllowHosts, h.cfg.Lookup)
	if detail := security.RefusalDetail(err); detail != "" {
		h.log.Warn("webhook url refused", "detail", detail) // where the name points, kept from the caller
	}
	return refusedURL(err)
}

// refusedURL turns an SSRF refusal into a 422 on the url field. The
// message names only the URL's own host and addresses.
func refusedURL(err error) error {
	if errors.Is(err, security.ErrWebhookRefused) {
		msg := strings.TrimPrefix(err.Error(), "security: ")
		return &store.ValidationError{Fields: map[string]string{"url": "Refused: " + msg + "."}}
	}
	return err
}

func (h *Handler) webhookList(w http.ResponseWriter, r *http.Request, p *store.Principal) {
	hooks, err := h.db.ListWebhooks(r.Context())
	if err != nil {
		h.ServeError(w, r, err)
		return
	}
	out := make([]webhookJSON, len(hooks))
	for i, wh := range hooks {
		out[i] = newWebhookJSON(wh)
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"webhooks": out})
}

// webhookCreateRequest is the body of POST /webhooks.
type webhookCreateRequest struct {
	URL         string   `json:"url"`
	Events      []string `json:"events"`
	Description string   `json:"description"`
}

// webhookCreate answers 201 with the webhook and its signing secret,
// which is shown this once.
func (h *Handler) webhookCreate(w http.ResponseWriter, r *http.Request, p *store.Principal) {
	var req webhookCreateRequest
	if err := decodeJSON(r, &req); err != nil {
		h.ServeError(w, r, err)
		return
	}
	nw := store.NewWebhook{URL: req.URL, Events: req.Events, Description: req.Description}
	if err := nw.Validate(); err != nil {
		h.ServeError(w, r, err)
		return
	}
	if err := h.checkWebhookURL(r.Context(), nw.URL); err != nil {
		h.ServeError(w, r, err)
		return
	}
	wh, secret, err := h.db.CreateWebhook(r.Context(), nw, h.actor(r, p))
	if err != nil {
		h.ServeError(w, r, err)
		return
	}
	out := newWebhookJSON(wh)
	out.Secret = secret
	w.Header().Set("Location", "/api/v1/webhooks/"+strconv.FormatInt(wh.ID, 10))
	httpx.WriteJSON(w, http.StatusCreated, out)
}

func (h *Handler) webhookGet(w http.ResponseWriter, r *http.Request, p *store.Principal) {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		h.ServeError(w, r, err)
		return
	}
	wh, err := h.db.GetWebhook(r.Context(), id)
	if err != nil {
		h.ServeError(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, newWebhookJSON(wh))
}

// webhookUpdateRequest is the body of PATCH /webhooks/{id}; absent fields
// stay. active true re-enables a webhook disabled after failures.
type webhookUpdateRequest struct {
	URL         *string   `json:"url"`
	Events      *[]string `json:"events"`
	Description *string   `json:"description"`
	Active      *bool     `json:"active"`
}

func (h *Handler) webhookUpdate(w http.ResponseWriter, r *http.Request, p *store.Principal) {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		h.ServeError(w, r, err)
		return
	}
	var req webhookUpdateRequest
	if err := decodeJSON(r, &req); err != nil {
		h.ServeError(w, r, err)
		return
	}
	u := store.WebhookUpdate{URL: req.URL, Events: req.Events, Description: req.Description, Active: req.Active}
	if err := u.Validate(); err != nil {
		h.ServeError(w, r, err)
		return
	}
	if u.URL != nil {
		if err := h.checkWebhookURL(r.Context(), *u.URL); err != nil {
			h.ServeError(w, r, err)
			return
		}
	}
	wh, err := h.db.UpdateWebhook(r.Context(), id, u, h.actor(r, p))
	if err != nil {
		h.ServeError(w, r, err)
		return
	}
	h.webhooks.Wake()
	httpx.WriteJSON(w, http.StatusOK, newWebhookJSON(wh))
}

func (h *Handler) webhookDelete(w http.ResponseWriter, r *http.Request, p *store.Principal) {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		h.ServeError(w, r, err)
		return
	}
	if err := h.db.DeleteWebhook(r.Context(), id, h.actor(r, p)); err != nil {
		h.ServeError(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
}

// deliveryJSON is one attempt in a webhook's delivery log.
type deliveryJSON struct {
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

// webhookDeliveries is the webhook's delivery log, newest attempt first.
func (h *Handler) webhookDeliveries(w http.ResponseWriter, r *http.Request, p *store.Principal) {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		h.ServeError(w, r, err)
		return
	}
	before, limit, err := queryPage(r, "before", 50, 200)
	if err != nil {
		h.ServeError(w, r, err)
		return
	}
	if _, err := h.db.GetWebhook(r.Context(), id); err != nil {
		h.ServeError(w, r, err)
		return
	}
	log, err := h.db.ListDeliveryLog(r.Context(), id, before, limit)
	if err != nil {
		h.ServeError(w, r, err)
		return
	}
	out := make([]deliveryJSON, len(log))
	for i, e := range log {
		out[i] = deliveryJSON{ID: e.ID, DeliveryID: e.DeliveryID, MessageID: e.MsgID, Event: e.Event, State: e.State,
			Attempt: e.Attempt, At: jsonTime(e.At), StatusCode: e.StatusCode, Error: e.Error, DurationMS: e.Duration.Milliseconds()}
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"deliveries": out})
}
