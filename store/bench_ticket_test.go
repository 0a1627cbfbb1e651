package store_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"safedesk/store"
	"safedesk/store/storetest"
)

// Ticket creation beside its floor. Each write is timed with what it costs
// the server: the server copies the write-ahead log into the database in
// the background (CheckpointWAL every second), so the benchmarks run that
// job too, for the store and the floor alike.
//
//	go test ./store/ -run '^$' -bench 'CreateTicket$|FloorInsert$' -benchmem -count 5
//	go test ./store/ -run '^$' -bench 'CreateTicketVsFloor' -count 5

const benchBody = `Hello, my order 100234 arrived this morning but the grinder inside was damaged: the hopper lid is cracked and the burr carrier rattles when I shake the box. The outer carton looked fine, so it probably happened before packing. Could you send a replacement or tell me how to return it? I have photos of the box and the label if you need them. Thanks for your help, and sorry for the long message.`

// benchOp is one write of a benchmark: op(i) for the i-th, checkpoint the
// server's background job, pages the WAL pages written by a function.
type benchOp struct {
	op         func(i int) error
	checkpoint func(context.Context) (store.WALCheckpoint, error)
	pages      func(context.Context, func() error) (int, error)
}

// ticketCreation is CreateTicket for 16 returning customers, whose keys
// stay cached, as on a busy site.
func ticketCreation(b *testing.B) benchOp {
	db, _ := newTestDB(b)
	ctx := context.Background()
	emails := make([]string, 16)
	for i := range emails {
		emails[i] = fmt.Sprintf("customer%02d@example.com", i)
		if _, err := db.CreateTicket(ctx, store.NewTicket{Email: emails[i], Name: "Returning Customer", Subject: "First", Body: "First ticket."}, customerActor); err != nil {
			b.Fatal(err)
		}
	}
	create := func(i int) error {
		_, err := db.CreateTicket(ctx, store.NewTicket{Email: emails[i%len(emails)], Name: "Returning Customer", Subject: "Grinder arrived damaged", Body: benchBody}, customerActor)
		return err
	}
	return benchOp{op: create, checkpoint: db.CheckpointWAL, pages: db.WALPages}
}

