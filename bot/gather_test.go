package bot

import (
	"context"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// TestGatherMatchesExhaustive checks that the ranking reads no less than it
// must: for the benchmark's questions, its search box's, a few hundred
// made of the knowledge base's commonest words (some misspelt) and a few
// with the rules' phrases, the sections ranked and every one of their
// figures are those of the exhaustive reading, which records every section
// a group's postings name. Over 10,000 generated articles (1,000 with -short), as in
// BenchmarkTurn10k.
func TestGatherMatchesExhaustive(t *testing.T) {
	n := 10000
	if testing.Short() {
		n = 1000
	}
	bt, err := New(generatedKB(t, n), Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	idx, err := bt.ret.x.get(ctx)
	if err != nil {
		t.Fatal(err)
	}
	full := *bt.ret
	full.exhaustive = true
	qs := slices.Clone(searchQueries)
	for _, it := range loadEvalTB(t) {
		qs = append(qs, it.Q)
	}
	qs = append(qs, commonQuestions(idx, 300)...)
	// The rules' phrases, found together in some sections and apart in
	// others (phrases.go).
	qs = append(qs, "what is your phone number", "can i pay with a gift card and a promo code",
		"customer service opening hours", "my tracking number does not work", "change my email address")
	for _, q := range qs {
		got, err := bt.ret.rank(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		want, err := full.rank(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		if len(got.hits) != len(want.hits) {
			t.Errorf("%q: %d sections ranked, exhaustive %d", q, len(got.hits), len(want.hits))
			continue
		}
		for i := range got.hits {
			if got.hits[i] != want.hits[i] {
				t.Errorf("%q: #%d is %+v, exhaustive %+v", q, i+1, got.hits[i], want.hits[i])
				break
			}
		}
	}
}

// commonQuestions makes n questions of 2 to 14 of the words found in the
// most sections, with now and then a rarer word, a stopword or a typo.
func commonQuestions(idx *index, n int) []string {
	var common, rare []string
	for _, w := range idx.vocab.sorted {
		switch df := idx.vocab.words[w].df; {
		case df > len(idx.secs)/8:
			common = append(common, w)
		case df > 2 && df < 50 && len(w) > 4:
			rare = append(rare, w)
		}
	}
	rng := rand.New(rand.NewPCG(7, 16))
	out := make([]string, 0, n)
	for range n {
		var q []string
		for range 2 + rng.IntN(13) {
			w := common[rng.IntN(len(common))]
			switch k := rng.IntN(10); {
			case k == 0 && len(rare) > 0:
				w = rare[rng.IntN(len(rare))]
			case k == 1:
				w = "how"
			case k == 2 && len(w) > 4:
				i := 1 + rng.IntN(len(w)-2)
				w = w[:i] + w[i+1:i+2] + w[i:i+1] + w[i+2:] // two letters swapped
			}
			q = append(q, w)
		}
		out = append(out, strings.Join(q, " "))
	}
	return out
}
