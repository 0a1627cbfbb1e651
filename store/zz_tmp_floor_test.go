package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

func BenchmarkTmpFloorDist(b *testing.B) {
	db, _ := sql.Open("sqlite", dsn(filepath.Join(b.TempDir(), "floor.db"), false))
	defer db.Close()
	db.SetMaxOpenConns(1)
	ctx := context.Background()
	db.ExecContext(ctx, `CREATE TABLE tickets (id INTEGER PRIMARY KEY AUTOINCREMENT, customer_id INTEGER NOT NULL, email TEXT NOT NULL, name TEXT NOT NULL, subject TEXT NOT NULL, body TEXT NOT NULL, status TEXT NOT NULL DEFAULT 'open', priority TEXT NOT NULL DEFAULT 'normal', created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL) STRICT`)
	body := "Hello, my order 100234 arrived this morning but the grinder inside was damaged: the hopper lid is cracked and the burr carrier rattles when I shake the box. The outer carton looked fine, so it probably happened before packing. Could you send a replacement or tell me how to return it? I have photos of the box and the label if you need them. Thanks for your help, and sorry for the long message."
	var cs []time.Duration
	i := 0
	for b.Loop() {
		t0 := time.Now()
		now := time.Now().UnixNano()
		if _, err := db.ExecContext(ctx, `INSERT INTO tickets (customer_id, email, name, subject, body, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?)`, i%16+1, "customer01@example.com", "Returning Customer", "Grinder arrived damaged", body, now, now); err != nil {
			b.Fatal(err)
		}
		cs = append(cs, time.Since(t0))
		i++
	}
	slices.Sort(cs)
	var over, tot time.Duration
	for _, c := range cs {
		tot += c
		if c > cs[len(cs)/2]*4 {
			over += c
		}
	}
	b.ReportMetric(float64(cs[len(cs)/2].Microseconds()), "p50-us")
	b.ReportMetric(float64(over.Microseconds())/float64(len(cs)), "outlierShare-us")
}
