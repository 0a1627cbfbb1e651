package web

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"safedesk/store"
)

// noScript turns the page's JavaScript off (true) or on, as for a person
// whose browser runs none; the test still reads the page through DevTools.
func (b *browser) noScript(off bool) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, browserStepTimeout)
	defer cancel()
	if _, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: off}); err != nil {
		b.t.Fatalf("script execution disabled=%v: %v", off, err)
	}
}

// visibleNavLinks counts the navigation's links a person can see.
const visibleNavLinks = `Array.from(document.querySelectorAll('[data-testid="admin-nav"] a')).filter(function (a) { var r = a.getBoundingClientRect(); return r.width > 0 && r.height > 0; }).length`

// pageFits is how much wider than the window the page is: 0 when nothing
// makes it scroll sideways.
const pageFits = `document.documentElement.scrollWidth - document.documentElement.clientWidth`

// TestBrowserAdminPhoneLayout: on a 390 px phone without JavaScript the
// panel's sections sit behind "Menu", which opens from the keyboard and
// leads Tab straight to each section's link; the queue, holding a subject
// with a word longer than the screen, never makes the page scroll
// sideways, at phone or desktop width; on the desktop the queue's column
// heads stay in view while the list scrolls.
func TestBrowserAdminPhoneLayout(t *testing.T) {
	env := newTestServer(t)
	b := newBrowser(t, env)
	ctx := context.Background()
	subjects := []string{
		"Order 48213 never arrived and the tracking link says the parcel went back to the sender",
		"Invoice" + strings.Repeat("withoutanyspace", 8),
	}
	for i := range 40 {
		s := fmt.Sprintf("Question number %d about the grinder", i)
		if i < len(subjects) {
			s = subjects[i]
		}
		if _, err := env.db.CreateTicket(ctx, store.NewTicket{Email: fmt.Sprintf("c%d@example.org", i), Subject: s, Body: "Hello"}, store.SystemActor); err != nil {
			t.Fatal(err)
		}
	}
	ownerInBrowser(t, env, b)
	nav, err := evalAs[int](b, `document.querySelectorAll('[data-testid="admin-nav"] a').length`)
	if err != nil || nav < 10 {
		t.Fatalf("the owner's navigation has %d links (%v), want every section", nav, err)
	}

	b.setViewport(390, 844, true)
	b.noScript(true)
	defer b.noScript(false)
	b.open("/admin/tickets")
	b.waitPage("/admin/tickets", "Invoice")
	if n, err := evalAs[int](b, visibleNavLinks); err != nil || n != 0 {
		t.Fatalf("on a phone, %d section links show before the menu is opened (%v), want them behind Menu", n, err)
	}
	if over, err := evalAs[int](b, pageFits); err != nil || over > 0 {
		t.Errorf("at 390 px the queue page is %d px wider than the screen (%v)", over, err)
	}
	b.do("open the menu from the keyboard",
		chromedp.Focus(chromedp.CSS(`[data-testid="menu-toggle"] summary`)),
		chromedp.KeyEvent(kb.Enter),
	)
	b.waitFor("the menu open", `document.querySelector('[data-testid="menu-toggle"]').open`)
	if n, err := evalAs[int](b, visibleNavLinks); err != nil || n != nav {
		t.Fatalf("with the menu open %d of %d section links show (%v)", n, nav, err)
	}
	for i := range nav {
		b.do("tab", chromedp.KeyEvent(kb.Tab))
		got, err := evalAs[string](b, `document.activeElement.closest('[data-testid="admin-nav"]') ? document.activeElement.getAttribute("href") : "(outside the navigation) " + document.activeElement.outerHTML.slice(0, 80)`)
		want, _ := evalAs[string](b, fmt.Sprintf(`document.querySelectorAll('[data-testid="admin-nav"] a')[%d].getAttribute("href")`, i))
		if err != nil || got != want {
			t.Fatalf("Tab %d from Menu reaches %q (%v), want the section link %q", i+1, got, err, want)
		}
	}
	b.do("follow the focused link", chromedp.KeyEvent(kb.Enter))
	b.waitFor("the last section open", `location.pathname === "/admin/api"`)

	b.noScript(false)
	b.setViewport(1440, 900, false)
	b.open("/admin/tickets")
	b.waitPage("/admin/tickets", "Invoice")
	if n, err := evalAs[int](b, visibleNavLinks); err != nil || n != nav {
		t.Errorf("on a desktop %d of %d section links show without opening anything (%v)", n, nav, err)
	}
	if over, err := evalAs[int](b, pageFits); err != nil || over > 0 {
		t.Errorf("at 1440 px the queue page is %d px wider than the window (%v)", over, err)
	}
	b.eval(`window.scrollTo(0, document.querySelector('[data-testid="queue"] tbody tr:last-child').offsetTop)`)
	b.waitFor("scrolled", `window.scrollY > 400`)
	if top, err := evalAs[float64](b, `document.querySelector('[data-testid="queue"] thead th').getBoundingClientRect().top`); err != nil || top < -1 || top > 1 {
		t.Errorf("scrolled down the queue, its column heads are at %.0f px (%v), want them held at the top (0)", top, err)
	}
	b.noProblems("admin phone layout")
}