// floorInsert decodes an equivalent JSON payload and runs one plain INSERT
// into a table of the same shape, on a database with the store's pragmas.
func floorInsert(b *testing.B) benchOp {
	path := filepath.Join(b.TempDir(), "floor.db")
	db, err := sql.Open("sqlite", store.DSN(path))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	db.SetMaxOpenConns(1)
	reader, err := sql.Open("sqlite", store.ReaderDSN(path))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { reader.Close() })
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, `CREATE TABLE tickets (
		id          INTEGER PRIMARY KEY AUTOINCREMENT,
		customer_id INTEGER NOT NULL,
		email       TEXT    NOT NULL,
		name        TEXT    NOT NULL,
		subject     TEXT    NOT NULL,
		body        TEXT    NOT NULL,
		status      TEXT    NOT NULL DEFAULT 'open',
		priority    TEXT    NOT NULL DEFAULT 'normal',
		created_at  INTEGER NOT NULL,
		updated_at  INTEGER NOT NULL
	) STRICT`); err != nil {
		b.Fatal(err)
	}
	payloads := make([][]byte, 16)
	for i := range payloads {
		if payloads[i], err = json.Marshal(store.NewTicket{Email: fmt.Sprintf("customer%02d@example.com", i), Name: "Returning Customer", Subject: "Grinder arrived damaged", Body: benchBody}); err != nil {
			b.Fatal(err)
		}
	}
	insert := func(i int) error {
		var t store.NewTicket
		if err := json.Unmarshal(payloads[i%len(payloads)], &t); err != nil {
			return err
		}
		now := time.Now().UnixNano()
		_, err := db.ExecContext(ctx, `INSERT INTO tickets (customer_id, email, name, subject, body, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, i%len(payloads)+1, t.Email, t.Name, t.Subject, t.Body, now, now)
		return err
	}
	return benchOp{
		op:         insert,
		checkpoint: func(ctx context.Context) (store.WALCheckpoint, error) { return store.CheckpointWAL(ctx, reader, path) },
		pages:      func(ctx context.Context, fn func() error) (int, error) { return store.WALPages(ctx, db, fn) },
	}
}

// BenchmarkCreateTicket measures the whole CreateTicket: validation, sealing,
// one write transaction with the customer lookup, ticket, message and audit
// entry. It also reports the pages each ticket writes to the WAL.
func BenchmarkCreateTicket(b *testing.B) { runBenchOp(b, ticketCreation(b)) }

// BenchmarkFloorInsert is the least any ticket write can cost (floorInsert):
// no index, no transaction around it, no sealing.
func BenchmarkFloorInsert(b *testing.B) { runBenchOp(b, floorInsert(b)) }

func runBenchOp(b *testing.B, o benchOp) {
	stop := checkpointing(b, o.checkpoint)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if err := o.op(i); err != nil {
			b.Fatal(err)
		}
		i++
	}
	stop()
	reportWALPages(b, o.pages, o.op)
}

// BenchmarkCreateTicketVsFloor does one CreateTicket and one floor insert
// per iteration, each on its own database, and reports both means and
// their ratio: load from elsewhere on the machine weighs on both alike.
// It also times both with the thread's CPU clock (storetest.ThreadCPU):
// on a busy machine, floor/store-cpu is the steadier of the two ratios.
func BenchmarkCreateTicketVsFloor(b *testing.B) {
	create, floor := ticketCreation(b), floorInsert(b)
	stop := checkpointing(b, create.checkpoint, floor.checkpoint)
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var tStore, tFloor, cStore, cFloor time.Duration
	i := 0
	for b.Loop() {
		t0, c0 := time.Now(), storetest.ThreadCPU()
		if err := create.op(i); err != nil {
			b.Fatal(err)
		}
		t1, c1 := time.Now(), storetest.ThreadCPU()
		if err := floor.op(i); err != nil {
			b.Fatal(err)
		}
		c2 := storetest.ThreadCPU()
		tStore, tFloor = tStore+t1.Sub(t0), tFloor+time.Since(t1)
		cStore, cFloor = cStore+c1-c0, cFloor+c2-c1
		i++
	}
	stop()
	n := float64(b.N)
	b.ReportMetric(float64(tStore.Nanoseconds())/n, "store-ns/op")
	b.ReportMetric(float64(tFloor.Nanoseconds())/n, "floor-ns/op")
	b.ReportMetric(float64(tFloor)/float64(tStore), "floor/store")
	b.ReportMetric(float64(cStore.Nanoseconds())/n, "store-cpu-ns/op")
	b.ReportMetric(float64(cFloor.Nanoseconds())/n, "floor-cpu-ns/op")
	b.ReportMetric(float64(cFloor)/float64(cStore), "floor/store-cpu")
}

// checkpointing runs the checkpoints every second, as the server runs
// CheckpointWAL, until stop is called.
func checkpointing(b *testing.B, checkpoints ...func(context.Context) (store.WALCheckpoint, error)) (stop func()) {
	b.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			for _, c := range checkpoints {
				if _, err := c(ctx); err != nil && ctx.Err() == nil {
					b.Error(err)
				}
			}
		}
	})
	return func() { cancel(); wg.Wait() }
}

// reportWALPages runs op a fixed number of times more, after the timed loop,
// and reports how many pages each run wrote to the write-ahead log.
func reportWALPages(b *testing.B, count func(context.Context, func() error) (int, error), op func(i int) error) {
	b.Helper()
	const n = 500
	pages, err := count(context.Background(), func() error {
		for i := range n {
			if err := op(i); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(pages)/n, "wal-pages/op")
}
