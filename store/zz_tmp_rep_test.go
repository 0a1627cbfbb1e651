package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"runtime/pprof"
	"syscall"
	"testing"
	"time"

	"safedesk/store"
)

func cpuNow() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func BenchmarkTmpRep(b *testing.B) {
	searchCorpus(b)
	db, _ := sql.Open("sqlite", store.DSN(filepath.Join(corpusDir, "safedesk.db"), true))
	defer db.Close()
	db.SetMaxOpenConns(1)
	ctx := context.Background()
	var ids []int64
	rows, _ := db.QueryContext(ctx, `SELECT rowid FROM kb_fts WHERE kb_fts MATCH '"done"' LIMIT 10`)
	for rows.Next() {
		var id int64
		rows.Scan(&id)
		ids = append(ids, id)
	}
	rows.Close()
	run := func(name, q string, vary func(i int) []any) {
		st, err := db.PrepareContext(ctx, q)
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		c0 := cpuNow()
		const n = 3000
		pprof.Do(ctx, pprof.Labels("v", name), func(ctx context.Context) {
			for i := range n {
				rows, err := st.QueryContext(ctx, vary(i)...)
				if err != nil {
					b.Fatal(err)
				}
				for rows.Next() {
				}
				rows.Close()
			}
		})
		fmt.Printf("%-40s %v cpu/op\n", name, (cpuNow()-c0)/n)
	}
	sn := func(m, r string) string {
		return "SELECT snippet(kb_fts, 1, char(2), char(3), '…', 24) FROM kb_fts WHERE kb_fts MATCH " + m + " AND rowid = " + r
	}
	for round := 0; round < 2; round++ {
		run("A", sn("?", "?"), func(i int) []any { return []any{`"done"`, ids[i%10]} })
		run("B", sn("?", "+?"), func(i int) []any { return []any{`"done"`, ids[i%10]} })
		run("C", sn("+?", "?"), func(i int) []any { return []any{`"done"`, ids[i%10]} })
		run("D", sn("+?", "+?"), func(i int) []any { return []any{`"done"`, ids[i%10]} })
		rank := `SELECT rowid, bm25(kb_fts, 10.0, 1.0) AS score FROM kb_fts WHERE kb_fts MATCH ? ORDER BY score LIMIT ?`
		run("E", rank, func(i int) []any { return []any{`"lodim"`, 10} })
		rank2 := `SELECT rowid, bm25(kb_fts, 10.0, 1.0) AS score FROM kb_fts WHERE kb_fts MATCH +? ORDER BY score LIMIT +?`
		run("F", rank2, func(i int) []any { return []any{`"lodim"`, 10} })
	}
}
