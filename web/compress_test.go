package web

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"
)

// rawGet fetches path with the client's cookies, asking for the content
// coding enc ("" for none), and returns the body as it crossed the wire.
func (c *client) rawGet(path, enc string) response {
	c.env.t.Helper()
	raw := &http.Client{Jar: c.c.Jar, Transport: &http.Transport{DisableCompression: true}, CheckRedirect: c.c.CheckRedirect}
	req, _ := http.NewRequest("GET", c.env.http.URL+path, nil)
	if enc != "" {
		req.Header.Set("Accept-Encoding", enc)
	}
	resp, err := raw.Do(req)
	if err != nil {
		c.env.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.env.t.Fatal(err)
	}
	return response{status: resp.StatusCode, body: string(b), header: resp.Header}
}

// decoded is the body of resp with its Content-Encoding undone.
func decoded(t *testing.T, resp response) string {
	t.Helper()
	var r io.Reader = strings.NewReader(resp.body)
	switch resp.header.Get("Content-Encoding") {
	case "br":
		r = brotli.NewReader(r)
	case "gzip":
		zr, err := gzip.NewReader(r)
		if err != nil {
			t.Fatal(err)
		}
		r = zr
	case "":
	default:
		t.Fatalf("unexpected Content-Encoding %q", resp.header.Get("Content-Encoding"))
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("decode %s body: %v", resp.header.Get("Content-Encoding"), err)
	}
	return string(b)
}

var assetRe = regexp.MustCompile(`(?:href|src)="(/static/[^"]+)"`)

// TestStaticAssetsHashedAndCompressed: the pages name every static file by
// its content hash; that name is cached for a year as immutable, in brotli
// or gzip as the client accepts, each encoding with its own length and
// ETag, and answers 304 to its ETag; the plain name still works but is
// revalidated.
func TestStaticAssetsHashedAndCompressed(t *testing.T) {
	env := newTestServer(t)
	c := env.client()
	home := c.get("/")
	assets := assetRe.FindAllStringSubmatch(home.body, -1)
	if len(assets) < 3 {
		t.Fatalf("home page links %d static files, want the stylesheet and scripts:\n%s", len(assets), home.body)
	}
	hashed := regexp.MustCompile(`^/static/[a-z0-9.-]+\.[0-9a-f]{8}\.(css|js)$`)
	for _, m := range assets {
		path := m[1]
		if !hashed.MatchString(path) {
			t.Errorf("%s: not a content-hashed name", path)
			continue
		}
		var plain string
		tags := map[string]bool{}
		for _, enc := range []string{"", "gzip", "br", "gzip, deflate, br"} {
			resp := c.rawGet(path, enc)
			wantEnc := map[string]string{"": "", "gzip": "gzip", "br": "br", "gzip, deflate, br": "br"}[enc]
			if resp.status != 200 || resp.header.Get("Content-Encoding") != wantEnc {
				t.Fatalf("%s with Accept-Encoding %q: %d, Content-Encoding %q, want 200 %q", path, enc, resp.status, resp.header.Get("Content-Encoding"), wantEnc)
			}
			if got := resp.header.Get("Cache-Control"); got != "public, max-age=31536000, immutable" {
				t.Errorf("%s: Cache-Control %q", path, got)
			}
			if got := resp.header.Get("Vary"); got != "Accept-Encoding" {
				t.Errorf("%s: Vary %q", path, got)
			}
			if got := resp.header.Get("Content-Length"); got != strconv.Itoa(len(resp.body)) {
				t.Errorf("%s (%q): Content-Length %s, body %d bytes", path, enc, got, len(resp.body))
			}
			body := decoded(t, resp)
			if plain == "" {
				plain = body
			} else if body != plain {
				t.Errorf("%s: the %q body differs from the plain one", path, enc)
			}
			etag := resp.header.Get("ETag")
			tags[etag] = true
			req, _ := http.NewRequest("GET", env.http.URL+path, nil)
			req.Header.Set("Accept-Encoding", enc)
			req.Header.Set("If-None-Match", etag)
			if got := c.do(req).status; got != http.StatusNotModified {
				t.Errorf("%s (%q) with If-None-Match %s: %d, want 304", path, enc, etag, got)
			}
		}
		if len(tags) != 3 {
			t.Errorf("%s: ETags %v, want one per encoding (none, gzip, br)", path, tags)
		}
	}
	old := c.rawGet("/static/app.css", "gzip")
	if old.status != 200 || old.header.Get("Cache-Control") != "public, max-age=300" || !strings.Contains(decoded(t, old), "--accent") {
		t.Errorf("/static/app.css: %d %q, want 200 revalidated", old.status, old.header.Get("Cache-Control"))
	}
	if got := c.get("/static/app.0000beef.css").status; got != http.StatusNotFound {
		t.Errorf("a stale hash: %d, want 404", got)
	}
}

