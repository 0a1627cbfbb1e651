package web

import (
	"context"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// TestBrowserLanguageAndTimeZone: in real Chromium, a visitor in New York
// on a Berlin business's help centre switches to German with the footer's
// switcher (a plain form), lands back on the same article in German with
// <html lang="de">, and app.js shows their own time beside the business's
// (13:00 CET is 07:00 in New York).
func TestBrowserLanguageAndTimeZone(t *testing.T) {
	env := berlinInWinter(t, "en")
	b := newBrowser(t, env)
	step, cancel := context.WithTimeout(b.ctx, browserStepTimeout)
	defer cancel()
	if _, err := chromedp.Call(step, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: "America/New_York"}); err != nil {
		t.Fatalf("Emulation.setTimezoneOverride: %v", err)
	}

	b.open("/kb/winter-hours")
	b.waitPage("/kb/winter-hours", "Updated")
	b.waitFor("the business's time", `document.querySelector("time[datetime]").textContent === "7 Dec 2026, 1:00 pm CET"`)
	b.waitFor("the visitor's own time beside it", `(document.querySelector('[data-testid="local-time"]') || {}).textContent === " (your time: Dec 7, 7:00 AM EST)"`)

	b.do("switch to German", chromedp.Click(chromedp.CSS(`[data-testid="lang-de"]`)))
	b.waitPage("/kb/winter-hours", "Aktualisiert am")
	b.waitFor("lang=de", `document.documentElement.lang === "de" && document.querySelector("article").lang === "en"`)
	b.waitFor("German date", `document.querySelector("time[datetime]").textContent === "7. Dez. 2026, 13:00 CET"`)
	b.waitFor("the visitor's time in German", `(document.querySelector('[data-testid="local-time"]') || {}).textContent === " (Ihre Zeit: 7. Dez., 07:00 GMT-5)"`)
	b.waitFor("German everywhere", `document.body.innerText.includes("Hilfeartikel") && !document.body.innerText.includes("Help articles")`)

	b.open("/")
	b.waitPage("/", "Wie können wir helfen?") // the cookie keeps the choice
	b.noProblems("language and time zone")
}
