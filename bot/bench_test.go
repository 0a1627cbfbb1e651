package bot

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
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
// a made-up product name in the title and a demo heading every three
// paragraphs: realistic length, sections and vocabulary; each has 3 to 8
// of the demo's example questions.
func generatedKB(b testing.TB, n int) *store.DB {
	b.Helper()
	v, _ := benchOnce.LoadOrStore(n, &benchKB{})
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
		db, err := store.Open(ctx, filepath.Join(benchDir, fmt.Sprintf("kb%d.db", n)), ring, store.Options{})
		if err != nil {
			kb.err = err
			return
		}
		var paras, headings, examples []string
		demo := store.DemoArticles()
		names, _ := fs.Glob(demo, "*.md")
		for _, name := range names {
			body, _ := fs.ReadFile(demo, name)
			for _, p := range strings.Split(string(body), "\n\n") {
				if !strings.HasPrefix(p, "#") && !strings.HasPrefix(p, "---") && len(p) > 40 {
					paras = append(paras, p)
				}
			}
			for _, line := range strings.Split(string(body), "\n") {
				if _, q, ok := strings.Cut(line, ":"); ok && strings.HasPrefix(line, "example") {
					examples = append(examples, strings.TrimSpace(q))
				}
				if strings.HasPrefix(line, "## ") {
					headings = append(headings, line)
				}
			}
		}
		rng := rand.New(rand.NewPCG(1, uint64(n)))
		topics := []string{"grinder", "kettle", "scale", "brewer", "subscription", "order", "invoice", "account", "gift card", "warranty", "delivery", "return"}
		fsys := fstest.MapFS{}
		for i := range n {
			var body strings.Builder
			body.WriteString("---\n")
			first := rng.IntN(len(examples))
			for k := range 3 + rng.IntN(6) {
				fmt.Fprintf(&body, "example: %s\n", examples[(first+k)%len(examples)])
			}
			body.WriteString("---\n")
			fmt.Fprintf(&body, "# %s model %d: %s\n\n", strings.ToUpper(topics[i%len(topics)][:1])+topics[i%len(topics)][1:], i, topics[rng.IntN(len(topics))])
			for k := range 6 + rng.IntN(8) {
				if k > 0 && k%3 == 0 {
					body.WriteString(headings[rng.IntN(len(headings))] + "\n\n")
				}
				body.WriteString(paras[rng.IntN(len(paras))])
				body.WriteString("\n\n")
			}
			fsys[fmt.Sprintf("generated-%05d.md", i)] = &fstest.MapFile{Data: []byte(body.String())}
		}
		for _, name := range names {
			b, _ := fs.ReadFile(demo, name)
			fsys[name] = &fstest.MapFile{Data: b}
		}
		if _, _, err := db.ImportArticles(ctx, fsys, store.SystemActor); err != nil {
			kb.err = err
			return
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
func benchmarkTurn(b *testing.B, n int) {
	db := generatedKB(b, n)
	bt, err := New(db, Options{})
	if err != nil {
		b.Fatal(err)
	}
	var qs []string
	for _, it := range loadEvalTB(b) {
		qs = append(qs, it.Q)
	}
	ctx := context.Background()
	for _, q := range qs { // build the index and warm up, as a running server is
		if _, err := bt.Respond(ctx, Input{Text: q}); err != nil {
			b.Fatal(err)
		}
	}
	runtime.GC() // the import's garbage is a start-up cost, not a turn's
	m := newTurnTimes(b.N)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		m.start()
		if _, err := bt.Respond(ctx, Input{Text: qs[i%len(qs)]}); err != nil {
			b.Fatal(err)
		}
		m.stop()
	}
	b.StopTimer()
	m.report(b, 50, 99)
}

// turnTimes measures each call's wall time and, where the system tells it,
// the CPU time of its thread (storetest.ThreadCPU).
type turnTimes struct {
	wall, cpu  []time.Duration
	t0         time.Time
	c0         time.Duration
	cpuMeasure bool
}

func newTurnTimes(n int) *turnTimes {
	runtime.LockOSThread() // released when the benchmark's goroutine ends
	return &turnTimes{wall: make([]time.Duration, 0, n), cpu: make([]time.Duration, 0, n), cpuMeasure: storetest.ThreadCPUMeasured}
}

func (m *turnTimes) start() {
	if m.cpuMeasure {
		m.c0 = storetest.ThreadCPU()
	}
	m.t0 = time.Now()
}

func (m *turnTimes) stop() {
	m.wall = append(m.wall, time.Since(m.t0))
	if m.cpuMeasure {
		m.cpu = append(m.cpu, storetest.ThreadCPU()-m.c0)
	}
}

// report reports the given percentiles of the wall times ("p99-ms") and of
// the CPU times ("p99-cpu-ms").
func (m *turnTimes) report(b *testing.B, ps ...int) {
	reportPercentiles(b, m.wall, "", ps...)
	if m.cpuMeasure {
		reportPercentiles(b, m.cpu, "-cpu", ps...)
	}
}

// reportPercentiles reports the given percentiles of times, in ms, as
// "p99-ms" (with kind "-cpu", "p99-cpu-ms").
func reportPercentiles(b *testing.B, times []time.Duration, kind string, ps ...int) {
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	if len(times) == 0 {
		return
	}
	for _, p := range ps {
		b.ReportMetric(float64(times[min(len(times)-1, len(times)*p/100)].Microseconds())/1000, fmt.Sprintf("p%d%s-ms", p, kind))
	}
}

func BenchmarkTurn1k(b *testing.B)  { benchmarkTurn(b, 1000) }
func BenchmarkTurn10k(b *testing.B) { benchmarkTurn(b, 10000) }

// searchQueries are what visitors type into the help centre's search box:
// short, and full of words every article has ("order", "how", "my").
var searchQueries = []string{
	"how long does delivery take", "order", "my order", "return", "refund", "how do i", "shipping costs",
	"cancel order", "change my order", "where is my order", "gift card", "password", "invoice", "the",
	"delivery", "account", "payment", "warranty", "kettle", "grinder", "subscription", "how to return an order",
	"can i change the delivery address of my order", "retrun", "refnud", "verzendkosten", "livraison",
}

// BenchmarkSearch10k runs the help centre's search over 10,000 articles and
// reports the median and 95th percentile of a search.
func BenchmarkSearch10k(b *testing.B) {
	bt, err := New(generatedKB(b, 10000), Options{})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for _, q := range searchQueries {
		if _, err := bt.Search(ctx, q, 20); err != nil {
			b.Fatal(err)
		}
	}
	m := newTurnTimes(b.N)
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		m.start()
		if _, err := bt.Search(ctx, searchQueries[i%len(searchQueries)], 20); err != nil {
			b.Fatal(err)
		}
		m.stop()
	}
	b.StopTimer()
	m.report(b, 50, 95)
}

