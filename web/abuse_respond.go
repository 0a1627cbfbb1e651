package web

import (
	"context"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"safedesk/security"
	"safedesk/store"
	"safedesk/templates"
	"safedesk/templates/i18n"
	"safedesk/web/api"
)

// Responding to abuse: what the guard decided is carried out here (events,
// stored blocks, alerts), and refused requests are answered.

// abuseAct carries out what the guard decided about a client: a security
// event for a finding, another for a throttle, and for a block the stored
// block with the end of the client's customer sessions (one transaction,
// audited; staff sessions are kept and recorded) and an alert to the
// owners and admins.
func (s *Server) abuseAct(r *http.Request, ev security.Event, act security.Action) {
	ctx := context.WithoutCancel(r.Context())
	client := store.ClientID(info(r).ip)
	if client == "" {
		client = clientIP(r) // known only by an unreadable forwarding hop
	}
	switch {
	case act.Kind.Has(security.ActionBlock) && !info(r).ip.IsValid():
		// No address to store as blocked or sessions to end: the guard
		// keeps the block in memory under the client's key.
		s.abuseEvent(ctx, r, client, "abuse.blocked", store.SeverityCritical, act,
			map[string]any{"until": act.Until.UTC().Format(time.RFC3339), "stored": false})
		s.mon.AlertNow()
		return
	case act.Kind.Has(security.ActionBlock):
		res, err := s.db.SaveBlock(ctx, store.Block{Client: client, Until: act.Until, Level: act.Level, Reason: act.Reason},
			act.Kind.Has(security.ActionKillSessions))
		if err != nil {
			s.log.Error("block not stored", "client", client, "err", err, "request_id", info(r).id)
			return
		}
		s.log.Warn("client blocked", "client", client, "reason", act.Reason, "level", act.Level, "until", act.Until.UTC(),
			"staff_sessions_kept", res.StaffSessions, "customer_sessions_ended", res.CustomerSessions)
		s.mon.AlertNow()
		return
	case act.Kind.Has(security.ActionThrottle):
		s.abuseEvent(ctx, r, client, "abuse.throttled", store.SeverityWarning, act, map[string]any{"until": act.Until.UTC().Format(time.RFC3339)})
		return
	}
	kind := ""
	switch {
	case strings.HasPrefix(act.Reason, "anomaly:"):
		kind = "abuse.anomaly"
	case ev.Kind == security.EventProbe:
		kind = "abuse.probe"
	case ev.Kind == security.EventPayload:
		kind = "abuse.payload"
	case ev.Kind == security.EventLimited:
		kind = "abuse.limited"
	}
	if kind != "" { // failed verifications are recorded where they happen
		s.abuseEvent(ctx, r, client, kind, store.SeverityWarning, act, nil)
	}
}

// abuseEvent records a security event about the client of r.
func (s *Server) abuseEvent(ctx context.Context, r *http.Request, client, kind, severity string, act security.Action, extra map[string]any) {
	details := map[string]any{
		"reason": act.Reason, "points": math.Round(act.Points*10) / 10,
		"method": r.Method, "path": templates.Clip(loggedPath(r), 200),
	}
	for k, v := range extra {
		details[k] = v
	}
	actor := "-"
	if st := info(r).staff; st != nil {
		actor = store.StaffTarget(st.ID)
	}
	if err := s.db.RecordSecurityEvent(ctx, store.SecurityEvent{Kind: kind, Severity: severity, ClientIP: client, Actor: actor, Details: details}); err != nil {
		s.log.Error("security event not recorded", "kind", kind, "err", err, "request_id", info(r).id)
	}
}

// abuseRecord reports a finding made by a handler (a failed verification,
// a chat probe) to the guard for r's client and acts on the answer. It
// returns true when the client has just been blocked: the caller may
// answer with s.refuse then, or carry on, as the next request is refused
// anyway. Handlers of other features call it as their hook into abuse
// detection.
func (s *Server) abuseRecord(r *http.Request, ev security.Event) bool {
	ri := info(r)
	if ri.exempt {
		return false
	}
	act, ok := s.abuse.guard.Record(string(ri.key[:]), ev)
	if !ok {
		return false
	}
	s.abuseAct(r, ev, act)
	return act.Kind.Has(security.ActionBlock)
}

// refuse answers a request the guard or a limiter turned away: status 403
// or 429 with Retry-After, as JSON under /api/ and as a page elsewhere.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, status int, wait time.Duration, blocked bool) {
	s.abuse.traffic.Refused(s.db.Now(), blocked)
	secs := max(1, int((wait+time.Second-1)/time.Second))
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	code, title, text := "rate_limited", i18n.RateTitle, i18n.RateWait
	if blocked {
		code, title, text = "blocked", i18n.PausedTitle, i18n.PausedWait
	}
	r = s.outerLocale(w, r) // the guard answers before the routes choose a language
	l := i18n.From(r.Context())
	msg := l.T(text, l.Duration(wait))
	if api.Handles(r.URL.Path) {
		api.WriteError(w, status, code, msg)
		return
	}
	if isHTMX(r) {
		// A background update is skipped while limited; a block reloads
		// the page, which then says what happened.
		if blocked {
			w.Header().Set("HX-Refresh", "true")
		} else {
			w.Header().Set("HX-Reswap", "none")
		}
	}
	s.render(w, r, status, templates.ErrorPage(templates.ErrorProps{
		Page: s.page(r, l.T(title)), Status: status, Message: msg, RequestID: info(r).id,
	}))
}

// rateLimited answers a request over a limit with 429 and tells the guard,
// which escalates a client that keeps ignoring the answer.
func (s *Server) rateLimited(w http.ResponseWriter, r *http.Request, key string, wait time.Duration) {
	ev := security.Event{Kind: security.EventLimited}
	if act, ok := s.abuse.guard.Record(key, ev); ok {
		s.abuseAct(r, ev, act)
		if act.Kind.Has(security.ActionBlock) {
			s.refuse(w, r, s.blockStatus(), act.Until.Sub(s.db.Now()), true)
			return
		}
	}
	s.refuse(w, r, http.StatusTooManyRequests, wait, false)
}

// abuseFinding reports a finding about the request to the guard and acts
// on the answer. It returns true when the client is now blocked and the
// request has been refused.
func (s *Server) abuseFinding(w http.ResponseWriter, r *http.Request, key string, ev security.Event) bool {
	act, ok := s.abuse.guard.Record(key, ev)
	if !ok {
		return false
	}
	s.abuseAct(r, ev, act)
	if act.Kind.Has(security.ActionBlock) {
		s.refuse(w, r, s.blockStatus(), act.Until.Sub(s.db.Now()), true)
		return true
	}
	return false
}

// blockStatus is the status answered to blocked clients.
func (s *Server) blockStatus() int {
	if s.cfg.Abuse.Guard != nil && s.cfg.Abuse.Guard.BlockStatus != 0 {
		return s.cfg.Abuse.Guard.BlockStatus
	}
	return security.DefaultGuardConfig.BlockStatus
}
