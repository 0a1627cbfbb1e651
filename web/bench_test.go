package web

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
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
