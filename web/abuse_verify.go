package web

import (
	"net/http"
	"strconv"
	"time"

	"safedesk/security"
	"safedesk/store"
	"safedesk/templates"
)

// The limits of one-time codes, per client and per address, on top of the
// store's own (CodesPerHour per address, CodeMaxAttempts per code). A
// refusal counts against the client in the guard, so a client that keeps
// stuffing codes ends up blocked.

// allowCodeSend takes a token from the client's and the address's code
// sending buckets; when either is empty it returns false and how long to
// wait.
func (s *Server) allowCodeSend(r *http.Request, email string) (bool, time.Duration) {
	return s.allowCode(r, s.abuse.codeSend, s.abuse.codeAddr, email)
}

// allowCodeCheck is allowCodeSend for checking a code.
func (s *Server) allowCodeCheck(r *http.Request, email string) (bool, time.Duration) {
	return s.allowCode(r, s.abuse.checkClient, s.abuse.checkAddr, email)
}

func (s *Server) allowCode(r *http.Request, perClient, perAddr *security.Limiter, email string) (bool, time.Duration) {
	if ok, wait := perAddr.Allow(string(s.db.EmailIndex(email))); !ok {
		s.abuseRecord(r, security.Event{Kind: security.EventLimited})
		return false, wait
	}
	ip := info(r).ip
	if !ip.IsValid() || s.abuse.isExempt(ip) {
		return true, 0
	}
	k := clientKey(ip)
	if ok, wait := perClient.Allow(string(k[:])); !ok {
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
		Page: s.page(r, "Confirm your email"), Email: email, CodeStep: codeStep,
		Errors: map[string]string{"code": "Too many attempts. Please wait " + templates.Duration(wait) + " before trying again."},
	}))
}