// TestHTMLCompressedOnlyWithoutSession: the public pages are compressed
// for a visitor without a session; the same pages for a signed-in
// customer (their address on the page), every page with a form, the staff
// panel: never (BREACH).
func TestHTMLCompressedOnlyWithoutSession(t *testing.T) {
	env := newTestServer(t)
	anon := env.client()
	article := regexp.MustCompile(`href="(/kb/[a-z0-9-]+)"`).FindStringSubmatch(anon.get("/kb").body)
	if article == nil {
		t.Fatal("no article linked from /kb")
	}
	public := []string{"/", "/kb", "/kb/search?q=password", article[1], "/privacy", "/security"}
	for _, path := range public {
		for _, enc := range []string{"br", "gzip"} {
			resp := anon.rawGet(path, enc)
			if resp.status != 200 || resp.header.Get("Content-Encoding") != enc {
				t.Errorf("%s without a session (%s): %d, Content-Encoding %q, want it compressed", path, enc, resp.status, resp.header.Get("Content-Encoding"))
			}
			if !strings.Contains(resp.header.Get("Vary"), "Accept-Encoding") {
				t.Errorf("%s: Vary %q", path, resp.header.Get("Vary"))
			}
			if body := decoded(t, resp); !strings.Contains(body, "</html>") {
				t.Errorf("%s (%s): the decoded page is cut short", path, enc)
			}
		}
	}

	customer, _ := env.signIn("cora@example.com", "Broken kettle", "It does not heat.")
	for _, path := range public {
		resp := customer.rawGet(path, "gzip, br")
		if enc := resp.header.Get("Content-Encoding"); enc != "" {
			t.Errorf("%s with a customer session: compressed (%s)", path, enc)
		}
	}
	if resp := customer.rawGet("/kb", "br"); !strings.Contains(resp.body, `data-testid="nav-customer"`) {
		t.Error("the signed-in customer's page does not show them: the check above proves nothing")
	}

	for _, path := range []string{"/tickets/new", "/verify", "/chat", "/tickets", "/admin/login"} {
		if enc := anon.rawGet(path, "gzip, br").header.Get("Content-Encoding"); enc != "" {
			t.Errorf("%s: compressed (%s), a page with a form or a session is never compressed", path, enc)
		}
	}
	owner, _ := env.owner()
	for _, path := range []string{"/admin/tickets", "/admin/settings", "/kb", "/"} {
		if enc := owner.rawGet(path, "gzip, br").header.Get("Content-Encoding"); enc != "" {
			t.Errorf("%s with a staff session: compressed (%s)", path, enc)
		}
	}
}

// TestCompressibleRefusesTokens: the one decision refuses a page that
// carries a hidden field or sets a cookie, even on a public route.
func TestCompressibleRefusesTokens(t *testing.T) {
	env := newTestServer(t)
	req, _ := http.NewRequest("GET", "/kb", nil)
	html := http.Header{"Content-Type": {"text/html; charset=utf-8"}}
	// compressible decides on the request and headers; the page cache
	// decides on the body before it first compresses it (publicBody).
	decide := func(req *http.Request, h http.Header, status int, body []byte) bool {
		if !env.srv.compressible(req, h, status) {
			return false
		}
		var c packCache
		_, ok, err := c.get("gzip", body)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	if !decide(req, html, 200, []byte("<p>hello</p>")) {
		t.Fatal("a plain public page is not compressible: the refusals below prove nothing")
	}
	if decide(req, html, 200, []byte(`<input type="hidden" name="csrf" value="x">`)) {
		t.Error("a page with a hidden token field is compressible")
	}
	if !decide(req, html, 200, []byte(`<input type="hidden" name="next" value="/kb">`)) {
		t.Error("a page with the language switcher's next field is not compressible")
	}
	if decide(req, html, 200, []byte(`<input type="hidden" name="next" value="/kb"><input name="token" type="hidden" value="x">`)) {
		t.Error("a page with a hidden token after the switcher's field is compressible")
	}
	withCookie := http.Header{"Content-Type": html["Content-Type"], "Set-Cookie": {"safedesk_customer=x"}}
	if decide(req, withCookie, 200, []byte("<p>hello</p>")) {
		t.Error("a page that sets a cookie is compressible")
	}
	req.AddCookie(&http.Cookie{Name: env.srv.staff.Cookie.Name, Value: "x"})
	if decide(req, html, 200, []byte("<p>hello</p>")) {
		t.Error("a request with a staff session cookie gets a compressed page")
	}
}

// TestCompressedRoutesArePublicGets: only public GETs (portal pages, and
// open routes such as the sitemap) are marked compressed, none that needs
// a verified customer or staff.
func TestCompressedRoutesArePublicGets(t *testing.T) {
	env := newTestServer(t)
	n := 0
	for _, rt := range env.srv.routeTable() {
		if !rt.packed {
			continue
		}
		n++
		if (rt.access != portal && rt.access != open) || !strings.HasPrefix(rt.pattern, "GET ") {
			t.Errorf("%s: marked compressed but is not a public GET page", rt.pattern)
		}
	}
	if n == 0 {
		t.Error("no route is marked compressed")
	}
}

// TestHomePageUnder50KB: the home page as a first-time visitor's browser
// fetches it (HTML, stylesheets, scripts, icons), as transferred with
// brotli, stays under 50 KB.
func TestHomePageUnder50KB(t *testing.T) {
	env := newTestServer(t)
	c := env.client()
	const budget = 50 * 1024
	wire := func(resp response) int {
		var h bytes.Buffer
		resp.header.Write(&h)
		return len(resp.body) + h.Len()
	}
	home := c.rawGet("/", "gzip, deflate, br")
	total := wire(home)
	html := decoded(t, home)
	links := regexp.MustCompile(`(?:href|src)="(/[^"]+\.(?:css|js|png|svg|ico|webp|jpg))"`).FindAllStringSubmatch(html, -1)
	if len(links) < 3 {
		t.Fatalf("home page loads %d files, want the stylesheet and scripts at least", len(links))
	}
	report := []string{"/ " + strconv.Itoa(wire(home))}
	for _, m := range links {
		resp := c.rawGet(m[1], "gzip, deflate, br")
		if resp.status != 200 {
			t.Errorf("%s: %d", m[1], resp.status)
		}
		total += wire(resp)
		report = append(report, m[1]+" "+strconv.Itoa(wire(resp)))
	}
	t.Logf("home page transferred: %d bytes (%s)", total, strings.Join(report, ", "))
	if total >= budget {
		t.Errorf("home page transferred %d bytes, want under %d: %s", total, budget, strings.Join(report, ", "))
	}
}
