package web

import (
	"context"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"safedesk/security"
	"safedesk/store"
	"safedesk/templates"
	"safedesk/web/api"
)

// abuseAct carries out what the guard decided about a client: a security
// event for a finding, another for a throttle, and for a block the stored
// block with the end of the client's sessions (one transaction, audited)
// and an alert to the owners and admins.
func (s *Server) abuseAct(r *http.Request, ev security.Event, act security.Action) {
	ctx := context.WithoutCancel(r.Context())
	client := store.ClientID(info(r).ip)
	switch {
	case act.Kind.Has(security.ActionBlock):
		res, err := s.db.SaveBlock(ctx, store.Block{Client: client, Until: act.Until, Level: act.Level, Reason: act.Reason},
			act.Kind.Has(security.ActionKillSessions))
		if err != nil {
			s.log.Error("block not stored", "client", client, "err", err, "request_id", info(r).id)
			return
		}
		s.log.Warn("client blocked", "client", client, "reason", act.Reason, "level", act.Level, "until", act.Until.UTC(),
			"staff_sessions_ended", res.StaffSessions, "customer_sessions_ended", res.CustomerSessions)
		s.kickAlerts()
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
		"method": r.Method, "path": clip(r.URL.Path, 200),
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
	ip := info(r).ip
	if !ip.IsValid() || s.abuse.isExempt(ip) {
		return false
	}
	key := s.abuse.keys.get(clientKey(ip))
	act, ok := s.abuse.guard.Record(key, ev)
	if !ok {
		return false
	}
	s.abuseAct(r, ev, act)
	return act.Kind.Has(security.ActionBlock)
}

// signInFailures maps the security events of refused staff sign-ins to
// their audit action.
var signInFailures = map[string]string{
	"passkey.assertion_failed":        "staff.sign_in_failed",
	"passkey.unknown_credential":      "staff.sign_in_failed",
	"passkey.sign_count_regressed":    "staff.sign_in_failed",
	"passkey.backup_eligible_changed": "staff.sign_in_failed",
	"staff.disabled_sign_in":          "staff.sign_in_failed",
	"webauthn.ceremony_reused":        "staff.sign_in_failed",
	"passkey.registration_failed":     "staff.enrol_failed",
}

// recordSecurityEvent stores a security event raised by a handler. A
// refused sign-in also gets an audit entry in the same transaction (by a
// visitor with the client address, or by the staff member during a
// step-up) and counts against the client as a failed verification.
func (s *Server) recordSecurityEvent(r *http.Request, kind, severity string, details map[string]any) {
	actor := "-"
	if st := info(r).staff; st != nil {
		actor = store.StaffTarget(st.ID)
	}
	ev := store.SecurityEvent{Kind: kind, Severity: severity, ClientIP: clientIP(r), Actor: actor, Details: details}
	action, failure := signInFailures[kind]
	if !failure {
		if err := s.db.RecordSecurityEvent(r.Context(), ev); err != nil {
			s.log.Error("security event not recorded", "kind", kind, "err", err, "request_id", info(r).id)
		}
		return
	}
	a := store.Actor{Type: store.ActorVisitor, ID: "-", ClientIP: clientIP(r)}
	if st := info(r).staff; st != nil {
		a = store.Actor{Type: store.ActorStaff, ID: strconv.FormatInt(st.ID, 10), ClientIP: clientIP(r)}
		action = "staff.step_up_failed"
	}
	target := "-"
	if id, ok := details["staff"].(int64); ok {
		target = store.StaffTarget(id)
	}
	s.authFailed(r, ev, a, action, target)
}

// authFailed records a refused credential (event and audit entry in one
// transaction) and counts it against the client.
func (s *Server) authFailed(r *http.Request, ev store.SecurityEvent, a store.Actor, action, target string) {
	if err := s.db.RecordAuthFailure(context.WithoutCancel(r.Context()), ev, a, action, target); err != nil {
		s.log.Error("sign-in failure not recorded", "kind", ev.Kind, "err", err, "request_id", info(r).id)
	}
	s.abuseRecord(r, security.Event{Kind: security.EventVerifyFailed})
}

// apiAuthFailure is the API's AuthFailed hook (api.Hooks): a refused API
// token or OAuth client secret, recorded and counted like any failed
// sign-in.
func (s *Server) apiAuthFailure(r *http.Request, kind string) {
	s.authFailed(r, store.SecurityEvent{Kind: kind, Severity: store.SeverityWarning, ClientIP: clientIP(r), Actor: "-",
		Details: map[string]any{"path": clip(r.URL.Path, 200)}},
		store.Actor{Type: store.ActorVisitor, ID: "-", ClientIP: clientIP(r)}, "api.auth_failed", "-")
}

// sessClient is the customer session's client as last bound.
const sessClient = "client"

// noteCustomerClient binds a verified customer's session to the client it
// is used from, so that a block of that client ends it. Only a change of
// client writes to the database.
func (s *Server) noteCustomerClient(r *http.Request) {
	if s.customerID(r) == 0 || !info(r).ip.IsValid() {
		return
	}
	ctx := r.Context()
	client := store.ClientID(info(r).ip)
	if s.customer.GetString(ctx, sessClient) == client {
		return
	}
	token := s.customer.Token(ctx)
	if token == "" {
		return
	}
	if err := s.db.BindSessionClient(ctx, store.TokenHash(token), client); err != nil {
		s.log.Error("session client not bound", "err", err, "request_id", info(r).id)
		return
	}
	s.customer.Put(ctx, sessClient, client)
}

// clip cuts s to at most n bytes, on a rune boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// refuse answers a request the guard or a limiter turned away: status 403
// or 429 with Retry-After, as JSON under /api/ and as a page elsewhere.
func (s *Server) refuse(w http.ResponseWriter, r *http.Request, status int, wait time.Duration, blocked bool) {
	s.abuse.traffic.refused(s.db.Now(), blocked)
	secs := max(1, int((wait+time.Second-1)/time.Second))
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	msg := "You are sending requests faster than we can answer them. Please wait " + waitText(secs) + " and try again."
	code := "rate_limited"
	if blocked {
		msg = "Requests from your network are paused after unusual activity. Please try again in " + waitText(secs) +
			". If you think this is a mistake, write to us by email."
		code = "blocked"
	}
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
	title := "Too many requests"
	if blocked {
		title = "Access paused"
	}
	s.render(w, r, status, templates.ErrorPage(templates.ErrorProps{
		Page: s.page(r, title), Status: status, Message: msg, RequestID: info(r).id,
	}))
}

// waitText says how long to wait in words.
func waitText(secs int) string {
	switch {
	case secs < 90:
		return strconv.Itoa(secs) + " seconds"
	case secs < 90*60:
		return strconv.Itoa((secs+59)/60) + " minutes"
	}
	return strconv.Itoa((secs+3599)/3600) + " hours"
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
