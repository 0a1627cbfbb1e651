package store_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"safedesk/store"
)

func BenchmarkTmpSearchTypes(b *testing.B) {
	c := searchCorpus(b)
	ctx := context.Background()
	for _, mode := range []int{store.MatchAll, store.MatchAny} {
		lat := make([][]time.Duration, 6)
		for rep := 0; rep < 3; rep++ {
			for i, q := range c.queries {
				start := time.Now()
				if _, err := c.db.SearchArticles(ctx, q, mode, 10); err != nil {
					b.Fatal(err)
				}
				lat[i%6] = append(lat[i%6], time.Since(start))
			}
		}
		for k, l := range lat {
			slices.Sort(l)
			fmt.Printf("mode %d type %d (%q): p50 %v p95 %v max %v\n", mode, k, c.queries[k], l[len(l)/2], l[len(l)*95/100], l[len(l)-1])
		}
	}
}
