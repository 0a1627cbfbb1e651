package web

import (
	"strconv"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"safedesk/store"
)

// TestBrowserEmailTicket looks at an email ticket in real Chromium as its
// owner would: the quoted history stays folded until asked for (a details
// element, no script), a held reply is accepted with one click, and the
// email page and the settings page show the mailbox; no page reports a CSP
// violation or a script error.
func TestBrowserEmailTicket(t *testing.T) {
	env := newEmailEnv(t)
	b := newBrowser(t, env.testEnv)
	env.deliver(customerMail("first-1", "Grinder arrived cracked", "The hopper is cracked.", true))
	ts, _ := env.db.ListTickets(t.Context(), store.TicketFilter{AllCustomers: true})
	tk := ts[0]
	reply := customerMail("second-2", "Re: Grinder arrived cracked", "Here is my order number: 10234.\n\nOn Mon, 7 Dec 2026 at 15:00, Northwind <support@northwind.example> wrote:\n> Which order was it? FoldedMarker", true)
	reply = strings.Replace(reply, "To: support@northwind.example", "To: support+"+env.db.ReplyToken(tk.ID)+"@northwind.example", 1)
	env.deliver(reply)
	forged := customerMail("forged-3", "Re: Grinder arrived cracked", "Please send it to Hafenstrasse 1. HeldMarker", false)
	forged = strings.Replace(forged, "To: support@northwind.example", "To: support+"+env.db.ReplyToken(tk.ID)+"@northwind.example", 1)
	env.deliver(forged)

	b.enrolOwner(env.testEnv)
	path := "/admin/tickets/" + strconv.FormatInt(tk.ID, 10)
	b.open(path)
	b.waitPage(path, "HeldMarker")
	if visible := b.visible("FoldedMarker"); visible {
		t.Error("the quoted history is shown before it was asked for")
	}
	b.do("open the quoted text", chromedp.Click(chromedp.CSS(`[data-testid="quoted-text"] summary`)))
	b.waitFor("quoted text shown", `[...document.querySelectorAll('[data-testid="quoted-text"]')].some(d => d.open && d.innerText.includes("FoldedMarker"))`)
	b.screenshot("email-ticket")
	b.do("accept the held reply", chromedp.Click(chromedp.CSS(`[data-testid="accept-held"]`)))
	b.waitPage(path, "The reply is now part of the conversation.")
	b.waitFor("accepted reply in the conversation", `document.querySelector('[data-testid="conversation"]').innerText.includes("HeldMarker")`)
	b.open("/admin/email")
	b.waitPage("/admin/email", "No reply is waiting for a decision.")
	b.screenshot("email-page")
	b.open("/admin/settings")
	b.waitPage("/admin/settings", "Support mailbox")
	if state := b.text(`[data-testid="mailbox-state"]`); state != "working" {
		t.Errorf("mailbox state %q, want working", state)
	}
	b.noProblems("email pages")
}

// visible reports whether text is shown on the page (not inside a closed
// details element).
func (b *browser) visible(text string) bool {
	b.t.Helper()
	v, err := evalAs[bool](b, `document.body.innerText.includes(`+strconv.Quote(text)+`)`)
	if err != nil {
		b.t.Fatal(err)
	}
	return v
}

// enrolOwner makes the owner account from a fresh setup link in the
// browser, ending signed in.
func (b *browser) enrolOwner(env *testEnv) {
	b.t.Helper()
	token, err := env.db.CreateSetupLink(b.t.Context(), store.SystemActor)
	if err != nil {
		b.t.Fatal(err)
	}
	b.open("/admin/setup?token=" + token)
	b.waitPage("/admin/setup", "You are creating the owner account")
	b.do("fill in the setup form",
		chromedp.SendKeys(chromedp.ID("name"), "Olive Owner"),
		chromedp.SendKeys(chromedp.ID("email"), "olive@northwind.example"),
		chromedp.SendKeys(chromedp.ID("passkey_name"), "Work laptop"),
		chromedp.Click(chromedp.CSS(`[data-passkey="register"]`)),
	)
	b.waitPage("/admin/tickets", "Tickets")
}
