package web

import (
	"strconv"
	"testing"

	"github.com/chromedp/chromedp"

	"safedesk/store"
)

// TestBrowserChatConsentAgain: in a chat that is open when the privacy
// notice changes, the next message brings the consent step back in place
// of the composer (htmx), with the message kept; agreeing sends it and the
// assistant answers it.
func TestBrowserChatConsentAgain(t *testing.T) {
	env := newTestServer(t)
	b := newBrowser(t, env)
	b.open("/chat")
	b.do("consent to the chat",
		chromedp.Click(chromedp.CSS(`input[name="consent"]`)),
		chromedp.Click(chromedp.CSS(`[data-testid="consent-button"]`)),
	)
	b.waitFor("composer", `document.querySelector("#chat-message")`)

	n := store.DefaultPrivacyNotice()
	n.Controller, n.Address, n.Contact = "Nordic Brew B.V.", "Oudegracht 1, Utrecht", "privacy@nordicbrew.example"
	if err := env.db.SavePrivacyNotice(t.Context(), n, store.SystemActor); err != nil {
		t.Fatal(err)
	}

	const question = "How do I descale my kettle?"
	b.do("ask", chromedp.SendKeys(chromedp.ID("chat-message"), question), chromedp.Click(chromedp.CSS(`[data-testid="send"]`)))
	b.waitFor("the consent step with the message kept",
		`document.querySelector('[data-testid="chat-reconsent"] textarea') && document.querySelector('[data-testid="chat-reconsent"] textarea').value === `+strconv.Quote(question))
	b.noProblems("the consent step")

	b.do("agree again",
		chromedp.Click(chromedp.CSS(`[data-testid="chat-reconsent"] input[name="consent"]`)),
		chromedp.Click(chromedp.CSS(`[data-testid="reconsent-button"]`)),
	)
	b.waitFor("the kept message answered",
		`[...document.querySelectorAll('[data-testid="msg-visitor"]')].some(m => m.innerText.includes(`+strconv.Quote(question)+`)) &&
		document.querySelectorAll('[data-testid="msg-bot"]').length >= 2 && document.querySelector('[data-testid="send"]')`)
	b.noProblems("after consent")
}
