package web

// Refused credentials (passkey sign-ins, enrolments, API tokens, OAuth
// client secrets): each is recorded as a security event with an audit
// entry in the same transaction, and counts against the client in the
// abuse guard as a failed verification.

import (
	"context"
	"net/http"
	"strconv"

	"safedesk/security"
	"safedesk/store"
	"safedesk/templates"
)

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

// apiAuthFailure records a refused API token or OAuth client secret and
// counts it like any failed sign-in: the API's hook into abuse detection.
func (s *Server) apiAuthFailure(r *http.Request, kind string) {
	s.authFailed(r, store.SecurityEvent{Kind: kind, Severity: store.SeverityWarning, ClientIP: clientIP(r), Actor: "-",
		Details: map[string]any{"path": templates.Clip(loggedPath(r), 200)}},
		store.Actor{Type: store.ActorVisitor, ID: "-", ClientIP: clientIP(r)}, "api.auth_failed", "-")
}
