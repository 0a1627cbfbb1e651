package web

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/webauthn"
	"github.com/chromedp/chromedp"
)

// TestBrowserStaffJourney walks the staff panel in real Chromium, one step
// after the other as a person would: the owner enrols from the printed
// setup link, signs out and in with the passkey, answers a customer,
// confirms two sensitive actions with a fresh passkey, adds a passkey on a
// second device, and is signed out after being idle. No page may report a
// CSP violation or a script error.
func TestBrowserStaffJourney(t *testing.T) {
	env := newTestServer(t)
	b := newBrowser(t, env)
	customer, ticketPath := env.signIn("dora@example.org", "Kettle leaks", "It drips from the spout.")
	ticketID := strings.TrimPrefix(ticketPath, "/tickets/")

	steps := []struct {
		name string
		run  func(t *testing.T, b *browser)
	}{
		{"owner setup from the printed link", func(t *testing.T, b *browser) {
			b.enrolOwner(env) // web/email_browser_test.go
			b.waitPage("/admin/tickets", "Kettle leaks")
			if got := b.text(`[data-testid="me"]`); !strings.Contains(got, "Olive Owner") {
				t.Errorf("signed in as %q, want Olive Owner", got)
			}
			if n := b.credentials(b.auth); n != 1 {
				t.Errorf("the authenticator holds %d passkeys, want 1", n)
			}
			// htmx works in the panel: the queue badge loads by itself.
			b.waitFor("queue badge", `document.querySelector('[data-testid="queue-count"]') && document.querySelector('[data-testid="queue-count"]').textContent.trim() === "1"`)
			b.screenshot("admin-tickets")
		}},
		{"sign out", func(t *testing.T, b *browser) {
			b.do("sign out", chromedp.Click(chromedp.CSS(`[data-testid="signout"]`)))
			b.waitPage("/admin/login", "You are signed out.")
			b.open("/admin/tickets")
			b.waitPage("/admin/login", "Sign in with a passkey")
		}},
		{"passkey sign-in", func(t *testing.T, b *browser) {
			b.do("sign in", chromedp.Click(chromedp.CSS(`[data-passkey="login"]`)))
			b.waitPage("/admin/tickets", "Kettle leaks")
			if got := b.text(`[data-testid="me"]`); !strings.Contains(got, "Olive Owner") {
				t.Errorf("signed in as %q, want Olive Owner", got)
			}
		}},
		{"reply to a ticket", func(t *testing.T, b *browser) {
			b.do("open the ticket", chromedp.Click(chromedp.CSS(`[data-testid="queue"] a[href="/admin/tickets/`+ticketID+`"]`)))
			b.waitPage("/admin/tickets/"+ticketID, "It drips from the spout.")
			b.do("send a reply",
				chromedp.SendKeys(chromedp.ID("body"), "Please send us a photo of the spout."),
				chromedp.Click(chromedp.CSS(`[data-testid="send-reply"]`)),
			)
			b.waitPage("/admin/tickets/"+ticketID, "Reply sent.")
			if got := b.text(`[data-testid="conversation"]`); !strings.Contains(got, "Please send us a photo of the spout.") {
				t.Errorf("the conversation lacks the reply:\n%s", got)
			}
			if page := customer.get(ticketPath); !strings.Contains(page.body, "Please send us a photo of the spout.") {
				t.Errorf("the customer's page lacks the reply (%d)", page.status)
			}
			m := env.mail.next(t)
			if m.To != "dora@example.org" || !strings.Contains(m.Text, ticketPath) {
				t.Errorf("notification to %q:\n%s", m.To, m.Text)
			}
			if strings.Contains(m.Text, "photo") || strings.Contains(m.Text, "Kettle") {
				t.Errorf("the notification carries ticket text:\n%s", m.Text)
			}
		}},
		{"step-up before inviting staff", func(t *testing.T, b *browser) {
			env.clock.advance(6 * time.Minute) // the sign-in's assertion is stale
			b.open("/admin/staff")             // activity, so only the step-up is stale
			b.waitPage("/admin/staff", "Invite a team member")
			b.do("invite",
				chromedp.SendKeys(chromedp.ID("invite-email"), "nina@northwind.example"),
				chromedp.SetValue(chromedp.ID("invite-role"), "agent"),
				chromedp.Click(chromedp.CSS(`form[action="/admin/staff/invite"] button[type="submit"]`)),
			)
			b.waitPage("/admin/staff/invite", "Confirm it's you")
			b.do("confirm", chromedp.Click(chromedp.CSS(`[data-passkey="stepup"]`)))
			b.waitFor("invite link", `document.querySelector('[data-testid="invite-link"]') && document.querySelector('[data-testid="invite-link"]').innerText.includes("/admin/invite/")`)
			if m := env.mail.next(t); m.To != "nina@northwind.example" {
				t.Errorf("invitation went to %q", m.To)
			}
		}},
		{"step-up before revealing a customer", func(t *testing.T, b *browser) {
			env.clock.advance(6 * time.Minute)
			b.open("/admin/tickets/" + ticketID)
			b.do("open the customer", chromedp.Click(chromedp.CSS(`main a[href^="/admin/customers/"]`)))
			b.waitPageMatch(`^/admin/customers/\d+$`, "d***@example.org")
			b.do("reveal", chromedp.Click(chromedp.CSS(`[data-testid="reveal"]`)))
			b.waitFor("step-up page", `document.body.innerText.includes("Confirm it's you")`)
			b.do("confirm", chromedp.Click(chromedp.CSS(`[data-passkey="stepup"]`)))
			b.waitFor("revealed address", `document.querySelector('[data-testid="customer-email"]') && document.querySelector('[data-testid="customer-email"]').innerText === "dora@example.org"`)
		}},
		{"a second passkey from the sessions page", func(t *testing.T, b *browser) {
			env.clock.advance(6 * time.Minute) // adding a passkey needs a fresh step-up
			b.open("/admin/sessions")
			b.waitPage("/admin/sessions", "Signed-in sessions")
			phone := b.addAuthenticator(webauthn.AuthenticatorTransportUsb)
			// Enter in the name field: the script confirms with the
			// first passkey, then registers one on the new device.
			b.do("name the passkey and press Enter", chromedp.SendKeys(chromedp.ID("passkey_name"), "Phone\n"))
			b.waitFor("two passkeys listed", `document.querySelectorAll('[data-testid="passkey"]').length === 2`)
			if got := b.path(); got != "/admin/sessions" {
				t.Errorf("on %s, want /admin/sessions", got)
			}
			if got, err := evalAs[bool](b, `Array.from(document.querySelectorAll('[data-testid="passkey"] input[name="name"]')).some(function (i) { return i.value === "Phone"; })`); err != nil || !got {
				t.Errorf("no passkey named Phone (%v)", err)
			}
			if n := b.credentials(phone); n != 1 {
				t.Errorf("the new device holds %d passkeys, want 1", n)
			}
		}},
		{"idle timeout, then sign-in with the new passkey", func(t *testing.T, b *browser) {
			b.removeAuthenticator(b.auth) // the laptop is gone; the phone remains
			env.clock.advance(16 * time.Minute)
			b.open("/admin/tickets")
			b.waitPage("/admin/login", "You were signed out after a period of inactivity.")
			b.do("sign in again", chromedp.Click(chromedp.CSS(`[data-passkey="login"]`)))
			b.waitPage("/admin/tickets", "Kettle leaks")
		}},
	}
	for _, s := range steps {
		ok := t.Run(s.name, func(t *testing.T) {
			bt := b.as(t)
			s.run(t, bt)
			bt.noProblems(s.name)
		})
		if !ok {
			return // each step starts where the last one ended
		}
	}
}

