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

// customerExport answers an access request with the customer and their
// tickets and messages (internal notes are not theirs), as a download. It
// holds less than the portal's /me/export (store.ExportSubject): no chats,
// consents or audit records. The export is audited.
func (h *Handler) customerExport(w http.ResponseWriter, r *http.Request, p *store.Principal) {
	id, err := httpx.PathID(r, "id")
	if err != nil {
		h.ServeError(w, r, err)
		return
	}
	x, err := h.db.ExportCustomer(r.Context(), id)
	if err != nil {
		h.ServeError(w, r, err)
		return
	}
	if err := h.db.RecordAudit(r.Context(), h.actor(r, p), "customer.exported", "customer:"+strconv.FormatInt(id, 10),
		map[string]any{"tickets": len(x.Tickets)}); err != nil {
		h.ServeError(w, r, err)
		return
	}
	tickets := make([]ticketJSON, len(x.Tickets))
	for i, t := range x.Tickets {
		tickets[i] = newTicketWithMessages(t.Ticket, t.Messages)
	}
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="customer-%d.json"`, id))
	httpx.WriteJSON(w, http.StatusOK, map[string]any{
		"exported_at": jsonTime(h.db.Now()), "customer": newCustomerJSON(x.Customer), "tickets": tickets,
	})
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
