package web

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	"safedesk/security"
)

// The article-page benchmarks serve over a real loopback connection, as a
// browser would, so that both sides pay what net/http costs and the ratio
// shows what safedesk adds. Run them together:
//
//	go test ./web/ -run '^$' -bench 'KBArticlePage|FloorStaticPage' -benchmem

// BenchmarkKBArticlePage fetches a knowledge-base article through the whole
// middleware stack and the session manager, as a visitor without a session.
func BenchmarkKBArticlePage(b *testing.B) {
	env := newTestServerTB(b)
	benchGet(b, env.http.URL+"/kb/returns-and-refunds")
}

// BenchmarkFloorStaticPage is the floor: a bare net/http handler writing a
// page of the same size as the article page.
func BenchmarkFloorStaticPage(b *testing.B) {
	env := newTestServerTB(b)
	size := len(fetch(b, http.DefaultClient, env.http.URL+"/kb/returns-and-refunds"))
	page := bytes.Repeat([]byte("x"), size)
	floor := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(page)
	}))
	b.Cleanup(floor.Close)
	benchGet(b, floor.URL+"/kb/returns-and-refunds")
}

func benchGet(b *testing.B, url string) {
	c := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	size := len(fetch(b, c, url))
	b.SetBytes(int64(size))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		fetch(b, c, url)
	}
}

func fetch(b *testing.B, c *http.Client, url string) []byte {
	resp, err := c.Get(url)
	if err != nil {
		b.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || resp.StatusCode != 200 {
		b.Fatalf("status %d, %v", resp.StatusCode, err)
	}
	return body
}

// BenchmarkStaffSessionLookup is what every admin request costs before its
// handler runs: the scs session load, the staff_sessions row (live, idle and
// absolute limits), the staff member, the activity update and the
// permission check, served in-process without the network.
func BenchmarkStaffSessionLookup(b *testing.B) {
	env := newTestServerTB(b)
	c, _ := env.owner()
	h := env.srv.adminPage(security.PermTicketsRead, func(w http.ResponseWriter, r *http.Request) {})
	req := httptest.NewRequest("GET", "/admin/tickets", nil)
	req.RemoteAddr = "127.0.0.1:5000"
	u, _ := url.Parse(env.http.URL)
	for _, ck := range c.c.Jar.Cookies(u) {
		req.AddCookie(ck)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != 200 {
		b.Fatalf("status %d", w.Code)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req.WithContext(context.WithValue(req.Context(), ctxKey{}, &reqInfo{})))
		if w.Code != 200 {
			b.Fatalf("status %d", w.Code)
		}
	}
}
