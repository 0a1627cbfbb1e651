package web

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"safedesk/store"
)

// axeNotPages are the GET routes of the table that are no page a person
// reads, with the reason. Every other GET page of the portal and the panel
// is checked, so a new page is covered without touching this test.
var axeNotPages = map[string]string{
	"GET /tickets/{id}/attachments/{aid}":               "a file download",
	"GET /tickets/{id}/attachments/{aid}/preview":       "an image",
	"GET /admin/tickets/{id}/attachments/{aid}":         "a file download",
	"GET /admin/tickets/{id}/attachments/{aid}/preview": "an image",
	"GET /me/export":                        "a download",
	"GET /chat/poll":                        "a fragment the chat polls for",
	"GET /admin/tickets/{id}/replies/{rid}": "a fragment the saved-reply picker fills in",
	"GET /admin/invite/{token}":             "the enrolment page, checked as /admin/setup",
}

// axePages are the pages to check: those a visitor opens without signing
// in, and those that need a verified customer or a staff member. fill
// gives each pattern with wildcards its address; a pattern without one is
// reported in missing.
func axePages(s *Server, fill map[string]string) (anon, signedIn, missing []string) {
	for _, rt := range s.routeTable() {
		method, path, ok := strings.Cut(rt.pattern, " ")
		if !ok || method != "GET" || rt.poll || axeNotPages[rt.pattern] != "" {
			continue
		}
		switch rt.access {
		case open, apiToken:
			continue
		}
		path = strings.TrimSuffix(path, "{$}")
		if strings.Contains(path, "{") {
			if path = fill[rt.pattern]; path == "" {
				missing = append(missing, rt.pattern)
				continue
			}
		}
		if rt.access == portal || rt.access == staffGate {
			anon = append(anon, path)
		} else {
			signedIn = append(signedIn, path)
		}
	}
	// The 404 pages of the portal and of the panel.
	return append(anon, "/no-such-page"), append(signedIn, "/admin/no-such-page"), missing
}

// axeViolation is what the test prints of one axe-core violation.
type axeViolation struct {
	ID      string   `json:"id"`
	Impact  string   `json:"impact"`
	Help    string   `json:"help"`
	HelpURL string   `json:"helpUrl"`
	Targets []string `json:"targets"`
}

// axeRun injects axe-core (web/testdata/axe, test-only: never embedded in
// the binary) into the page and returns its serious and critical
// violations.
func (b *browser) axeRun(src string) []axeViolation {
	b.t.Helper()
	b.waitFor("page loaded", `document.readyState === "complete"`)
	if ok, err := evalAs[bool](b, "!!window.axe"); err != nil || !ok {
		b.eval(src)
	}
	out, err := evalAs[string](b, `axe.run(document, {resultTypes: ["violations"]}).then(function (r) {
  return JSON.stringify(r.violations.filter(function (v) { return v.impact === "serious" || v.impact === "critical"; }).map(function (v) {
    return {id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
      targets: v.nodes.slice(0, 5).map(function (n) { return n.target.join(" ") + " :: " + n.failureSummary.replace(/\s+/g, " ").slice(0, 240); })};
  }));
})`, chromedp.EvalAwaitPromise)
	if err != nil {
		b.t.Fatalf("axe.run: %v\n%s", err, b.describe())
	}
	var vs []axeViolation
	if err := json.Unmarshal([]byte(out), &vs); err != nil {
		b.t.Fatalf("axe result: %v", err)
	}
	return vs
}

