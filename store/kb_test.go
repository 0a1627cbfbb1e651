package store_test

import (
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"safedesk/store"
)

var editor = store.Actor{Type: store.ActorStaff, ID: "3"}

func saveArticle(t *testing.T, db *store.DB, slug, title, body string, published bool) {
	t.Helper()
	if err := db.SaveArticle(t.Context(), store.Article{Slug: slug, Title: title, Body: body, Published: published}, editor); err != nil {
		t.Fatalf("SaveArticle(%s): %v", slug, err)
	}
}

func slugs(rs []store.SearchResult) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Slug)
	}
	return out
}

func TestParseArticle(t *testing.T) {
	t.Run("file name is the slug, first heading the title, the rest the body", func(t *testing.T) {
		got, err := store.ParseArticle("kb/reset-your-password.md", []byte("<!-- meta -->\r\n# Reset your password \r\n\r\nGo to **Account**.\r\n\r\n## Then\r\n\r\nSign in.\r\n"))
		if err != nil {
			t.Fatal(err)
		}
		want := store.Article{Slug: "reset-your-password", Title: "Reset your password", Body: "<!-- meta -->\n\nGo to **Account**.\n\n## Then\n\nSign in.", Published: true}
		if got != want {
			t.Errorf("got  %+v\nwant %+v", got, want)
		}
	})

	tests := []struct {
		name, file, content, wantErr string
	}{
		{"no title heading", "a.md", "## Only a subheading\n\ntext", "title"},
		{"bad slug", "Not A Slug.md", "# Title\n\ntext", "slug"},
		{"empty body", "a.md", "# Title\n\n", "body"},
	}
	for _, tc := range tests {
		t.Run(tc.name+" is refused", func(t *testing.T) {
			_, err := store.ParseArticle(tc.file, []byte(tc.content))
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("got %v, want an error naming %q", err, tc.wantErr)
			}
		})
	}
}

func TestImportArticles(t *testing.T) {
	ctx := t.Context()
	db, clk := newTestDB(t)
	demo := store.DemoArticles()
	files, _ := fs.Glob(demo, "*.md")
	if len(files) < 12 {
		t.Fatalf("demo articles: got %d, want at least 12", len(files))
	}

	t.Run("the first import creates every article", func(t *testing.T) {
		created, updated, err := db.ImportArticles(ctx, demo, store.SystemActor)
		if err != nil {
			t.Fatal(err)
		}
		if created != len(files) || updated != 0 {
			t.Errorf("got created %d, updated %d; want %d, 0", created, updated, len(files))
		}
		list, _ := db.ListArticles(ctx, false)
		if len(list) != len(files) {
			t.Errorf("ListArticles: got %d, want %d", len(list), len(files))
		}
	})

	t.Run("importing the same files again changes nothing", func(t *testing.T) {
		before, _ := db.ListArticles(ctx, true)
		clk.Advance(1e9)
		created, updated, err := db.ImportArticles(ctx, demo, store.SystemActor)
		if err != nil {
			t.Fatal(err)
		}
		if created != 0 || updated != 0 {
			t.Errorf("got created %d, updated %d; want 0, 0", created, updated)
		}
		after, _ := db.ListArticles(ctx, true)
		for i := range before {
			if !after[i].UpdatedAt.Equal(before[i].UpdatedAt) {
				t.Errorf("%s: updated_at moved from %v to %v", after[i].Slug, before[i].UpdatedAt, after[i].UpdatedAt)
			}
		}
	})

	t.Run("a changed file updates just its article", func(t *testing.T) {
		changed := fstest.MapFS{
			files[0]:    {Data: []byte("# A new title\n\nNew text about quokkas.")},
			"extra.md":  {Data: []byte("# Extra\n\nSomething new.")},
			"notes.txt": {Data: []byte("not an article")},
		}
		created, updated, err := db.ImportArticles(ctx, changed, store.SystemActor)
		if err != nil {
			t.Fatal(err)
		}
		if created != 1 || updated != 1 {
			t.Errorf("got created %d, updated %d; want 1, 1", created, updated)
		}
		rs, err := db.SearchArticles(ctx, "quokkas", store.MatchAll, 10)
		if err != nil || len(rs) != 1 || rs[0].Title != "A new title" {
			t.Errorf("search after update: got %+v, %v", rs, err)
		}
	})

	t.Run("one bad file imports nothing", func(t *testing.T) {
		before := tableCounts(t, db)
		bad := fstest.MapFS{"good-one.md": {Data: []byte("# Good\n\ntext")}, "bad.md": {Data: []byte("no heading")}}
		if _, _, err := db.ImportArticles(ctx, bad, store.SystemActor); err == nil || !strings.Contains(err.Error(), "bad.md") {
			t.Errorf("got %v, want an error naming bad.md", err)
		}
		assertSameCounts(t, before, tableCounts(t, db))
	})
}

