package api

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"

	"safedesk/store"
)

// TestAPISearchRanksSections holds the API's article search to the help
// centre's ranking: plain questions, typos and other languages find the
// article and the section that answers, with a plain-text snippet and the
// section's address in the portal; drafts and unrelated questions find
// nothing.
func TestAPISearchRanksSections(t *testing.T) {
	a := newTestAPI(t)
	ctx := context.Background()
	if _, _, err := a.db.ImportArticles(ctx, store.DemoArticles(), testAdmin); err != nil {
		t.Fatal(err)
	}
	if err := a.db.SaveArticle(ctx, store.Article{Slug: "draft-delivery-drones", Title: "Delivery by drone",
		Body: "How long does delivery take by drone? A draft.", Published: false}, testAdmin); err != nil {
		t.Fatal(err)
	}
	tok := a.token(store.ScopeKBRead)
	type section struct{ Heading, URL, Snippet string }
	type article struct {
		Slug, Title, Snippet, Lang string
		Sections                   []section
		Published                  bool
	}
	search := func(q string) []article {
		t.Helper()
		got := a.api("GET", "/api/v1/kb/articles?q="+url.QueryEscape(q), tok, "")
		if got.status != 200 {
			t.Fatalf("%q: %d %s", q, got.status, got.body)
		}
		var out struct{ Articles []article }
		if err := json.Unmarshal([]byte(got.body), &out); err != nil {
			t.Fatal(err)
		}
		return out.Articles
	}
	for _, tt := range []struct{ q, slug, url string }{
		{"how long does delivery take", "shipping-times-and-costs", ""},
		{"How long does shipping to Germany take?", "shipping-times-and-costs", "/kb/shipping-times-and-costs#rest-of-the-eu"},
		{"how do i retrun a grinder", "returns-and-refunds", ""},
		{"Versandkosten nach Österreich", "versandzeiten-und-kosten", "/kb/versandzeiten-und-kosten#ubrige-eu-auch-deutschland-und-osterreich"},
	} {
		res := search(tt.q)
		if len(res) == 0 || res[0].Slug != tt.slug || !res[0].Published || len(res[0].Sections) == 0 {
			t.Errorf("%q: got %+v, want %s first with its sections", tt.q, res, tt.slug)
			continue
		}
		first := res[0].Sections[0]
		if tt.url != "" && first.URL != tt.url {
			t.Errorf("%q: best section %s, want %s", tt.q, first.URL, tt.url)
		}
		if !strings.HasPrefix(first.URL, "/kb/"+tt.slug) || first.Snippet == "" || res[0].Snippet != first.Snippet {
			t.Errorf("%q: section %+v, article snippet %q", tt.q, first, res[0].Snippet)
		}
		for _, r := range res {
			for _, s := range r.Sections {
				if strings.ContainsAny(s.Snippet, "*#`") || strings.Contains(s.Snippet, "](") {
					t.Errorf("%q: snippet with Markdown: %q", tt.q, s.Snippet)
				}
			}
			if r.Slug == "draft-delivery-drones" {
				t.Errorf("%q: a draft was found", tt.q)
			}
		}
	}
	if res := search("what's the weather in Paris"); len(res) != 0 {
		t.Errorf("an unrelated question found %+v", res)
	}
}
