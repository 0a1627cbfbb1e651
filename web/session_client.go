package web

import (
	"net/http"

	"safedesk/store"
)

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
