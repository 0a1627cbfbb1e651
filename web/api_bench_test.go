package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"

	"safedesk/security"
	"safedesk/store"
	"safedesk/store/storetest"
	"safedesk/web/api"
	"safedesk/web/api/apitest"
	"safedesk/web/monitor"
)

// The API's request path measured end to end, through web's middleware
// and the mounted API handler; web/api's BenchmarkTokenAuth measures the
// API's authentication alone.

// benchServer is the real server over a real store, with rate limits far
// out of the way and logs discarded.
func benchServer(b *testing.B) (*Server, *store.DB) {
	b.Helper()
	dir := b.TempDir()
	ring, _, err := security.LoadMasterKey(filepath.Join(dir, "master.key"), true)
	if err != nil {
		b.Fatal(err)
	}
	db, err := store.Open(context.Background(), filepath.Join(dir, "safedesk.db"), ring, store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	checkpointing(b, db)
	base, _ := url.Parse("http://localhost:8080")
	s := quietServer(b, Config{BaseURL: base, API: api.Config{Rate: 1e9, Burst: 1e9}}, db)
	// Measure the request path alone, as before webhook delivery had its
	// own rounds: a stopped deliverer ignores the requests' wakes.
	s.Webhooks().Stop()
	return s, db
}

// checkpointing copies db's write-ahead log into the database in the
// background every second, as main schedules it, for the rest of the
// benchmark: a write is timed with what it costs the server.
func checkpointing(b *testing.B, db *store.DB) {
	b.Helper()
	sched := monitor.NewScheduler(slog.New(slog.DiscardHandler))
	if _, err := sched.AddFunc("@every 1s", func() {
		if _, err := db.CheckpointWAL(context.Background()); err != nil {
			b.Error(err)
		}
	}); err != nil {
		b.Fatal(err)
	}
	sched.Start()
	b.Cleanup(func() { <-sched.Stop().Done() })
}

// BenchmarkAPIGetTicket is a GET /api/v1/tickets/{id} round trip: through
// the full handler chain in process, and over a loopback HTTP connection.
func BenchmarkAPIGetTicket(b *testing.B) {
	s, db := benchServer(b)
	tok := apitest.Token(b, db, store.ScopeTicketsRead)
	t, err := db.CreateTicket(context.Background(), store.NewTicket{Email: "bench@example.com", Name: "Bench", Subject: "Grinder arrived damaged", Body: benchBody}, testAdmin)
	if err != nil {
		b.Fatal(err)
	}
	db.AddMessage(context.Background(), t.ID, store.NewMessage{AuthorType: "staff", AuthorID: 1, Body: "We are sending a new one."}, testAdmin)
	path := "/api/v1/tickets/" + strconv.FormatInt(t.ID, 10)
	b.Run("handler", func(b *testing.B) {
		req := httptest.NewRequest("GET", path, nil)
		req.RemoteAddr = "127.0.0.1:40000"
		req.Header.Set("Authorization", "Bearer "+tok)
		b.ReportAllocs()
		for b.Loop() {
			w := httptest.NewRecorder()
			s.ServeHTTP(w, req)
			if w.Code != 200 {
				b.Fatal(w.Code, w.Body.String())
			}
		}
	})
	b.Run("http", func(b *testing.B) {
		ts := httptest.NewServer(s)
		defer ts.Close()
		req, _ := http.NewRequest("GET", ts.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+tok)
		b.ReportAllocs()
		for b.Loop() {
			resp, err := ts.Client().Do(req)
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Fatal(resp.StatusCode)
			}
		}
	})
}

// benchTicket is the body of POST /api/v1/tickets.
type benchTicket struct {
	Email   string `json:"email"`
	Name    string `json:"name"`
	Subject string `json:"subject"`
	Body    string `json:"body"`
}

const benchBody = `Hello, my order 100234 arrived this morning but the grinder inside was damaged: the hopper lid is cracked and the burr carrier rattles when I shake the box. The outer carton looked fine, so it probably happened before packing. Could you send a replacement or tell me how to return it? I have photos of the box and the label if you need them. Thanks for your help, and sorry for the long message.`

