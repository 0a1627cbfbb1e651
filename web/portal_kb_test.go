package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// The search lists the matching section under its article, links the
// section's anchor (which the article page has), and its snippets are plain
// text: no Markdown syntax.
func TestSearchSectionsPlainSnippets(t *testing.T) {
	e := newTestServer(t)
	c := e.client()
	resp := c.get("/kb/search?q=" + url.QueryEscape("how long does delivery take"))
	if resp.status != 200 || !strings.Contains(resp.body, `href="/kb/shipping-times-and-costs`) {
		t.Fatalf("search did not find the shipping article: %d\n%s", resp.status, resp.body)
	}
	resp = c.get("/kb/search?q=" + url.QueryEscape("change order"))
	for _, md := range []string{"**", "## ", "](", "`"} {
		if strings.Contains(resp.body[strings.Index(resp.body, `data-testid="results"`):], md) {
			t.Errorf("search results show Markdown %q", md)
		}
	}
	resp = c.get("/kb/search?q=" + url.QueryEscape("two promo codes on one order"))
	if !strings.Contains(resp.body, `href="/kb/gift-cards-and-promo-codes#promo-codes"`) {
		t.Fatalf("no link to the promo codes section:\n%s", resp.body)
	}
	art := c.get("/kb/gift-cards-and-promo-codes")
	if !strings.Contains(art.body, `id="promo-codes"`) {
		t.Errorf("the article page has no heading with the section's id")
	}
}

