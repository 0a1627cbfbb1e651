package store_test

import (
	"context"
	"database/sql"
	"encoding/json"
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

const benchBody = `Hello, my order 100234 arrived this morning but the grinder inside was damaged: the hopper lid is cracked and the burr carrier rattles when I shake the box. The outer carton looked fine, so it probably happened before packing. Could you send a replacement or tell me how to return it? I have photos of the box and the label if you need them. Thanks for your help, and sorry for the long message.`

// BenchmarkCreateTicket measures the whole CreateTicket: validation, sealing,
// one write transaction with the customer lookup, ticket, message and audit
// entry. A small set of returning customers keeps their keys cached, as on a
// busy site. It also reports the pages each ticket writes to the WAL.
func BenchmarkCreateTicket(b *testing.B) {
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
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if err := create(i); err != nil {
			b.Fatal(err)
		}
		i++
	}
	reportWALPages(b, db.WALPages, create)
}

// BenchmarkFloorInsert is the least any ticket write can cost: decode an
// equivalent JSON payload and run one plain INSERT into a table of the same
// shape, on a database with the store's pragmas. Nothing else: no index, no
// transaction around it, no sealing.
func BenchmarkFloorInsert(b *testing.B) {
	db, err := sql.Open("sqlite", store.DSN(filepath.Join(b.TempDir(), "floor.db")))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
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
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if err := insert(i); err != nil {
			b.Fatal(err)
		}
		i++
	}
	reportWALPages(b, func(ctx context.Context, fn func() error) (int, error) { return store.WALPages(ctx, db, fn) }, insert)
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