// BenchmarkTicketCreate puts POST /api/v1/tickets (authentication, rate
// limit, strict decoding, validation, sealing, and one transaction with the
// customer lookup, ticket, message and audit entry) beside its floor: the
// same JSON decoded and one plain INSERT, on a store's own writer
// connection, so with exactly its SQLite settings. store is CreateTicket
// alone, so api minus store is what the HTTP layer adds. Each runs on a
// fresh database with returning customers, as on a busy site. The
// interleaved run gives the ratio that matters, api/floor, which must stay
// within 4×.
func BenchmarkTicketCreate(b *testing.B) {
	bodies := make([][]byte, 16)
	for i := range bodies {
		bodies[i], _ = json.Marshal(benchTicket{Email: fmt.Sprintf("customer%02d@example.com", i), Name: "Returning Customer",
			Subject: "Grinder arrived damaged", Body: benchBody})
	}
	setup := func(b *testing.B) (*Server, *store.DB) {
		s, db := benchServer(b)
		for i := range bodies {
			if _, err := db.CreateTicket(context.Background(), store.NewTicket{Email: fmt.Sprintf("customer%02d@example.com", i), Name: "R", Subject: "First", Body: "First."}, testAdmin); err != nil {
				b.Fatal(err)
			}
		}
		return s, db
	}
	// interleaved does one of each per iteration, on three databases, and
	// reports each one's mean and the ratio: load from elsewhere on the
	// machine then weighs on all three alike.
	b.Run("interleaved", func(b *testing.B) {
		s, db := setup(b)
		tok := apitest.Token(b, db, store.ScopeTicketsWrite)
		_, sdb := setup(b)
		_, fdb := setup(b)
		floor := storetest.Raw(b, fdb)
		if _, err := floor.Exec(`CREATE TABLE bench_floor (id INTEGER PRIMARY KEY, email TEXT NOT NULL, name TEXT NOT NULL,
			subject TEXT NOT NULL, body TEXT NOT NULL, created_at INTEGER NOT NULL) STRICT`); err != nil {
			b.Fatal(err)
		}
		runtime.LockOSThread() // for storetest.ThreadCPU
		defer runtime.UnlockOSThread()
		var tAPI, tStore, tFloor, cAPI, cFloor time.Duration
		i := 0
		for b.Loop() {
			body := bodies[i%len(bodies)]
			t0, c0 := time.Now(), storetest.ThreadCPU()
			req := httptest.NewRequest("POST", "/api/v1/tickets", bytes.NewReader(body))
			req.RemoteAddr = "127.0.0.1:40000"
			req.Header.Set("Authorization", "Bearer "+tok)
			req.Header.Set("Content-Type", "application/json")
			w := httptest.NewRecorder()
			s.ServeHTTP(w, req)
			if w.Code != http.StatusCreated {
				b.Fatal(w.Code, w.Body.String())
			}
			t1, c1 := time.Now(), storetest.ThreadCPU()
			var sr benchTicket
			if err := json.Unmarshal(body, &sr); err != nil {
				b.Fatal(err)
			}
			if _, err := sdb.CreateTicket(context.Background(), store.NewTicket{Email: sr.Email, Name: sr.Name, Subject: sr.Subject, Body: sr.Body}, testAdmin); err != nil {
				b.Fatal(err)
			}
			t2, c2 := time.Now(), storetest.ThreadCPU()
			var fr benchTicket
			if err := json.Unmarshal(body, &fr); err != nil {
				b.Fatal(err)
			}
			if _, err := floor.Exec("INSERT INTO bench_floor (email, name, subject, body, created_at) VALUES (?, ?, ?, ?, ?)",
				fr.Email, fr.Name, fr.Subject, fr.Body, i); err != nil {
				b.Fatal(err)
			}
			t3, c3 := time.Now(), storetest.ThreadCPU()
			tAPI, tStore, tFloor = tAPI+t1.Sub(t0), tStore+t2.Sub(t1), tFloor+t3.Sub(t2)
			cAPI, cFloor = cAPI+c1-c0, cFloor+c3-c2
			i++
		}
		n := float64(b.N)
		b.ReportMetric(float64(tAPI.Nanoseconds())/n, "api-ns/op")
		b.ReportMetric(float64(tStore.Nanoseconds())/n, "store-ns/op")
		b.ReportMetric(float64(tFloor.Nanoseconds())/n, "floor-ns/op")
		b.ReportMetric(float64(tAPI)/float64(tFloor), "api/floor")
		// The same in the thread's CPU time: steadier on a busy machine.
		b.ReportMetric(float64(cAPI)/float64(cFloor), "api/floor-cpu")
	})
	b.Run("api", func(b *testing.B) {
		s, db := setup(b)
		tok := apitest.Token(b, db, store.ScopeTicketsWrite)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			req := httptest.NewRequest("POST", "/api/v1/tickets", bytes.NewReader(bodies[i%len(bodies)]))
			req.RemoteAddr = "127.0.0.1:40000"
			req.Header.Set("Authorization", "Bearer "+tok)
			req.Header.Set("Content-Type", "application/json")
			w := httptest.NewRecorder()
			s.ServeHTTP(w, req)
			if w.Code != http.StatusCreated {
				b.Fatal(w.Code, w.Body.String())
			}
			i++
		}
	})
	b.Run("store", func(b *testing.B) {
		_, db := setup(b)
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			var req benchTicket
			if err := json.Unmarshal(bodies[i%len(bodies)], &req); err != nil {
				b.Fatal(err)
			}
			if _, err := db.CreateTicket(context.Background(), store.NewTicket{Email: req.Email, Name: req.Name, Subject: req.Subject, Body: req.Body}, testAdmin); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("floor", func(b *testing.B) {
		_, db := setup(b)
		w := storetest.Raw(b, db)
		if _, err := w.Exec(`CREATE TABLE bench_floor (id INTEGER PRIMARY KEY, email TEXT NOT NULL, name TEXT NOT NULL,
			subject TEXT NOT NULL, body TEXT NOT NULL, created_at INTEGER NOT NULL) STRICT`); err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			var req benchTicket
			if err := json.Unmarshal(bodies[i%len(bodies)], &req); err != nil {
				b.Fatal(err)
			}
			if _, err := w.Exec("INSERT INTO bench_floor (email, name, subject, body, created_at) VALUES (?, ?, ?, ?, ?)",
				req.Email, req.Name, req.Subject, req.Body, i); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}
