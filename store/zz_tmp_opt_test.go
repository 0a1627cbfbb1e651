package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"runtime"
	"slices"
	"syscall"
	"testing"
	"time"

	"safedesk/store"
)

func threadCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func measureCPU(c corpus, label string) {
	ctx := context.Background()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	for _, mode := range []int{store.MatchAll, store.MatchAny} {
		var lat []time.Duration
		byType := make([][]time.Duration, 6)
		for rep := 0; rep < 5; rep++ {
			for i, q := range c.queries {
				t := time.Now()
				c.db.SearchArticles(ctx, q, mode, 10)
				d := time.Since(t)
				lat = append(lat, d)
				byType[i%6] = append(byType[i%6], d)
			}
		}
		slices.Sort(lat)
		fmt.Printf("%s mode %d: cpu p50 %v p95 %v |", label, mode, lat[len(lat)/2], lat[len(lat)*95/100])
		for _, l := range byType {
			slices.Sort(l)
			fmt.Printf(" %.2f", float64(l[len(l)*95/100].Microseconds())/1000)
		}
		fmt.Println()
	}
}

func BenchmarkTmpOpt(b *testing.B) {
	c := searchCorpus(b)
	w, _ := sql.Open("sqlite", store.DSN(filepath.Join(corpusDir, "safedesk.db"), false))
	defer w.Close()
	ctx := context.Background()
	measureCPU(c, "before")
	measureCPU(c, "before")
	if _, err := w.ExecContext(ctx, "INSERT INTO kb_fts(kb_fts) VALUES('optimize')"); err != nil {
		b.Fatal(err)
	}
	w.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)")
	measureCPU(c, "after ")
	measureCPU(c, "after ")
}