// "Did this answer your question?" on an article counts an aggregate "no",
// which the insight ranking shows, and views make an article popular.
func TestArticleFeedbackAndPopularity(t *testing.T) {
	e := newTestServer(t)
	c := e.client()
	for range 3 {
		if r := c.get("/kb/track-your-order"); r.status != 200 {
			t.Fatalf("article: %d", r.status)
		}
	}
	home := c.get("/")
	i := strings.Index(home.body, "Popular articles")
	if i < 0 || !strings.Contains(home.body[i:i+300], "/kb/track-your-order") {
		t.Errorf("the most viewed article is not first among the popular ones")
	}
	r := c.post("/kb/track-your-order/feedback", url.Values{"helpful": {"no"}})
	if r.status != 200 || !strings.Contains(r.body, `data-testid="feedback-thanks"`) {
		t.Fatalf("feedback: %d\n%s", r.status, r.body)
	}
	stats, err := e.db.ArticleFeedback(context.Background(), 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(stats) != 1 || stats[0].Slug != "track-your-order" || stats[0].Unhelpful != 1 || stats[0].Views != 3 {
		t.Fatalf("counters: %+v", stats)
	}
}

// A query longer than the search box allows is cut to its 200 characters,
// never inside one: the page stays valid UTF-8 and shows the cut query.
func TestSearchLongQueryCutByCharacters(t *testing.T) {
	e := newTestServer(t)
	c := e.client()
	q := "a" + strings.Repeat("é", 300) // the 200th byte is inside an é
	resp := c.get("/kb/search?q=" + url.QueryEscape(q))
	if resp.status != 200 {
		t.Fatalf("search: %d", resp.status)
	}
	if !utf8.ValidString(resp.body) {
		t.Fatal("the search page is not valid UTF-8")
	}
	if want := `value="a` + strings.Repeat("é", 199) + `"`; !strings.Contains(resp.body, want) {
		t.Errorf("the search box does not show the query cut to 200 characters")
	}
}

// One browser's answer to "did this answer your question?" counts once:
// answering again (the back button, a reload) is thanked but not counted,
// another browser counts, and a form that says neither yes nor no counts
// nothing. The server keeps no trace of who answered: the mark is a cookie
// for that article's path.
func TestArticleFeedbackCountsOncePerBrowser(t *testing.T) {
	e := newTestServer(t)
	ctx := context.Background()
	unhelpful := func() int64 {
		t.Helper()
		stats, err := e.db.ArticleFeedback(ctx, 10)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range stats {
			if s.Slug == "track-your-order" {
				return s.Unhelpful
			}
		}
		return 0
	}
	c := e.client()
	for range 3 {
		if r := c.post("/kb/track-your-order/feedback", url.Values{"helpful": {"no"}}); r.status != 200 || !strings.Contains(r.body, `data-testid="feedback-thanks"`) {
			t.Fatalf("feedback: %d\n%s", r.status, r.body)
		}
	}
	if n := unhelpful(); n != 1 {
		t.Fatalf("three answers from one browser counted %d times, want once", n)
	}
	if r := e.client().htmx("/kb/track-your-order/feedback", url.Values{"helpful": {"no"}}); r.status != 200 {
		t.Fatalf("another browser: %d", r.status)
	}
	if n := unhelpful(); n != 2 {
		t.Errorf("another browser's answer: %d, want 2", n)
	}
	if r := c.post("/kb/returns-and-refunds/feedback", url.Values{"helpful": {"no"}}); r.status != 200 {
		t.Fatalf("the same browser on another article: %d", r.status)
	}
	if stats, err := e.db.ArticleFeedback(ctx, 10); err != nil || len(stats) != 2 {
		t.Errorf("the same browser's answer on another article was not counted: %+v %v", stats, err)
	}
	for _, v := range []string{"", "maybe"} {
		if r := e.client().post("/kb/track-your-order/feedback", url.Values{"helpful": {v}}); r.status != http.StatusBadRequest {
			t.Errorf("helpful=%q: %d, want 400", v, r.status)
		}
	}
	if n := unhelpful(); n != 2 {
		t.Errorf("a form with neither yes nor no was counted: %d", n)
	}
	chat := e.chatter()
	id := feedbackID(t, chat.ask("how do i descale my kettle").body)
	if r := chat.htmx("/chat/feedback", url.Values{"message": {id}, "helpful": {"maybe"}}); r.status != http.StatusBadRequest {
		t.Errorf("chat: helpful=maybe: %d, want 400", r.status)
	}
	if r := chat.htmx("/chat/feedback", url.Values{"message": {id}, "helpful": {"yes"}}); r.status != 200 {
		t.Errorf("chat: the answer after a refused one: %d", r.status)
	}
}

// Related articles are in the article's language: a German article lists
// German ones, and a Dutch one not its English translation.
func TestRelatedArticlesInTheArticlesLanguage(t *testing.T) {
	e := newTestServer(t)
	c := e.client()
	related := func(slug string) []string {
		t.Helper()
		page := c.get("/kb/" + slug)
		i := strings.Index(page.body, `data-testid="related"`)
		if page.status != 200 || i < 0 {
			t.Fatalf("%s: %d, related articles: %v", slug, page.status, i >= 0)
		}
		sec := page.body[i:]
		sec = sec[:strings.Index(sec, "</section>")]
		var out []string
		for _, m := range regexp.MustCompile(`<a href="/kb/([^"]+)"( lang="(\w+)")?`).FindAllStringSubmatch(sec, -1) {
			out = append(out, m[1]+":"+m[3])
		}
		return out
	}
	for slug, lang := range map[string]string{"versandzeiten-und-kosten": "de", "je-bestelling-volgen": "nl", "livraison-delais-et-frais": "fr", "track-your-order": ""} {
		links := related(slug)
		if len(links) == 0 || len(links) > 3 {
			t.Errorf("%s: %d related articles, want 1 to 3: %q", slug, len(links), links)
		}
		for _, l := range links {
			if !strings.HasSuffix(l, ":"+lang) {
				t.Errorf("%s (%q) lists %s", slug, lang, l)
			}
		}
	}
}

// Only a person reading an article counts as a view: a HEAD request (a
// link checker) and a crawler that names itself do not.
func TestArticleViewsArePeoplesOnly(t *testing.T) {
	e := newTestServer(t)
	c := e.client()
	for _, tt := range []struct{ method, ua string }{
		{http.MethodHead, ""},
		{http.MethodGet, "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"},
		{http.MethodGet, "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)"},
	} {
		req, _ := http.NewRequest(tt.method, e.http.URL+"/kb/track-your-order", nil)
		if tt.ua != "" {
			req.Header.Set("User-Agent", tt.ua)
		}
		if r := c.do(req); r.status != 200 {
			t.Fatalf("%s %q: %d", tt.method, tt.ua, r.status)
		}
	}
	if arts, err := e.db.MostViewedArticles(context.Background(), 10); err != nil || len(arts) != 0 {
		t.Fatalf("views counted for %+v (%v), want none", arts, err)
	}
	c.get("/kb/track-your-order")
	if arts, err := e.db.MostViewedArticles(context.Background(), 10); err != nil || len(arts) != 1 || arts[0].Slug != "track-your-order" {
		t.Errorf("a reader's view: %+v (%v)", arts, err)
	}
}

// The yes and no buttons under an article and under an answer are
// described by their question, so a screen reader that tabs to "Yes" says
// what it answers.
func TestFeedbackButtonsDescribedByTheQuestion(t *testing.T) {
	e := newTestServer(t)
	chat := e.chatter()
	for name, body := range map[string]string{
		"article": e.client().get("/kb/track-your-order").body,
		"answer":  chat.ask("how do i descale my kettle").body,
	} {
		buttons := regexp.MustCompile(`<button type="submit" name="helpful" value="(yes|no)"[^>]*aria-describedby="([^"]+)"`).FindAllStringSubmatch(body, -1)
		if len(buttons) != 2 {
			t.Errorf("%s: %d feedback buttons described by something, want 2:\n%s", name, len(buttons), body)
			continue
		}
		for _, b := range buttons {
			if !strings.Contains(body, `id="`+b[2]+`">Did this answer your question?<`) {
				t.Errorf("%s: button %s is described by #%s, which is not the question", name, b[1], b[2])
			}
		}
	}
}