// TestBrowserPortal loads the customer portal in real Chromium: no page
// breaks the CSP or throws, and htmx swaps a form with errors in place,
// keeping what was typed.
func TestBrowserPortal(t *testing.T) {
	env := newTestServer(t)
	b := newBrowser(t, env)

	t.Run("the violation detector works", func(t *testing.T) {
		b := b.as(t)
		b.open("/")
		b.waitPage("/", "Help Centre")
		b.eval(`(function () { var s = document.createElement("script"); s.textContent = "window.inlineRan = true"; document.body.appendChild(s); })()`)
		if ran, err := evalAs[bool](b, "window.inlineRan === true"); err != nil || ran {
			t.Fatalf("an injected inline script ran (%v)", err)
		}
		b.settle()
		found := false
		for _, p := range b.takeProblems() {
			found = found || strings.Contains(p, "CSP violation: script-src")
		}
		if !found {
			t.Fatal("an inline script was not reported as a CSP violation")
		}
	})

	t.Run("pages load cleanly", func(t *testing.T) {
		b := b.as(t)
		for _, p := range []struct{ path, text string }{
			{"/", "Help Centre"},
			{"/kb", "Articles"},
			{"/kb/search?q=grinder", "grinder"},
			{"/privacy", "Privacy"},
			{"/security", "Security"},
			{"/tickets/new", "Contact support"},
			{"/verify", "Confirm your email"},
			{"/admin/login", "Staff sign-in"},
		} {
			b.open(p.path)
			b.waitFor(p.path, `document.readyState === "complete" && document.body.innerText.toLowerCase().includes(`+jsString(strings.ToLower(p.text))+`)`)
			if !strings.HasPrefix(p.path, "/admin") {
				b.waitFor(p.path+" has htmx", `window.htmx && htmx.config.allowEval === false`)
			}
			b.noProblems(p.path)
		}
		b.open("/")
		b.waitPage("/", "Help Centre")
		b.screenshot("portal-home")
	})

	t.Run("boosted link to an article", func(t *testing.T) {
		b := b.as(t)
		b.open("/kb")
		b.eval("window.sameDocument = true")
		b.do("open an article", chromedp.Click(chromedp.CSS(`main a[href^="/kb/"]:not([href^="/kb/search"])`)))
		b.waitFor("article page", `location.pathname.startsWith("/kb/") && location.pathname !== "/kb/search" && document.querySelector("main h1")`)
		b.waitFor("htmx swapped, no reload", `window.sameDocument === true`)
		b.noProblems("article")
	})

	t.Run("a form with errors swaps in and keeps what was typed", func(t *testing.T) {
		b := b.as(t)
		b.open("/tickets/new")
		b.waitPage("/tickets/new", "Contact support")
		b.eval("window.sameDocument = true")
		b.do("send without email and message",
			chromedp.SendKeys(chromedp.ID("name"), "Ada Lovelace"),
			chromedp.SendKeys(chromedp.ID("subject"), "Grinder squeaks"),
			chromedp.Click(chromedp.CSS(`#ticket-form button[type="submit"]`)),
		)
		b.waitFor("field errors", `document.querySelector('[data-testid="email-error"]') && document.querySelector('[data-testid="body-error"]')`)
		b.waitFor("htmx swapped, no reload", `window.sameDocument === true`)
		if got := b.value("name"); got != "Ada Lovelace" {
			t.Errorf("name %q after the error, want it kept", got)
		}
		if got := b.value("subject"); got != "Grinder squeaks" {
			t.Errorf("subject %q after the error, want it kept", got)
		}
		b.waitFor("focus on the first invalid field", `document.activeElement && document.activeElement.id === "email"`)
		b.noProblems("422 swap")

		b.do("correct and send",
			chromedp.SendKeys(chromedp.ID("email"), "ada@example.org"),
			chromedp.SendKeys(chromedp.ID("body"), "It squeaks at fine settings."),
			chromedp.Click(chromedp.CSS(`#ticket-form button[type="submit"]`)),
		)
		// The address bar follows the redirects, so a reload or a bookmark
		// shows the same page.
		b.waitPage("/verify", "a 6-digit code is on its way")
		code := env.mail.next(t).code(t)
		b.do("enter the code",
			chromedp.SendKeys(chromedp.ID("code"), code),
			chromedp.Click(chromedp.CSS(`[data-testid="verify"] form button[type="submit"]`)),
		)
		// The code of the receipt leads to the request it was sent for.
		b.waitPageMatch(`^/tickets/\d+$`, "It squeaks at fine settings.")
		b.waitFor("htmx swapped, no reload", `window.sameDocument === true`)
		b.noProblems("verified")
		ticket := b.path()
		b.do("send an empty reply", chromedp.Click(chromedp.CSS(`#reply-form button[type="submit"]`)))
		b.waitFor("reply error", `document.querySelector('[data-testid="body-error"]')`)
		if got := b.path(); got != ticket {
			t.Errorf("after a reply with errors the address is %s, want %s", got, ticket)
		}
		b.do("reply",
			chromedp.SendKeys(chromedp.ID("body"), "Here is more detail."),
			chromedp.Click(chromedp.CSS(`#reply-form button[type="submit"]`)),
		)
		b.waitPage(ticket, "Here is more detail.")
		b.waitFor("htmx swapped, no reload", `window.sameDocument === true`)
		b.noProblems("customer reply")
	})
}

// path is the page's current path.
func (b *browser) path() string {
	b.t.Helper()
	p, err := evalAs[string](b, "location.pathname")
	if err != nil {
		b.t.Fatal(err)
	}
	return p
}

// value is the current value of the form field with id.
func (b *browser) value(id string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, browserStepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Value(chromedp.ID(id)))
	if err != nil {
		b.t.Fatalf("value of #%s: %v", id, err)
	}
	return v
}

// jsString quotes s as a JavaScript string literal.
func jsString(s string) string {
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`).Replace(s) + `"`
}
