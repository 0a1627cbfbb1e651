package api

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"

	"safedesk/store"
)

// BenchmarkTokenAuth measures authenticating a bearer token: the store
// lookup alone, and the whole API middleware (lookup, rate limit, scope).
// The full request path, web's middleware included, is measured by web's
// BenchmarkAPIGetTicket and BenchmarkTicketCreate.
func BenchmarkTokenAuth(b *testing.B) {
	a := newTestAPI(b, func(c *Config) { c.Rate, c.Burst = 1e9, 1e9 })
	tok := a.token(store.ScopeTicketsRead)
	ip := netip.MustParseAddr("127.0.0.1")
	b.Run("store", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := a.db.AuthenticateToken(context.Background(), tok, ip); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("middleware", func(b *testing.B) {
		h := a.h.auth(store.ScopeTicketsRead, func(_ *Handler, w http.ResponseWriter, r *http.Request, p *store.Principal) {
			w.WriteHeader(http.StatusNoContent)
		})
		req := httptest.NewRequest("GET", "/api/v1/tickets", nil)
		req.RemoteAddr = "127.0.0.1:40000"
		req.Header.Set("Authorization", "Bearer "+tok)
		b.ReportAllocs()
		for b.Loop() {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != http.StatusNoContent {
				b.Fatal(w.Code)
			}
		}
	})
}
