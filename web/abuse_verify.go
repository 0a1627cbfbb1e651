package web

import (
	"net/http"
	"strconv"
	"time"

	"safedesk/security"
	"safedesk/store"
	"safedesk/templates"
	"safedesk/templates/i18n"
)

// The limits of one-time codes, per client and per address and client, on
// top of the store's own (CodesPerHour per address, wrong tries per address
// and client or session). None is keyed by the address alone, which anyone
// who knows it could use up for its owner. A refusal counts against the
// client in the guard, so a client that keeps stuffing codes ends up
// blocked.

// AnonymousTicketLimit applies per client to tickets filed by visitors who
// have not verified an address: five at once, then one every six minutes.
var AnonymousTicketLimit = security.LimitConfig{Rate: 10.0 / 3600, Burst: 5}

// allowCodeSend takes a token from the client's and the address and
// client's code sending buckets; when either is empty it returns false and
// how long to wait.
func (s *Server) allowCodeSend(r *http.Request, email string) (bool, time.Duration) {
	return s.allowCode(r, s.abuse.codeSend, s.abuse.codeAddr, email)
}

// allowCodeCheck is allowCodeSend for checking a code.
func (s *Server) allowCodeCheck(r *http.Request, email string) (bool, time.Duration) {
	return s.allowCode(r, s.abuse.checkClient, s.abuse.checkAddr, email)
}

func (s *Server) allowCode(r *http.Request, perClient, perAddr *security.Limiter, email string) (bool, time.Duration) {
	if ok, wait := perAddr.Allow(string(s.db.EmailIndex(email)) + string(info(r).key[:])); !ok {
		s.abuseRecord(r, security.Event{Kind: security.EventLimited})
		return false, wait
	}
	return s.allowClient(r, perClient)
}

// allowAnonymousTicket takes a token from the client's bucket of tickets
// filed without a verified session; a verified customer is not limited.
func (s *Server) allowAnonymousTicket(r *http.Request) (bool, time.Duration) {
	if s.customerID(r) != 0 {
		return true, 0
	}
	return s.allowClient(r, s.abuse.tickets)
}

// allowClient takes a token from the client's bucket in l; exempt clients
// are counted but not limited (reqInfo.allow).
func (s *Server) allowClient(r *http.Request, l *security.Limiter) (bool, time.Duration) {
	if ok, wait := info(r).allow(l); !ok {
		s.abuseRecord(r, security.Event{Kind: security.EventLimited})
		return false, wait
	}
	return true, 0
}

// codeFailed records a wrong, expired or exhausted code (the store has
// audited it) as a security event and counts it against the client.
func (s *Server) codeFailed(r *http.Request) {
	err := s.db.RecordSecurityEvent(r.Context(), store.SecurityEvent{Kind: "verify.code_failed", Severity: store.SeverityInfo,
		ClientIP: clientIP(r), Actor: "-"})
	if err != nil {
		s.log.Error("security event not recorded", "kind", "verify.code_failed", "err", err, "request_id", info(r).id)
	}
	s.abuseRecord(r, security.Event{Kind: security.EventVerifyFailed})
}

// codeLimited answers 429 on the verification page, keeping what the
// person typed.
func (s *Server) codeLimited(w http.ResponseWriter, r *http.Request, email string, wait time.Duration, codeStep bool) {
	secs := max(1, int((wait+time.Second-1)/time.Second))
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	s.render(w, r, http.StatusTooManyRequests, templates.Verify(templates.VerifyProps{
		Page: s.page(r, i18n.T(r.Context(), i18n.ConfirmEmailTitle)), Email: email, CodeStep: codeStep,
		Errors: map[string]string{"code": i18n.T(r.Context(), i18n.CodeWait, i18n.From(r.Context()).Duration(wait))},
	}))
}