func TestSearchArticles(t *testing.T) {
	ctx := t.Context()
	db, _ := newTestDB(t)
	if _, _, err := db.ImportArticles(ctx, store.DemoArticles(), store.SystemActor); err != nil {
		t.Fatal(err)
	}
	saveArticle(t, db, "money-back", "Getting your money back", "We refund every order within 14 days. Ask us and we pay it back.", true)
	saveArticle(t, db, "zephyr-in-title", "The zephyr kettle", "A kettle that boils water quickly.", true)
	saveArticle(t, db, "zephyr-in-body", "Kettle models", "We sell the zephyr and other kettles in many colours for every kitchen.", true)
	saveArticle(t, db, "secret-draft", "Upcoming xylophone launch", "Not announced yet: the xylophone grinder.", false)

	t.Run("stemming matches other forms of a word", func(t *testing.T) {
		for _, q := range []string{"refunds", "refunding", "REFUNDED"} {
			rs, err := db.SearchArticles(ctx, q, store.MatchAll, 50)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Contains(slugs(rs), "money-back") {
				t.Errorf("%q: got %v, want money-back among them", q, slugs(rs))
			}
		}
	})

	t.Run("a match in the title ranks above one in the body", func(t *testing.T) {
		rs, err := db.SearchArticles(ctx, "zephyr", store.MatchAll, 10)
		if err != nil {
			t.Fatal(err)
		}
		if got := slugs(rs); len(got) != 2 || got[0] != "zephyr-in-title" {
			t.Errorf("got %v, want [zephyr-in-title zephyr-in-body]", got)
		}
		if len(rs) == 2 && !(rs[0].Score < rs[1].Score) {
			t.Errorf("scores %v, %v: want the first lower (better)", rs[0].Score, rs[1].Score)
		}
	})

	t.Run("the snippet marks the matching words", func(t *testing.T) {
		rs, err := db.SearchArticles(ctx, "refunds", store.MatchAll, 50)
		if err != nil || len(rs) == 0 {
			t.Fatalf("got %v, %v", rs, err)
		}
		for _, r := range rs {
			var text strings.Builder
			matched := false
			for _, s := range r.Snippet {
				text.WriteString(s.Text)
				if s.Match {
					matched = true
					if !strings.HasPrefix(strings.ToLower(s.Text), "refund") {
						t.Errorf("%s: marked %q, want a form of refund", r.Slug, s.Text)
					}
				}
				if strings.ContainsAny(s.Text, "\x02\x03") {
					t.Errorf("%s: segment %q holds a marker", r.Slug, s.Text)
				}
			}
			if !matched {
				t.Errorf("%s: snippet %q has no match", r.Slug, text.String())
			}
		}
	})

	t.Run("MatchAll needs every word, MatchAny one of them", func(t *testing.T) {
		all, _ := db.SearchArticles(ctx, "zephyr quickly", store.MatchAll, 10)
		if got := slugs(all); len(got) != 1 || got[0] != "zephyr-in-title" {
			t.Errorf("MatchAll: got %v, want [zephyr-in-title]", got)
		}
		anyOf, _ := db.SearchArticles(ctx, "zephyr quokka", store.MatchAny, 10)
		if got := slugs(anyOf); len(got) != 2 {
			t.Errorf("MatchAny: got %v, want both zephyr articles", got)
		}
	})

	t.Run("MatchAny ranks by the words that tell articles apart", func(t *testing.T) {
		// "we" is in most articles, so BM25 gives it no weight: the results
		// are the zephyr articles, in the order that "zephyr" alone gives.
		alone, _ := db.SearchArticles(ctx, "zephyr", store.MatchAny, 10)
		mixed, err := db.SearchArticles(ctx, "we zephyr", store.MatchAny, 10)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := slugs(mixed), slugs(alone); !slices.Equal(got, want) {
			t.Errorf("got %v, want %v", got, want)
		}
		if all, _ := db.SearchArticles(ctx, "we", store.MatchAny, 10); len(all) != 10 {
			t.Errorf("a query of only common words: got %d results, want 10", len(all))
		}
	})

	t.Run("the limit caps the results", func(t *testing.T) {
		rs, _ := db.SearchArticles(ctx, "the", store.MatchAny, 3)
		if len(rs) != 3 {
			t.Errorf("got %d results, want 3", len(rs))
		}
	})

	t.Run("drafts are never found", func(t *testing.T) {
		rs, err := db.SearchArticles(ctx, "xylophone", store.MatchAny, 10)
		if err != nil || len(rs) != 0 {
			t.Errorf("got %v, %v; want nothing", slugs(rs), err)
		}
	})

	t.Run("drafts ranked first do not crowd out published articles", func(t *testing.T) {
		db, _ := newTestDB(t)
		for i := range 12 {
			saveArticle(t, db, "draft-"+string(rune('a'+i)), "Marimba marimba", "marimba marimba marimba", false)
		}
		saveArticle(t, db, "published", "Instruments", "One of them is a marimba.", true)
		rs, err := db.SearchArticles(ctx, "marimba", store.MatchAll, 10)
		if err != nil || len(rs) != 1 || rs[0].Slug != "published" {
			t.Errorf("got %v, %v; want [published]", slugs(rs), err)
		}
	})

	t.Run("a word stops counting as common once articles change", func(t *testing.T) {
		db, _ := newTestDB(t)
		saveArticle(t, db, "kettle-one", "Kettle one", "About the kettle.", true)
		saveArticle(t, db, "kettle-two", "Kettle two", "More about the kettle.", true)
		saveArticle(t, db, "lamp", "Lamp", "A lamp with an ochre shade.", true)
		query := func() []string {
			rs, err := db.SearchArticles(ctx, "kettle ochre", store.MatchAny, 10)
			if err != nil {
				t.Fatal(err)
			}
			return slugs(rs)
		}
		if got := query(); !slices.Equal(got, []string{"lamp"}) {
			t.Errorf("kettle in 2 of 3 articles: got %v, want [lamp]", got)
		}
		for _, slug := range []string{"chair", "table", "shelf"} {
			saveArticle(t, db, slug, "A "+slug, "Furniture.", true)
		}
		if got := query(); len(got) != 3 {
			t.Errorf("kettle in 2 of 6 articles: got %v, want all three", got)
		}
		if err := db.DeleteArticle(ctx, "chair", editor); err != nil {
			t.Fatal(err)
		}
		if _, _, err := db.ImportArticles(ctx, fstest.MapFS{"kettle-three.md": {Data: []byte("# Kettle three\n\nA kettle.")}}, store.SystemActor); err != nil {
			t.Fatal(err)
		}
		if got := query(); !slices.Equal(got, []string{"lamp"}) {
			t.Errorf("kettle in 3 of 6 articles: got %v, want [lamp]", got)
		}
	})

	t.Run("searches run beside article changes", func(t *testing.T) {
		db, _ := newTestDB(t)
		saveArticle(t, db, "seed", "Seed", "A kettle.", true)
		var wg sync.WaitGroup
		errs := make(chan error, 4)
		for range 4 {
			wg.Go(func() {
				for range 50 {
					if _, err := db.SearchArticles(ctx, "kettle lamp the", store.MatchAny, 10); err != nil {
						errs <- err
						return
					}
				}
			})
		}
		for i := range 20 {
			saveArticle(t, db, fmt.Sprintf("lamp-%d", i), "Lamp", "A lamp.", true)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		if rs, _ := db.SearchArticles(ctx, "kettle lamp", store.MatchAny, 10); !slices.Contains(slugs(rs), "seed") {
			t.Errorf("after the changes: got %v, want seed among them", slugs(rs))
		}
	})

	t.Run("any input is safe", func(t *testing.T) {
		hostile := []string{
			`"`, `""`, `*`, `refund*`, `NEAR(`, `NEAR(refund order, 2)`, `AND OR NOT`, `refund AND`, `OR`,
			`'; DROP TABLE kb_articles; --`, `title:foo`, `body:refund`, `{title body}: refund`, `^`, `^refund`,
			`(((`, `refund)`, `(a OR b`, `-refund`, `+`, `\`, `%`, `_`, "\x00", "\x02refund\x03",
			strings.Repeat("refund ", 5000), strings.Repeat("a", 100000), strings.Repeat("(", 1000),
			"🙂", "refund 🙂 order", "ﬁ ligature", "İstanbul", "日本語の返金", "\xff\xfe", "",
		}
		for _, mode := range []int{store.MatchAll, store.MatchAny} {
			for _, q := range hostile {
				if _, err := db.SearchArticles(ctx, q, mode, 10); err != nil {
					name := q
					if len(name) > 40 {
						name = name[:40] + "…"
					}
					t.Errorf("mode %d, %q: %v", mode, name, err)
				}
			}
		}
		list, err := db.ListArticles(ctx, true)
		if err != nil || len(list) < 12 {
			t.Errorf("articles after the hostile queries: got %d, %v", len(list), err)
		}
	})
}

func TestGetArticle(t *testing.T) {
	ctx := t.Context()
	db, _ := newTestDB(t)
	saveArticle(t, db, "live", "Live", "Published text.", true)
	saveArticle(t, db, "draft", "Draft", "Draft text.", false)

	tests := []struct {
		slug       string
		withDrafts bool
		wantErr    error
	}{
		{"live", false, nil},
		{"live", true, nil},
		{"draft", false, store.ErrNotFound},
		{"draft", true, nil},
		{"missing", true, store.ErrNotFound},
	}
	for _, tc := range tests {
		got, err := db.GetArticle(ctx, tc.slug, tc.withDrafts)
		if !errors.Is(err, tc.wantErr) {
			t.Errorf("GetArticle(%s, %v): got %v, want %v", tc.slug, tc.withDrafts, err, tc.wantErr)
		}
		if err == nil && got.Slug != tc.slug {
			t.Errorf("GetArticle(%s): got %+v", tc.slug, got)
		}
	}

	t.Run("drafts are listed only for editors", func(t *testing.T) {
		pub, _ := db.ListArticles(ctx, false)
		all, _ := db.ListArticles(ctx, true)
		if len(pub) != 1 || len(all) != 2 {
			t.Errorf("got %d public and %d in all, want 1 and 2", len(pub), len(all))
		}
	})

	t.Run("a deleted article is gone from reads and search", func(t *testing.T) {
		if err := db.DeleteArticle(ctx, "live", editor); err != nil {
			t.Fatal(err)
		}
		if _, err := db.GetArticle(ctx, "live", true); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("GetArticle: got %v, want ErrNotFound", err)
		}
		if rs, _ := db.SearchArticles(ctx, "published", store.MatchAny, 10); len(rs) != 0 {
			t.Errorf("search: got %v, want nothing", slugs(rs))
		}
		if err := db.DeleteArticle(ctx, "live", editor); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("second delete: got %v, want ErrNotFound", err)
		}
	})
}
