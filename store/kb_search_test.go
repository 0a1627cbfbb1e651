package store_test

import (
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"safedesk/security"
	"safedesk/store"
)

// TestSearchCommonWords searches a knowledge base large enough that its most
// common words are in more articles than one search ranks.
func TestSearchCommonWords(t *testing.T) {
	ctx := t.Context()
	db, _ := newTestDB(t)
	// Every article but the last mentions coffee, every second one the
	// grinder (the first 40 in their title), every third one the burr; two
	// articles the quokka, the last one without coffee.
	files := fstest.MapFS{}
	for i := range 1200 {
		title, body := "Article "+strconv.Itoa(i), "We brew coffee every day."
		if i%2 == 0 {
			body += " The grinder hums."
		}
		if i < 40 && i%2 == 0 {
			title = "Grinder care " + strconv.Itoa(i)
		}
		if i%3 == 0 {
			body += " A burr set."
		}
		if i == 777 {
			body += " A quokka visits."
		}
		if i == 1199 {
			body = "A quokka drinks tea."
		}
		files[fmt.Sprintf("a-%04d.md", i)] = &fstest.MapFile{Data: []byte("# " + title + "\n\n" + body)}
	}
	if _, _, err := db.ImportArticles(ctx, files, store.SystemActor); err != nil {
		t.Fatal(err)
	}
	number := func(t *testing.T, r store.SearchResult) int {
		t.Helper()
		n, err := strconv.Atoi(strings.TrimPrefix(r.Slug, "a-"))
		if err != nil {
			t.Fatalf("slug %q", r.Slug)
		}
		return n
	}

	t.Run("MatchAll results hold every word however common", func(t *testing.T) {
		rs, err := db.SearchArticles(ctx, "coffee grinder", store.MatchAll, 10)
		if err != nil || len(rs) != 10 {
			t.Fatalf("got %d results, %v; want 10", len(rs), err)
		}
		for _, r := range rs {
			if number(t, r)%2 != 0 {
				t.Errorf("%s has no grinder", r.Slug)
			}
		}
	})

	t.Run("MatchAll does not insist on a word most articles have", func(t *testing.T) {
		rs, err := db.SearchArticles(ctx, "coffee quokka", store.MatchAll, 10)
		if got := slugs(rs); err != nil || !slices.Contains(got, "a-0777") || !slices.Contains(got, "a-1199") {
			t.Errorf("got %v, %v; want a-0777 and a-1199", got, err)
		}
	})

	t.Run("a common word finds the articles with it in the title first", func(t *testing.T) {
		for _, mode := range []int{store.MatchAll, store.MatchAny} {
			rs, err := db.SearchArticles(ctx, "grinder", mode, 10)
			if err != nil || len(rs) != 10 {
				t.Fatalf("mode %d: got %d results, %v; want 10", mode, len(rs), err)
			}
			for _, r := range rs {
				if !strings.HasPrefix(r.Title, "Grinder") {
					t.Errorf("mode %d: %s (%q) ranked among the first", mode, r.Slug, r.Title)
				}
				if !slices.ContainsFunc(r.Snippet, func(s store.Segment) bool { return s.Match && s.Text == "grinder" }) {
					t.Errorf("mode %d: %s: snippet %v does not mark grinder", mode, r.Slug, r.Snippet)
				}
			}
		}
	})

	t.Run("a word no article has does not hide the others", func(t *testing.T) {
		rs, err := db.SearchArticles(ctx, "grinder xylophonist", store.MatchAny, 10)
		if err != nil || len(rs) != 10 {
			t.Errorf("got %d results, %v; want 10", len(rs), err)
		}
	})

	t.Run("a rare word is not drowned by common ones", func(t *testing.T) {
		rs, err := db.SearchArticles(ctx, "coffee grinder burr quokka", store.MatchAny, 10)
		if err != nil || len(rs) < 2 {
			t.Fatalf("got %v, %v", slugs(rs), err)
		}
		if got := slugs(rs)[:2]; !slices.Contains(got, "a-0777") || !slices.Contains(got, "a-1199") {
			t.Errorf("first two: got %v, want the quokka articles", got)
		}
		var marked []string
		for _, s := range rs[0].Snippet {
			if s.Match {
				marked = append(marked, strings.ToLower(s.Text))
			}
		}
		if !slices.Contains(marked, "quokka") || slices.Contains(marked, "coffee") {
			t.Errorf("marked %v, want quokka and not the word almost every article has", marked)
		}
	})
}

func TestSearchSeesOtherProcesses(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "safedesk.db")
	master, clk := security.NewDataKey(), newFakeClock()
	server, err := openDB(t, path, master, clk, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer server.Close()
	saveArticle(t, server, "kettle-one", "Kettle one", "About the kettle.", true)
	saveArticle(t, server, "kettle-two", "Kettle two", "More about the kettle.", true)
	saveArticle(t, server, "lamp", "Lamp", "A lamp with an ochre shade.", true)
	query := func() []string {
		rs, err := server.SearchArticles(ctx, "kettle ochre", store.MatchAny, 10)
		if err != nil {
			t.Fatal(err)
		}
		return slugs(rs)
	}
	if got := query(); !slices.Equal(got, []string{"lamp"}) {
		t.Fatalf("kettle in 2 of 3 articles: got %v, want [lamp]", got)
	}

	// The command line (safedesk kb import) is another process with its own
	// store; the server learns of its change only from the database.
	cli, err := openDB(t, path, master, clk, store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	furniture := fstest.MapFS{}
	for _, slug := range []string{"chair", "table", "shelf"} {
		furniture[slug+".md"] = &fstest.MapFile{Data: []byte("# A " + slug + "\n\nFurniture.")}
	}
	if _, _, err := cli.ImportArticles(ctx, furniture, store.SystemActor); err != nil {
		t.Fatal(err)
	}
	cli.Close()

	clk.Advance(2 * time.Minute)
	if got := query(); len(got) != 3 {
		t.Errorf("kettle in 2 of 6 articles, after the import: got %v, want all three", got)
	}
}
