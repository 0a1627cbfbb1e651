package bot

import (
	"context"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"testing/fstest"
	"time"

	"safedesk/security"
	"safedesk/store"
	"safedesk/store/storetest"
)

// benchDir holds the generated knowledge bases, built once per process.
var (
	benchDir  string
	benchOnce sync.Map // size → *benchKB
)

type benchKB struct {
	once sync.Once
	db   *store.DB
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if benchDir != "" {
		os.RemoveAll(benchDir)
	}
	os.Exit(code)
}

// generatedKB returns a store with n generated articles plus the demo ones.
// Articles are made of the demo articles' own paragraphs, reshuffled, with
// a made-up product name in the title: realistic length and vocabulary.
func generatedKB(b *testing.B, n int, optimize bool) *store.DB {
	b.Helper()
	v, _ := benchOnce.LoadOrStore(fmt.Sprint(n, optimize), &benchKB{})
	kb := v.(*benchKB)
	kb.once.Do(func() {
		if benchDir == "" {
			benchDir, kb.err = os.MkdirTemp("", "safedesk-bot-bench")
			if kb.err != nil {
				return
			}
		}
		ring, err := security.NewKeyring(security.NewDataKey())
		if err != nil {
			kb.err = err
			return
		}
		ctx := context.Background()
		db, err := store.Open(ctx, filepath.Join(benchDir, fmt.Sprintf("kb%d-%v.db", n, optimize)), ring, store.Options{})
		if err != nil {
			kb.err = err
			return
		}
		var paras []string
		demo := store.DemoArticles()
		names, _ := fs.Glob(demo, "*.md")
		for _, name := range names {
			body, _ := fs.ReadFile(demo, name)
			for _, p := range strings.Split(string(body), "\n\n") {
				if !strings.HasPrefix(p, "#") && len(p) > 40 {
					paras = append(paras, p)
				}
			}
		}
		rng := rand.New(rand.NewPCG(1, uint64(n)))
		topics := []string{"grinder", "kettle", "scale", "brewer", "subscription", "order", "invoice", "account", "gift card", "warranty", "delivery", "return"}
		fsys := fstest.MapFS{}
		for i := range n {
			var body strings.Builder
			for range 6 + rng.IntN(8) {
				body.WriteString(paras[rng.IntN(len(paras))])
				body.WriteString("\n\n")
			}
			title := fmt.Sprintf("# %s model %d: %s\n\n", strings.ToUpper(topics[i%len(topics)][:1])+topics[i%len(topics)][1:], i, topics[rng.IntN(len(topics))])
			fsys[fmt.Sprintf("generated-%05d.md", i)] = &fstest.MapFile{Data: []byte(title + body.String())}
		}
		for _, name := range names {
			b, _ := fs.ReadFile(demo, name)
			fsys[name] = &fstest.MapFile{Data: b}
		}
		if _, _, err := db.ImportArticles(ctx, fsys, store.SystemActor); err != nil {
			kb.err = err
			return
		}
		if optimize {
			// Merge the FTS5 index into one segment, as FTS5's 'optimize'
			// command leaves it (a bulk import leaves many small ones).
			if _, err := storetest.Raw(b, db).ExecContext(ctx, "INSERT INTO kb_fts(kb_fts) VALUES('optimize')"); err != nil {
				kb.err = err
				return
			}
		}
		kb.db = db
	})
	if kb.err != nil {
		b.Fatal(kb.err)
	}
	return kb.db
}

// benchmarkTurn runs one bot turn (redaction, detectors, intent, retrieval)
// per iteration over the evaluation questions, and reports the median and
// 99th percentile of the server time of a turn.
func benchmarkTurn(b *testing.B, n int, optimize bool) {
	db := generatedKB(b, n, optimize)
	bt, err := New(db, Options{})
	if err != nil {
		b.Fatal(err)
	}
	var qs []string
	for _, it := range loadEvalTB(b) {
		qs = append(qs, it.Q)
	}
	ctx := context.Background()
	for _, q := range qs { // warm the caches as a running server would be
		bt.Respond(ctx, Input{Text: q})
	}
	times := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		start := time.Now()
		if _, err := bt.Respond(ctx, Input{Text: qs[i%len(qs)]}); err != nil {
			b.Fatal(err)
		}
		times = append(times, time.Since(start))
	}
	b.StopTimer()
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	if len(times) > 0 {
		b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "p50-ms")
		b.ReportMetric(float64(times[len(times)*99/100].Microseconds())/1000, "p99-ms")
	}
}

func BenchmarkTurn1k(b *testing.B)  { benchmarkTurn(b, 1000, false) }
func BenchmarkTurn10k(b *testing.B) { benchmarkTurn(b, 10000, false) }

// The same after FTS5's 'optimize', as a knowledge base that is maintained
// (or imported and then optimised) is searched.
func BenchmarkTurn1kOptimized(b *testing.B)  { benchmarkTurn(b, 1000, true) }
func BenchmarkTurn10kOptimized(b *testing.B) { benchmarkTurn(b, 10000, true) }
