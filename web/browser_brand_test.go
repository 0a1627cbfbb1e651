package web

import (
	"context"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"safedesk/store"
)

// contrastJS computes, in the page, WCAG's contrast ratio of the text on
// the first element matching a selector against that element's own
// background (buttons), or against the first opaque background behind it
// (links): from getComputedStyle, so what is measured is what the browser
// paints.
const contrastJS = `(function (sel, own) {
  function rgb(s) { var m = s.match(/[\d.]+/g).map(Number); return m.slice(0, 3); }
  function opaque(s) { var m = s.match(/[\d.]+/g).map(Number); return m.length < 4 || m[3] > 0; }
  function behind(el) { for (; el; el = el.parentElement) { var c = getComputedStyle(el).backgroundColor; if (opaque(c)) return c; } return "rgb(255, 255, 255)"; }
  function lum(c) { return c.map(function (v) { v /= 255; return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); })
    .reduce(function (a, v, i) { return a + v * [0.2126, 0.7152, 0.0722][i]; }, 0); }
  var el = document.querySelector(sel), cs = getComputedStyle(el);
  var bg = own ? cs.backgroundColor : behind(el.parentElement);
  var a = lum(rgb(cs.color)), b = lum(rgb(bg));
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
})`

// TestBrowserBranding sets a logo and a pale yellow brand colour, which
// fails WCAG on white as it is, and measures in Chromium, in the light and
// the dark theme, that the logo shows and that the text on brand-coloured
// buttons and the brand-coloured links reach 4.5:1.
func TestBrowserBranding(t *testing.T) {
	env := newTestServer(t)
	ctx := context.Background()
	logo, favicon, err := processLogo(photoWithGPS(t, "BrowserLogo"))
	if err != nil {
		t.Fatal(err)
	}
	if err := env.db.SaveLogo(ctx, logo, favicon, store.SystemActor); err != nil {
		t.Fatal(err)
	}
	if err := env.db.SaveBranding(ctx, store.Branding{Name: "Nordic Brew Co.", Color: "#ffe14d", Site: "https://nordicbrew.example"}, store.SystemActor); err != nil {
		t.Fatal(err)
	}
	if err := env.srv.loadBrand(ctx); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t, env)
	for _, scheme := range []string{"light", "dark"} {
		t.Run(scheme, func(t *testing.T) {
			b := b.as(t)
			step, cancel := context.WithTimeout(b.ctx, browserStepTimeout)
			_, err := chromedp.Call(step, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
				Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}})
			cancel()
			if err != nil {
				t.Fatalf("emulate %s: %v", scheme, err)
			}
			b.open("/")
			b.waitFor("the logo, loaded", `(function () { var i = document.querySelector('[data-testid="brand-logo"]'); return i && i.complete && i.naturalWidth > 0; })()`)
			b.waitFor("the brand stylesheet applied", `getComputedStyle(document.documentElement).getPropertyValue("--brand").trim() !== ""`)
			for _, m := range []struct {
				what, sel string
				own       bool
			}{
				{"text on a brand-coloured button", `.hero ~ .grid a.button:not(.secondary)`, true},
				{"a brand-coloured link on the page", `footer.site a[href="/privacy"]`, false},
			} {
				ratio, err := evalAs[float64](b, contrastJS+`(`+quoteJS(m.sel)+`, `+boolJS(m.own)+`)`)
				if err != nil {
					t.Fatalf("%s: %v", m.what, err)
				}
				if ratio < 4.5 {
					t.Errorf("%s in the %s theme: contrast %.2f, want ≥ 4.5", m.what, scheme, ratio)
				}
			}
			b.screenshot("branding-home-" + scheme)
			b.noProblems("branded home page, " + scheme)
		})
	}
}

func quoteJS(s string) string { return "'" + s + "'" }

func boolJS(v bool) string {
	if v {
		return "true"
	}
	return "false"
}
