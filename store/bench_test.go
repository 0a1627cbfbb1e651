package store_test

import (
	"context"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"
	"unicode"

	"safedesk/security"
	"safedesk/store"
)

// BenchmarkSearchArticles searches 10,000 generated articles with queries
// that mix rare and common words, and reports the 95th percentile latency.
func BenchmarkSearchArticles(b *testing.B) {
	c := searchCorpus(b)
	for _, mode := range []struct {
		name string
		mode int
	}{{"all", store.MatchAll}, {"any", store.MatchAny}} {
		b.Run(mode.name, func(b *testing.B) {
			ctx := context.Background()
			var lat []time.Duration
			found := 0
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				q := c.queries[i%len(c.queries)]
				start := time.Now()
				rs, err := c.db.SearchArticles(ctx, q, mode.mode, 10)
				lat = append(lat, time.Since(start))
				if err != nil {
					b.Fatal(err)
				}
				found += len(rs)
				i++
			}
			slices.Sort(lat)
			b.ReportMetric(lat[len(lat)*95/100].Seconds()*1e3, "p95-ms")
			b.ReportMetric(float64(found)/float64(i), "results/op")
		})
	}
}

type corpus struct {
	db      *store.DB
	queries []string
}

var (
	corpusOnce sync.Once
	corpusDB   corpus
	corpusErr  error
	corpusDir  string
)

// searchCorpus builds the 10,000-article database once per process.
func searchCorpus(b *testing.B) corpus {
	b.Helper()
	corpusOnce.Do(func() { corpusDB, corpusErr = buildCorpus() })
	if corpusErr != nil {
		b.Fatal(corpusErr)
	}
	return corpusDB
}

func buildCorpus() (corpus, error) {
	dir, err := os.MkdirTemp("", "safedesk-bench-")
	if err != nil {
		return corpus{}, err
	}
	corpusDir = dir
	ring, err := security.NewKeyring(security.NewDataKey())
	if err != nil {
		return corpus{}, err
	}
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(dir, "safedesk.db"), ring, store.Options{})
	if err != nil {
		return corpus{}, err
	}
	vocab, err := benchVocabulary(3000)
	if err != nil {
		return corpus{}, err
	}
	r := rand.New(rand.NewPCG(1, 2))
	zipf := rand.NewZipf(r, 1.07, 2, uint64(len(vocab)-1))
	word := func() string { return vocab[zipf.Uint64()] }
	files := fstest.MapFS{}
	for n := range 10000 {
		var sb strings.Builder
		sb.WriteString("# ")
		for range 3 + r.IntN(6) {
			sb.WriteString(word() + " ")
		}
		sb.WriteString("\n")
		for range 3 + r.IntN(6) { // paragraphs
			sb.WriteString("\n")
			for range 2 + r.IntN(5) { // sentences
				for w := range 6 + r.IntN(13) {
					s := word()
					if w == 0 {
						s = strings.ToUpper(s[:1]) + s[1:]
					}
					sb.WriteString(s)
					if w > 0 && r.IntN(12) == 0 {
						sb.WriteString(",")
					}
					sb.WriteString(" ")
				}
				sb.WriteString(". ")
			}
			sb.WriteString("\n")
		}
		files[fmt.Sprintf("article-%05d.md", n)] = &fstest.MapFile{Data: []byte(sb.String())}
	}
	if _, _, err := db.ImportArticles(ctx, files, store.SystemActor); err != nil {
		return corpus{}, err
	}

	// Queries by word rank: common words match most articles, mid ones a
	// few hundred to a few thousand, rare ones a few dozen.
	pick := func(lo, hi int) string { return vocab[lo+r.IntN(hi-lo)] }
	common := func() string { return pick(0, 40) }
	mid := func() string { return pick(40, 600) }
	rare := func() string { return pick(600, len(vocab)) }
	var qs []string
	for range 40 {
		qs = append(qs,
			rare(),
			common()+" "+rare(),
			mid()+" "+common(),
			mid()+" "+rare(),
			common()+" "+common(),
			"how do I "+mid()+" my "+mid()+" "+rare(),
		)
	}
	return corpus{db: db, queries: qs}, nil
}

// benchVocabulary returns n distinct words, most frequent first: the words of
// the demo articles by frequency, then made-up but pronounceable words.
func benchVocabulary(n int) ([]string, error) {
	freq := map[string]int{}
	demo := store.DemoArticles()
	names, _ := fs.Glob(demo, "*.md")
	for _, name := range names {
		b, err := fs.ReadFile(demo, name)
		if err != nil {
			return nil, err
		}
		for _, w := range strings.FieldsFunc(strings.ToLower(string(b)), func(r rune) bool { return !unicode.IsLetter(r) }) {
			if len(w) > 1 || w == "a" || w == "i" {
				freq[w]++
			}
		}
	}
	words := make([]string, 0, n)
	for w := range freq {
		words = append(words, w)
	}
	slices.SortFunc(words, func(a, b string) int {
		if freq[a] != freq[b] {
			return freq[b] - freq[a]
		}
		return strings.Compare(a, b)
	})
	if len(words) > n {
		words = words[:n]
	}
	r := rand.New(rand.NewPCG(3, 4))
	onsets := []string{"b", "br", "c", "ch", "d", "dr", "f", "fl", "g", "gr", "h", "j", "k", "l", "m", "n", "p", "pl", "r", "s", "st", "t", "tr", "v", "w", "z"}
	vowels := []string{"a", "e", "i", "o", "u", "ai", "ea", "oo"}
	codas := []string{"", "n", "r", "s", "t", "l", "nd", "st", "ck", "m"}
	for len(words) < n {
		var sb strings.Builder
		for range 2 + r.IntN(2) {
			sb.WriteString(onsets[r.IntN(len(onsets))] + vowels[r.IntN(len(vowels))])
		}
		sb.WriteString(codas[r.IntN(len(codas))])
		if w := sb.String(); freq[w] == 0 {
			freq[w] = -1
			words = append(words, w)
		}
	}
	return words, nil
}

// TestMain removes the benchmark corpus, which outlives single benchmarks.
func TestMain(m *testing.M) {
	code := m.Run()
	if corpusDB.db != nil {
		corpusDB.db.Close()
	}
	if corpusDir != "" {
		os.RemoveAll(corpusDir)
	}
	os.Exit(code)
}
