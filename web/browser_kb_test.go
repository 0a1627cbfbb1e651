package web

import (
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserAnswerFeedback asks the assistant in real Chromium, follows
// its link to the quoted section, and answers "did this answer your
// question?" under the answer and under the article: htmx swaps the thanks
// in place, with no page load and no CSP problem.
func TestBrowserAnswerFeedback(t *testing.T) {
	env := newTestServer(t)
	b := newBrowser(t, env)

	b.open("/chat")
	b.waitPage("/chat", "automated assistant")
	b.do("consent",
		chromedp.Click(chromedp.CSS(`[data-testid="chat-consent"] input[name="consent"]`)),
		chromedp.Click(chromedp.CSS(`[data-testid="consent-button"]`)),
	)
	b.waitFor("composer", `document.querySelector("#chat-message")`)
	b.eval("window.sameDocument = true")
	b.do("ask",
		chromedp.SendKeys(chromedp.ID("chat-message"), "how do I descale my kettle"),
		chromedp.Click(chromedp.CSS(`[data-testid="send"]`)),
	)
	b.waitFor("an answer quoting the section", `document.querySelector('[data-testid="source-link"][href="/kb/descale-your-electric-kettle#descaling-with-citric-acid"]')`)
	b.do("answer no", chromedp.Click(chromedp.CSS(`[data-testid="chat-feedback"] button[value="no"]`)))
	b.waitFor("thanks in place of the form", `document.querySelector('[data-testid="chat-feedback-thanks"]') && !document.querySelector('[data-testid="chat-feedback"]')`)
	b.waitFor("htmx swapped, no reload", `window.sameDocument === true`)
	b.noProblems("chat feedback")

	b.open("/kb/descale-your-electric-kettle#descaling-with-citric-acid")
	b.waitFor("the section's heading has the anchor", `document.getElementById("descaling-with-citric-acid") && document.getElementById("descaling-with-citric-acid").tagName === "H2"`)
	b.eval("window.sameDocument = true")
	b.do("answer yes", chromedp.Click(chromedp.CSS(`[data-testid="feedback"] button[value="yes"]`)))
	b.waitFor("thanks in place of the form", `document.querySelector('[data-testid="feedback-thanks"]') && !document.querySelector('[data-testid="feedback"]')`)
	b.waitFor("htmx swapped, no reload", `window.sameDocument === true`)
	b.noProblems("article feedback")
}