// controlContrast finds the form controls whose boundary (their border,
// or for a filled button its fill) has a contrast under 3:1 against what
// surrounds them (WCAG 2.2 SC 1.4.11, which axe-core does not check).
// Colours are read back through a canvas, so every CSS colour syntax
// (color-mix included) compares alike.
const controlContrast = `(function () {
  var cv = document.createElement("canvas"); cv.width = cv.height = 1;
  var cx = cv.getContext("2d", {willReadFrequently: true});
  function rgba(c) { cx.clearRect(0, 0, 1, 1); cx.fillStyle = "#000"; cx.fillStyle = c; cx.fillRect(0, 0, 1, 1);
    var d = cx.getImageData(0, 0, 1, 1).data; return [d[0], d[1], d[2], d[3] / 255]; }
  function over(top, under) { var a = top[3]; return [0, 1, 2].map(function (i) { return top[i] * a + under[i] * (1 - a); }).concat([1]); }
  function lum(c) { return [0, 1, 2].map(function (i) { var v = c[i] / 255; return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); })
    .reduce(function (s, v, i) { return s + v * [0.2126, 0.7152, 0.0722][i]; }, 0); }
  function ratio(a, b) { var x = lum(a), y = lum(b); return (Math.max(x, y) + 0.05) / (Math.min(x, y) + 0.05); }
  function backdrop(el) { var layers = []; for (var e = el; e; e = e.parentElement) layers.push(rgba(getComputedStyle(e).backgroundColor));
    var c = [255, 255, 255, 1]; for (var i = layers.length - 1; i >= 0; i--) c = over(layers[i], c); return c; }
  var bad = [];
  document.querySelectorAll("input:not([type=hidden]):not([type=checkbox]):not([type=radio]):not([type=file]), select, textarea, button").forEach(function (el) {
    var r = el.getBoundingClientRect(); if (!r.width || !r.height || getComputedStyle(el).visibility === "hidden") return;
    var st = getComputedStyle(el), around = backdrop(el.parentElement);
    var best = 0;
    if (parseFloat(st.borderTopWidth) > 0) best = ratio(over(rgba(st.borderTopColor), around), around);
    var fill = rgba(st.backgroundColor);
    if (fill[3] > 0) best = Math.max(best, ratio(over(fill, around), around));
    if (el.tagName === "BUTTON" && parseFloat(st.borderTopWidth) === 0 && fill[3] === 0) return; // a link-styled button: text contrast is axe's
    if (best < 3) bad.push((el.id ? "#" + el.id : el.tagName.toLowerCase() + (el.className ? "." + String(el.className).split(" ").join(".") : "") + (el.name ? "[name=" + el.name + "]" : "")) + " " + best.toFixed(2) + ":1");
  });
  return bad;
})()`

// axeCheck opens each page and fails the test on any serious or critical
// violation, naming the rule, the elements and the help page.
func (b *browser) axeCheck(src, theme string, pages []string) {
	b.t.Helper()
	for _, path := range pages {
		b.open(path)
		for _, v := range b.axeRun(src) {
			b.t.Errorf("%s (%s theme): %s [%s] %s\n  help: %s\n  %s", path, theme, v.ID, v.Impact, v.Help, v.HelpURL, strings.Join(v.Targets, "\n  "))
		}
		bad, err := evalAs[[]string](b, controlContrast)
		if err != nil {
			b.t.Fatalf("%s: control contrast: %v", path, err)
		}
		if len(bad) > 0 {
			b.t.Errorf("%s (%s theme): control boundaries under 3:1 against their background (WCAG 1.4.11):\n  %s", path, theme, strings.Join(bad, "\n  "))
		}
		where, _ := evalAs[string](b, `location.pathname + " · " + document.title`)
		b.t.Logf("checked %s (%s): %s", path, theme, where)
	}
}

// setTheme makes the page prefer a colour scheme, as the system setting of
// a person who chose light or dark would.
func (b *browser) setTheme(theme string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, browserStepTimeout)
	defer cancel()
	if _, err := chromedp.Call(ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: theme}},
	}); err != nil {
		b.t.Fatalf("prefers-color-scheme: %s: %v", theme, err)
	}
}

// setViewport sizes the page as a desktop or a phone would.
func (b *browser) setViewport(w, h int64, mobile bool) {
	b.t.Helper()
	var opts []chromedp.EmulateViewportOption
	if mobile {
		opts = append(opts, chromedp.EmulateMobile)
	}
	b.do(fmt.Sprintf("viewport %dx%d", w, h), chromedp.EmulateViewport(w, h, opts...))
}

