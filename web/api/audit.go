package api

import (
	"encoding/hex"
	"net/http"
	"time"

	"safedesk/store"
	"safedesk/web/httpx"
)

// auditJSON is an audit entry as the API shows it, hashes in hex.
type auditJSON struct {
	Seq      int64          `json:"seq"`
	At       any            `json:"at"`
	Actor    map[string]any `json:"actor"`
	Action   string         `json:"action"`
	Target   string         `json:"target"`
	ClientIP string         `json:"client_ip"`
	Details  map[string]any `json:"details"`
	PrevHash string         `json:"prev_hash"`
	Hash     string         `json:"hash"`
}

// auditList pages through the audit log in order: after=SEQ returns the
// entries that follow SEQ.
func (h *Handler) auditList(w http.ResponseWriter, r *http.Request, p *store.Principal) {
	after, limit, err := queryPage(r, "after", 100, 1000)
	if err != nil {
		h.ServeError(w, r, err)
		return
	}
	entries, err := h.db.ListAudit(r.Context(), store.AuditFilter{After: after, Limit: limit})
	if err != nil {
		h.ServeError(w, r, err)
		return
	}
	out := make([]auditJSON, len(entries))
	for i, e := range entries {
		out[i] = auditJSON{Seq: e.Seq, At: jsonTime(e.At), Actor: map[string]any{"type": e.Actor.Type, "id": e.Actor.ID},
			Action: e.Action, Target: e.Target, ClientIP: e.Actor.ClientIP, Details: e.Details,
			PrevHash: hex.EncodeToString(e.PrevHash), Hash: hex.EncodeToString(e.Hash)}
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"entries": out})
}

// eventJSON is a security event as the API shows it.
type eventJSON struct {
	ID       int64          `json:"id"`
	At       any            `json:"at"`
	Kind     string         `json:"kind"`
	Severity string         `json:"severity"`
	ClientIP string         `json:"client_ip"`
	Actor    string         `json:"actor"`
	Details  map[string]any `json:"details"`
}

// securityEvents lists security events newest first; before=ID pages on.
func (h *Handler) securityEvents(w http.ResponseWriter, r *http.Request, p *store.Principal) {
	before, limit, err := queryPage(r, "before", 100, 1000)
	if err != nil {
		h.ServeError(w, r, err)
		return
	}
	f := store.EventFilter{Kind: r.URL.Query().Get("kind"), Before: before, Limit: limit}
	if len(f.Kind) > 100 {
		h.ServeError(w, r, &store.ValidationError{Fields: map[string]string{"kind": "Use at most 100 characters."}})
		return
	}
	if since := r.URL.Query().Get("since"); since != "" {
		t, err := time.Parse(time.RFC3339, since)
		if err != nil {
			h.ServeError(w, r, &store.ValidationError{Fields: map[string]string{"since": "Use an RFC 3339 time like 2026-01-02T15:04:05Z."}})
			return
		}
		f.Since = t
	}
	events, err := h.db.ListSecurityEvents(r.Context(), f)
	if err != nil {
		h.ServeError(w, r, err)
		return
	}
	out := make([]eventJSON, len(events))
	for i, e := range events {
		out[i] = eventJSON{ID: e.ID, At: jsonTime(e.At), Kind: e.Kind, Severity: e.Severity, ClientIP: e.ClientIP, Actor: e.Actor, Details: e.Details}
		if out[i].Details == nil {
			out[i].Details = map[string]any{}
		}
	}
	httpx.WriteJSON(w, http.StatusOK, map[string]any{"events": out})
}
