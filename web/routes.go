package web

import (
	"net/http"

	"safedesk/static"
)

// routes is the one route table. Each group gets its middleware chain.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()

	// Health: no session, no logging noise.
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.HandleFunc("GET /readyz", s.readyz)

	// Static assets, embedded into the binary.
	mux.Handle("GET /static/", http.StripPrefix("/static/", static.Handler()))

	// Portal: public pages.
	portal := func(h http.HandlerFunc) http.Handler { return s.withCustomer(h) }
	mux.Handle("GET /{$}", portal(s.home))
	mux.Handle("GET /kb", portal(s.kbList))
	mux.Handle("GET /kb/search", portal(s.kbSearch))
	mux.Handle("GET /kb/{slug}", portal(s.kbArticle))
	mux.Handle("POST /kb/{slug}/feedback", portal(s.kbFeedbackPost))
	mux.Handle("GET /privacy", portal(s.privacy))
	mux.Handle("GET /security", portal(s.securityPage))

	// Portal: tickets and verification.
	mux.Handle("GET /tickets/new", portal(s.ticketNew))
	mux.Handle("POST /tickets/new", portal(s.ticketCreatePost))
	mux.Handle("GET /verify", portal(s.verify))
	mux.Handle("POST /verify", portal(s.verifyPost))
	mux.Handle("POST /verify/signout", portal(s.signoutPost))

	// Portal: a verified customer's own tickets.
	verified := func(h http.HandlerFunc) http.Handler { return s.withCustomer(s.requireCustomer(h)) }
	mux.Handle("GET /tickets", verified(s.ticketList))
	mux.Handle("GET /tickets/{id}", verified(s.ticketView))
	mux.Handle("POST /tickets/{id}/reply", verified(s.ticketReplyPost))

	// Portal: a verified customer's own data: export and erasure (web/me.go).
	s.meRoutes(mux)

	// Chat: the visitor's chat and the staff's queue (web/chat.go has its table).
	s.chatRoutes(mux)

	// Staff panel (web/admin.go has its route table).
	s.adminRoutes(mux)

	// Public API, OAuth2 token endpoint, OpenAPI: web/api has its own route
	// table (api.Routes) and answers everything under these two prefixes,
	// in JSON, without the customer session.
	mux.Handle("/api/", s.api)
	mux.Handle("/oauth/", s.api)

	mux.Handle("/", portal(s.notFound))

	return s.chain(mux,
		s.requestID, // first, so that even a panic's error page names the request
		s.recoverPanics,
		s.logRequests,
		s.realClientIP,
		s.securityHeaders,
		s.limitBody,
		s.abuseCheck, // needs the client address; see web/abuse.go
		s.crossOrigin,
	)
}

// chain wraps h in middleware, the first listed outermost.
func (s *Server) chain(h http.Handler, mw ...func(http.Handler) http.Handler) http.Handler {
	for i := len(mw) - 1; i >= 0; i-- {
		h = mw[i](h)
	}
	return h
}
