package store_test

import (
	"context"
	"testing"

	"safedesk/store"
)

func BenchmarkTmpHeavy(b *testing.B) {
	c := searchCorpus(b)
	ctx := context.Background()
	var qs []string
	for i, q := range c.queries {
		if i%6 == 2 || i%6 == 4 {
			qs = append(qs, q)
		}
	}
	for _, q := range qs {
		c.db.SearchArticles(ctx, q, store.MatchAll, 10)
	}
	b.ResetTimer()
	i := 0
	for b.Loop() {
		c.db.SearchArticles(ctx, qs[i%len(qs)], store.MatchAll, 10)
		i++
	}
}
