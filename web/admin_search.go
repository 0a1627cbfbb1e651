package web

import (
	"net/http"
	"strings"

	"safedesk/security"
	"safedesk/store"
)

// adminSearchTickets runs the ticket queue's search. A query that is an
// email address finds that customer's tickets, which tells who is behind a
// masked address: it needs pii:reveal and is audited as a reveal. Without
// the permission nothing is listed and notice says why.
func (s *Server) adminSearchTickets(r *http.Request, f store.TicketFilter, q string) (ts []store.Ticket, next int64, notice string, err error) {
	q = strings.TrimSpace(q)
	if q == "" || store.ValidateEmail(q) != "" {
		ts, next, err = s.db.SearchTickets(r.Context(), f, q)
		return ts, next, "", err
	}
	if !s.currentStaff(r).Role.Can(security.PermPIIReveal) {
		return nil, 0, "Finding tickets by email address shows who a customer is, which your role may not see. Search by subject instead.", nil
	}
	ts, next, err = s.db.SearchTicketsByEmail(r.Context(), f, q, s.staffActor(r))
	return ts, next, "", err
}