// screenshotDir is the folder screenshots go to: SAFEDESK_SCREENSHOTS, or
// a folder under the system's temporary folder.
func screenshotDir(t *testing.T) string {
	dir := os.Getenv("SAFEDESK_SCREENSHOTS")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "safedesk-screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestBrowserAccessibility runs axe-core in Chromium over every portal and
// admin page of the route table, in the light and the dark theme, signed
// out and then signed in as a verified customer and as the owner, and
// fails on any serious or critical violation. On the way it saves
// screenshots of the home page, an article, the chat and the new-request
// page in both themes at desktop and phone sizes.
func TestBrowserAccessibility(t *testing.T) {
	env := newTestServer(t)
	b := newBrowser(t, env)
	src, err := os.ReadFile(filepath.Join("testdata", "axe", "axe.min.js"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	arts, err := env.db.ListArticles(ctx, false)
	if err != nil || len(arts) == 0 {
		t.Fatalf("articles: %v (%d)", err, len(arts))
	}
	slug := arts[0].Slug
	cats, err := env.db.ListCategories(ctx)
	if err != nil || len(cats) == 0 {
		t.Fatalf("categories: %v (%d)", err, len(cats))
	}
	kbPages := map[string]string{"GET /kb/{slug}": "/kb/" + slug, "GET /kb/category/{slug}": "/kb/category/" + cats[0].Slug}

	// A visitor's chat, with an answer from the assistant.
	b.open("/chat")
	b.do("consent to the chat",
		chromedp.Click(chromedp.CSS(`input[name="consent"]`)),
		chromedp.Click(chromedp.CSS(`[data-testid="consent-button"]`)),
	)
	b.waitFor("composer", `document.querySelector("#chat-message")`)
	b.do("ask", chromedp.SendKeys(chromedp.ID("chat-message"), "How do I descale my machine?"),
		chromedp.Click(chromedp.CSS(`[data-testid="send"]`)))
	b.waitFor("an answer", `document.querySelectorAll('[data-testid="msg-bot"]').length >= 2`)

	shots := screenshotDir(t)
	t.Logf("screenshots in %s", shots)
	b.shootAll(shots, []string{"light", "dark"}, []shotSize{{"desktop", 1280, 800, false}, {"mobile", 375, 812, true}}, []shotPage{
		{"home", "/"}, {"article", "/kb/" + slug}, {"chat", "/chat"}, {"new-request", "/tickets/new"},
	})
	t.Run("axe finds a planted violation", func(t *testing.T) {
		b := b.as(t)
		b.setTheme("light")
		b.open("/")
		b.eval(`document.querySelector("main").insertAdjacentHTML("beforeend", '<input type="text" id="planted">')`)
		if vs := b.axeRun(string(src)); len(vs) == 0 || vs[0].ID != "label" {
			t.Fatalf("an input without a label: axe reported %+v, want the label rule", vs)
		}
		b.eval(`(function (el) { el.setAttribute("aria-label", "planted"); el.style.border = "1px solid #eee"; })(document.getElementById("planted"))`)
		if bad, err := evalAs[[]string](b, controlContrast); err != nil || len(bad) != 1 || !strings.HasPrefix(bad[0], "#planted") {
			t.Fatalf("a pale input border: %q (%v), want #planted reported", bad, err)
		}
	})
	anon, _, _ := axePages(env.srv, kbPages)
	for _, theme := range []string{"light", "dark"} {
		b.setTheme(theme)
		b.axeCheck(string(src), theme, anon)
	}

	// A verified customer with a request, and the owner.
	b.open("/tickets/new")
	b.do("send a request",
		chromedp.SendKeys(chromedp.ID("email"), "ada@example.org"),
		chromedp.SendKeys(chromedp.ID("subject"), "Grinder squeaks"),
		chromedp.SendKeys(chromedp.ID("body"), "It squeaks at fine settings."),
		chromedp.Click(chromedp.CSS(`#ticket-form button[type="submit"]`)),
	)
	b.waitPage("/verify", "a 6-digit code is on its way")
	b.do("enter the code",
		chromedp.SendKeys(chromedp.ID("code"), env.mail.next(t).code(t)),
		chromedp.Click(chromedp.CSS(`[data-testid="verify"] form button[type="submit"]`)),
	)
	b.waitPageMatch(`^/tickets/\d+$`, "It squeaks at fine settings.")
	ticket := b.path()
	id, _ := strconv.ParseInt(strings.TrimPrefix(ticket, "/tickets/"), 10, 64)
	tk, err := env.db.GetTicket(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	reply, err := env.db.SaveReply(ctx, store.SavedReply{Title: "Descaling", Body: "Hello {{customer.first_name}}, here is how."}, store.SystemActor)
	if err != nil {
		t.Fatal(err)
	}
	hook, _, err := env.db.CreateWebhook(ctx, store.NewWebhook{URL: "https://hooks.example.com/safedesk", Events: []string{store.EventTicketCreated}}, store.SystemActor)
	if err != nil {
		t.Fatal(err)
	}
	chats, err := env.db.ListConversations(ctx, store.ChatFilter{})
	if err != nil || len(chats) == 0 {
		t.Fatalf("conversations: %v (%d)", err, len(chats))
	}
	_, signedIn, missing := axePages(env.srv, map[string]string{
		"GET /kb/{slug}":               "/kb/" + slug,
		"GET /kb/category/{slug}":      kbPages["GET /kb/category/{slug}"],
		"GET /tickets/{id}":            ticket,
		"GET /admin/tickets/{id}":      "/admin" + ticket,
		"GET /admin/customers/{id}":    "/admin/customers/" + strconv.FormatInt(tk.CustomerID, 10),
		"GET /admin/chats/{id}":        "/admin/chats/" + strconv.FormatInt(chats[0].ID, 10),
		"GET /admin/kb/{slug}/edit":    "/admin/kb/" + slug + "/edit",
		"GET /admin/replies/{id}/edit": "/admin/replies/" + strconv.FormatInt(reply.ID, 10) + "/edit",
		"GET /admin/api/webhooks/{id}": "/admin/api/webhooks/" + strconv.FormatInt(hook.ID, 10),
	})
	if len(missing) > 0 {
		t.Fatalf("pages with no address to check: %v; add them to the fill map or, if they are no page, to axeNotPages", missing)
	}
	ownerInBrowser(t, env, b)
	for _, theme := range []string{"light", "dark"} {
		b.setTheme(theme)
		b.axeCheck(string(src), theme, signedIn)
	}
	b.shootAll(shots, []string{"light", "dark"}, []shotSize{{"desktop", 1440, 900, false}, {"mobile", 390, 844, true}}, []shotPage{
		{"admin-dashboard", "/admin/dashboard"}, {"admin-queue", "/admin/tickets"}, {"admin-ticket", "/admin" + ticket},
		{"admin-settings", "/admin/settings"}, {"admin-insight", "/admin/chats/insight"},
	})
	b.noProblems("accessibility pages")
}

// shotSize is a window to take screenshots at.
type shotSize struct {
	name   string
	w, h   int64
	mobile bool
}

// shotPage is a page to take screenshots of, and the start of their names.
type shotPage struct{ name, path string }

// shootAll saves a screenshot of each page at each size in each theme into
// dir, as name-theme-size.png: the whole page, but the chat as its window
// shows it (the latest messages above the composer pinned to the bottom).
// It leaves the window at 1280×900.
func (b *browser) shootAll(dir string, themes []string, sizes []shotSize, pages []shotPage) {
	b.t.Helper()
	for _, theme := range themes {
		b.setTheme(theme)
		for _, size := range sizes {
			b.setViewport(size.w, size.h, size.mobile)
			for _, p := range pages {
				b.open(p.path)
				b.waitFor("page loaded", `document.readyState === "complete"`)
				full := p.name != "chat"
				if !full {
					b.eval(`window.scrollTo(0, document.body.scrollHeight)`)
				}
				b.shoot(filepath.Join(dir, p.name+"-"+theme+"-"+size.name+".png"), full)
			}
		}
	}
	b.setViewport(1280, 900, false)
}

// shoot saves a PNG of the whole page, or of what the window shows, to
// file.
func (b *browser) shoot(file string, full bool) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, browserStepTimeout)
	defer cancel()
	shot := chromedp.CaptureScreenshot()
	if full {
		shot = chromedp.FullScreenshot(100)
	}
	buf, err := chromedp.Run(ctx, shot)
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", file, err)
	}
	if err := os.WriteFile(file, buf, 0o644); err != nil {
		b.t.Fatal(err)
	}
}
