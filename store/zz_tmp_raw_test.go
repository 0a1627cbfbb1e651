package store_test

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"safedesk/store"
)

func timeQ(b *testing.B, db *sql.DB, name, q string, args ...any) {
	ctx := context.Background()
	var ls []time.Duration
	n := 0
	for range 15 {
		t := time.Now()
		rows, err := db.QueryContext(ctx, q, args...)
		if err != nil {
			b.Fatal(err)
		}
		n = 0
		for rows.Next() {
			n++
		}
		rows.Close()
		ls = append(ls, time.Since(t))
	}
	slices.Sort(ls)
	fmt.Printf("%-50s rows %4d  p50 %v\n", name, n, ls[len(ls)/2])
}

func BenchmarkTmpRaw(b *testing.B) {
	c := searchCorpus(b)
	_ = c
	db, err := sql.Open("sqlite", store.DSN(filepath.Join(corpusDir, "safedesk.db"), true))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	ctx := context.Background()
	var words []string
	rows, _ := db.QueryContext(ctx, "SELECT term, doc FROM kb_vocab ORDER BY doc DESC")
	type tv struct{ t string; d int }
	var vs []tv
	for rows.Next() {
		var v tv
		rows.Scan(&v.t, &v.d)
		vs = append(vs, v)
	}
	rows.Close()
	for _, i := range []int{0, 1, 5, 10, 20, 40, 80, 200, 600, 1500} {
		if i < len(vs) {
			fmt.Println("rank", i, vs[i].t, vs[i].d)
			words = append(words, vs[i].t)
		}
	}
	common, common2, rare := words[0], words[2], words[8]
	ids := []int64{}
	{
		rows, _ := db.QueryContext(ctx, `SELECT rowid FROM kb_fts WHERE kb_fts MATCH ? LIMIT 10`, rare)
		for rows.Next() { var id int64; rows.Scan(&id); ids = append(ids, id) }
		rows.Close()
	}
	js := "["
	for i, id := range ids { if i > 0 { js += "," }; js += fmt.Sprint(id) }
	js += "]"
	snip := `SELECT snippet(kb_fts, 1, char(2), char(3), '…', 24) FROM kb_fts WHERE kb_fts MATCH ? AND rowid = ?`
	st, _ := db.PrepareContext(ctx, snip)
	for round := 0; round < 2; round++ {
		for _, expr := range []string{rare, rare + " OR " + common, common + " OR " + common2} {
			var ls []time.Duration
			for range 15 {
				t := time.Now()
				for _, id := range ids {
					var x string
					st.QueryRowContext(ctx, expr, id).Scan(&x)
				}
				ls = append(ls, time.Since(t))
			}
			slices.Sort(ls)
			fmt.Printf("%-50s p50 %v\n", "10 snippets "+expr, ls[len(ls)/2])
			timeQ(b, db, "json_each snippets "+expr, `SELECT rowid, snippet(kb_fts, 1, char(2), char(3), '…', 24) FROM kb_fts WHERE kb_fts MATCH ? AND rowid IN (SELECT value FROM json_each(?))`, expr, js)
			timeQ(b, db, "json_each match only "+expr, `SELECT rowid FROM kb_fts WHERE kb_fts MATCH ? AND rowid IN (SELECT value FROM json_each(?))`, expr, js)
			timeQ(b, db, "10 x match only rowid= (one)"+expr, `SELECT rowid FROM kb_fts WHERE kb_fts MATCH ? AND rowid = ?`, expr, ids[3])
		}
	}
	_ = strings.Join
}