// BenchmarkIndex10k builds the in-memory index of 10,000 articles and
// reports how long that takes and the heap in use once it is built (after
// a collection), against the heap before.
func BenchmarkIndex10k(b *testing.B) {
	db := generatedKB(b, 10000)
	ctx := context.Background()
	for i := 0; b.Loop(); i++ {
		if i > 0 {
			continue // one build is the measure, whatever -benchtime says
		}
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		x := newIndexer(db, builtin, time.Now)
		start := time.Now()
		idx, err := x.get(ctx)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(time.Since(start).Milliseconds()), "build-ms")
		runtime.GC()
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapInuse-before.HeapInuse)/(1<<20), "index-MB")
		b.ReportMetric(float64(len(idx.secs)), "sections")
		var postings int
		for _, ps := range idx.postings {
			postings += len(ps)
		}
		b.ReportMetric(float64(postings), "postings")
		var together int
		for _, ps := range idx.together {
			together += len(ps)
		}
		b.ReportMetric(float64(together), "together")
		b.ReportMetric(float64(len(idx.postings)), "terms")
		b.ReportMetric(float64(len(idx.vocab.words)), "words")
		b.ReportMetric(float64(len(idx.exs)), "examples")
		runtime.KeepAlive(x)
	}
}

// BenchmarkRules measures the heap the built-in rules hold, with their
// concepts and without them (concepts.json).
func BenchmarkRules(b *testing.B) {
	heap := func(build func() *Rules) float64 {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		r := build()
		runtime.GC()
		runtime.ReadMemStats(&after)
		runtime.KeepAlive(r)
		return float64(after.HeapAlloc-before.HeapAlloc) / (1 << 20)
	}
	for i := 0; b.Loop(); i++ {
		if i > 0 {
			continue // one build is the measure, whatever -benchtime says
		}
		with := heap(func() *Rules {
			r, err := ParseRules(nil)
			if err != nil {
				b.Fatal(err)
			}
			return r
		})
		without := heap(func() *Rules {
			var f rulesFile
			if err := json.Unmarshal(defaultRulesJSON, &f); err != nil {
				b.Fatal(err)
			}
			r, err := compile(f)
			if err != nil {
				b.Fatal(err)
			}
			return r
		})
		b.ReportMetric(with, "rules-MB")
		b.ReportMetric(without, "without-concepts-MB")
	}
}
