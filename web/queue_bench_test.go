package web

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"testing"
	"time"

	"safedesk/store"
)

// BenchmarkQueueByTagAndDue is the ticket queue of a busy desk: 100,000
// tickets (a tenth of them tagged vip, a hundredth billing; most open with
// a due time), filtered by tag and sorted by due time, served in-process
// through the whole staff middleware and the page's rendering. Seeding
// takes a minute or two; each sub-benchmark reports the p50, p95 and p99
// of the server's time per page:
//
//	go test ./web/ -run '^$' -bench QueueByTagAndDue -benchtime 200x
func BenchmarkQueueByTagAndDue(b *testing.B) {
	env := newTestServerTB(b)
	ctx := context.Background()
	if _, err := env.db.SetDueTargets(ctx, store.DueTargets{
		"low": {FirstResponse: 24 * time.Hour, Resolution: 120 * time.Hour}, "normal": {FirstResponse: 8 * time.Hour, Resolution: 40 * time.Hour},
		"high": {FirstResponse: 4 * time.Hour, Resolution: 16 * time.Hour}, "urgent": {FirstResponse: time.Hour, Resolution: 8 * time.Hour},
	}, store.SystemActor); err != nil {
		b.Fatal(err)
	}
	const tickets = 100_000
	var vip, billing []int64
	pending, solved := "pending", "solved"
	for i := range tickets {
		t, err := env.db.CreateTicket(ctx, store.NewTicket{Email: fmt.Sprintf("c%d@example.com", i%2000), Name: "Customer", Subject: fmt.Sprintf("Order %d", i),
			Body: "Where is it?"}, store.SystemActor)
		if err != nil {
			b.Fatal(err)
		}
		prio := store.TicketPriorities[i%4]
		u := store.TicketUpdate{Priority: &prio}
		switch i % 10 {
		case 7:
			u.Status = &pending
		case 8:
			u.Status = &solved
		}
		if i%4 != 1 || u.Status != nil { // keep "normal" open tickets as they are: one write fewer
			if _, _, err := env.db.UpdateTicket(ctx, t.ID, u, store.SystemActor); err != nil {
				b.Fatal(err)
			}
		}
		if i%10 == 3 {
			vip = append(vip, t.ID)
		}
		if i%100 == 42 {
			billing = append(billing, t.ID)
		}
	}
	for tag, ids := range map[string][]int64{"vip": vip, "billing": billing} {
		for batch := range slices.Chunk(ids, 1000) {
			if _, err := env.db.TagTickets(ctx, batch, store.TagChange{Add: []string{tag}}, store.SystemActor); err != nil {
				b.Fatal(err)
			}
		}
	}
	c, _ := env.owner()
	u, _ := url.Parse(env.http.URL)
	cookies := c.c.Jar.Cookies(u)
	for _, q := range []string{"tag=vip&sort=due", "tag=billing&sort=due", "sort=due", "tag=vip&due=soon&sort=due", "tag=vip"} {
		b.Run(q, func(b *testing.B) {
			var took []time.Duration
			for b.Loop() {
				req := httptest.NewRequest(http.MethodGet, "/admin/tickets?"+q, nil)
				req.RemoteAddr = "127.0.0.1:5000"
				for _, ck := range cookies {
					req.AddCookie(ck)
				}
				w := httptest.NewRecorder()
				start := time.Now()
				env.srv.ServeHTTP(w, req)
				took = append(took, time.Since(start))
				if w.Code != http.StatusOK {
					b.Fatalf("status %d", w.Code)
				}
			}
			slices.Sort(took)
			at := func(p float64) float64 { return float64(took[int(p*float64(len(took)-1))].Microseconds()) / 1000 }
			b.ReportMetric(at(0.50), "p50-ms")
			b.ReportMetric(at(0.95), "p95-ms")
			b.ReportMetric(at(0.99), "p99-ms")
		})
	}
}
