package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"safedesk/store"
)

func TestHomeShowsCategoryCards(t *testing.T) {
	e := newTestServer(t)
	c := e.client()
	home := c.get("/")
	i := strings.Index(home.body, `data-testid="categories"`)
	if i < 0 {
		t.Fatal("the home page has no category cards")
	}
	// The demo's first category, with its description and its count.
	for _, want := range []string{`href="/kb/category/orders-and-shipping"`, "Delivery times and costs, tracking a parcel", "9 articles"} {
		if !strings.Contains(home.body[i:], want) {
			t.Errorf("the category cards lack %q", want)
		}
	}
	if strings.Contains(home.body, "Popular articles") {
		t.Error("popular articles shown before anyone viewed one")
	}
	c.get("/kb/warranty-and-how-to-claim")
	if home := c.get("/"); !strings.Contains(home.body, "Popular articles") || !strings.Contains(home.body[strings.Index(home.body, "Popular articles"):], "/kb/warranty-and-how-to-claim") {
		t.Error("a viewed article is not among the popular ones")
	}
}

func TestCategoryPageAndBreadcrumbs(t *testing.T) {
	e := newTestServer(t)
	c := e.client()
	page := c.get("/kb/category/brewing-equipment-care")
	if page.status != 200 {
		t.Fatalf("category page: %d", page.status)
	}
	for _, want := range []string{"<h1>Brewing equipment care</h1>", `href="/kb/clean-your-grinder-burrs"`, `href="/kb/descale-your-electric-kettle"`, `data-testid="crumbs"`} {
		if !strings.Contains(page.body, want) {
			t.Errorf("the category page lacks %q", want)
		}
	}
	if strings.Contains(page.body, "/kb/returns-and-refunds") {
		t.Error("the category page lists another category's article")
	}
	if c.get("/kb/category/no-such-topic").status != 404 {
		t.Error("an unknown category is not 404")
	}
	art := c.get("/kb/clean-your-grinder-burrs")
	crumbs := art.body[strings.Index(art.body, `data-testid="crumbs"`):]
	crumbs = crumbs[:strings.Index(crumbs, "</nav>")]
	for _, want := range []string{`<a href="/">Home</a>`, `<a href="/kb/category/brewing-equipment-care">Brewing equipment care</a>`, `aria-current="page">Clean and maintain your grinder burrs`} {
		if !strings.Contains(crumbs, want) {
			t.Errorf("the breadcrumbs lack %q:\n%s", want, crumbs)
		}
	}
}

func TestArticleContentsDateAndHead(t *testing.T) {
	e := newTestServer(t)
	ctx := t.Context()
	long := "Opening words about the kettle.\n\n## First\n\nOne.\n\n## Second\n\nTwo.\n\n## Third\n\nThree."
	if err := e.db.SaveArticle(ctx, store.Article{Slug: "long-one", Title: "Long one", Body: long, Published: true}, store.SystemActor); err != nil {
		t.Fatal(err)
	}
	if err := e.db.SaveArticle(ctx, store.Article{Slug: "short-one", Title: "Short one", Body: "Only this.\n\n## One heading\n\nText.", Published: true}, store.SystemActor); err != nil {
		t.Fatal(err)
	}
	page := e.client().get("/kb/long-one")
	for _, want := range []string{`data-testid="toc"`, `href="#first"`, `href="#third"`, `data-testid="updated"`, `<time datetime="`,
		`<meta name="description" content="Opening words about the kettle.">`, `<link rel="canonical" href="` + e.srv.cfg.BaseURL.String() + `/kb/long-one">`} {
		if !strings.Contains(page.body, want) {
			t.Errorf("the long article lacks %q", want)
		}
	}
	if short := e.client().get("/kb/short-one"); strings.Contains(short.body, `data-testid="toc"`) {
		t.Error("a short article gets a table of contents")
	}
}

