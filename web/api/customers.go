package api

import (
	"fmt"
	"net/http"
	"strconv"

	"safedesk/store"
	"safedesk/web/httpx"
)

// customerJSON is a customer as the API shows it, address unmasked.
type customerJSON struct {
	ID         int64  `json:"id"`
	Email      string `json:"email"`
	Name       string `json:"name"`
	VerifiedAt any    `json:"verified_at"`
	CreatedAt  any    `json:"created_at"`
}

func newCustomerJSON(c store.Customer) customerJSON {
	return customerJSON{ID: c.ID, Email: c.Email, Name: c.Name, VerifiedAt: jsonTime(c.VerifiedAt), CreatedAt: jsonTime(c.CreatedAt)}
}

// customerGet shows a customer's address and name unmasked, so each call
// is audited like a PII reveal in the staff panel.
func (h *Handler) customerGet(w http.ResponseWriter, r *http.Request, p *store.Principal) {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		h.ServeError(w, r, err)
		return
	}
	c, err := h.db.GetCustomer(r.Context(), id)
	if err != nil {
		h.ServeError(w, r, err)
		return
	}
	if err := h.db.RecordAudit(r.Context(), h.actor(r, p), "customer.pii_revealed", "customer:"+strconv.FormatInt(id, 10), nil); err != nil {
		h.ServeError(w, r, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, newCustomerJSON(c))
}

// customerExport answers an access request: everything held about the
// customer, the same document the customer downloads from /me/export, as
// a download. The export is audited.
func (h *Handler) customerExport(w http.ResponseWriter, r *http.Request, p *store.Principal) {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		h.ServeError(w, r, err)
		return
	}
	body, err := h.hooks.ExportSubject(r.Context(), id, h.actor(r, p))
	if err != nil {
		h.ServeError(w, r, err)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "application/json")
	hd.Set("Content-Disposition", fmt.Sprintf(`attachment; filename="customer-%d.json"`, id))
	hd.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	if _, err := httpx.LongResponse(w, httpx.WriteTimeout).Write(body); err != nil {
		h.log.Warn("export not fully sent", "route", r.Pattern, "err", err, "request_id", h.hooks.RequestID(r))
	}
}

// customerErase erases a customer by crypto-shredding (store.EraseCustomer).
func (h *Handler) customerErase(w http.ResponseWriter, r *http.Request, p *store.Principal) {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		h.ServeError(w, r, err)
		return
	}
	if _, err := h.db.EraseCustomer(r.Context(), id, h.actor(r, p)); err != nil {
		h.ServeError(w, r, err)
		return
	}
	h.webhooks.Wake()
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusNoContent)
}