func TestDraftsNeverLeak(t *testing.T) {
	e := newTestServer(t)
	ctx := t.Context()
	if err := e.db.SaveArticle(ctx, store.Article{Slug: "secret-launch", Title: "Secret launch", Body: "Drones deliver next year.", Published: false}, store.SystemActor); err != nil {
		t.Fatal(err)
	}
	id, err := e.db.SaveCategory(ctx, store.Category{Slug: "drafts-only", Name: "Drafts only"}, store.SystemActor)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.db.SaveArticle(ctx, store.Article{Slug: "secret-two", Title: "Secret two", Body: "Hidden.", CategoryID: id}, store.SystemActor); err != nil {
		t.Fatal(err)
	}
	c := e.client()
	sm := c.get("/sitemap.xml")
	if sm.status != 200 || !strings.HasPrefix(sm.header.Get("Content-Type"), "application/xml") {
		t.Fatalf("sitemap: %d %s", sm.status, sm.header.Get("Content-Type"))
	}
	base := e.srv.cfg.BaseURL.String()
	for _, want := range []string{"<loc>" + base + "/kb/returns-and-refunds</loc>", "<loc>" + base + "/kb/category/orders-and-shipping</loc>", "<lastmod>"} {
		if !strings.Contains(sm.body, want) {
			t.Errorf("the sitemap lacks %q", want)
		}
	}
	for _, leak := range []string{"secret-launch", "secret-two", "drafts-only"} {
		if strings.Contains(sm.body, leak) {
			t.Errorf("the sitemap lists %q", leak)
		}
	}
	if c.get("/kb/secret-launch").status != 404 {
		t.Error("a draft is served on the portal")
	}
	if home := c.get("/"); strings.Contains(home.body, "drafts-only") {
		t.Error("a category of drafts only has a card")
	}
	robots := c.get("/robots.txt")
	for _, want := range []string{"Disallow: /admin", "Disallow: /api/", "Disallow: /tickets", "Disallow: /me/", "Disallow: /chat", "Sitemap: " + base + "/sitemap.xml"} {
		if !strings.Contains(robots.body, want) {
			t.Errorf("robots.txt lacks %q", want)
		}
	}
	// The draft's editor preview has no canonical link or description.
	owner, _ := e.owner()
	if ed := owner.get("/admin/kb/secret-launch/edit"); strings.Contains(ed.body, `rel="canonical"`) || strings.Contains(ed.body, `name="description"`) {
		t.Error("the draft's editor carries a canonical link or a description")
	}
}

func TestAdminCategories(t *testing.T) {
	e := newTestServer(t)
	c, _ := e.owner()
	resp := c.post("/admin/kb/categories", url.Values{"new-name": {"Coffee"}, "new-slug": {"Not A Slug"}, "new-description": {"Beans."}, "new-position": {"x"}})
	if resp.status != http.StatusUnprocessableEntity || !strings.Contains(resp.body, `id="new-slug-error"`) || !strings.Contains(resp.body, `id="new-position-error"`) ||
		!strings.Contains(resp.body, `value="Not A Slug"`) || !strings.Contains(resp.body, "Beans.") {
		t.Fatalf("bad category: %d, want 422 with the errors at their fields and the input kept", resp.status)
	}
	if resp := c.post("/admin/kb/categories", url.Values{"new-name": {"Coffee beans"}, "new-description": {"Beans."}, "new-position": {"0"}}); resp.status != http.StatusSeeOther {
		t.Fatalf("new category: %d\n%s", resp.status, resp.body)
	}
	cat, err := e.db.GetCategory(t.Context(), "coffee-beans")
	if err != nil {
		t.Fatalf("the category (slug from its name): %v", err)
	}
	// An article moves into it from the editor.
	art, err := e.db.GetArticle(t.Context(), "track-your-order", false)
	if err != nil {
		t.Fatal(err)
	}
	form := url.Values{"slug": {art.Slug}, "title": {art.Title}, "body": {art.Body}, "published": {"1"}, "category": {itoa(cat.ID)}}
	if resp := c.post("/admin/kb/track-your-order/edit", form); resp.status != http.StatusSeeOther {
		t.Fatalf("save article: %d", resp.status)
	}
	if page := e.client().get("/kb/category/coffee-beans"); !strings.Contains(page.body, "/kb/track-your-order") {
		t.Fatal("the article is not in its new category")
	}
	if resp := c.post("/admin/kb/categories/"+itoa(cat.ID)+"/delete", nil); resp.status != http.StatusSeeOther {
		t.Fatalf("delete: %d", resp.status)
	}
	if a, _ := e.db.GetArticle(t.Context(), "track-your-order", false); a.CategoryID != 0 {
		t.Fatal("the article kept a deleted category")
	}
}
