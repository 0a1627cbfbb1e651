package web

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"safedesk/security"
	"safedesk/store"
)

// ownerInBrowser enrols the owner in b from a fresh setup link.
func ownerInBrowser(t *testing.T, env *testEnv, b *browser) {
	t.Helper()
	token, err := env.db.CreateSetupLink(context.Background(), store.SystemActor)
	if err != nil {
		t.Fatal(err)
	}
	b.open("/admin/setup?token=" + token)
	b.waitPage("/admin/setup", "You are creating the owner account")
	b.do("enrol the owner",
		chromedp.SendKeys(chromedp.ID("name"), "Olive Owner"),
		chromedp.SendKeys(chromedp.ID("email"), "olive@northwind.example"),
		chromedp.Click(chromedp.CSS(`[data-passkey="register"]`)),
	)
	b.waitPage("/admin/tickets", "Tickets")
}

// TestBrowserSavedReplyPicker: in the reply box, Alt+R jumps to the saved
// replies and Enter inserts the chosen one where the cursor was, filled for
// the ticket: a customer's name holding markup arrives as text, nothing of
// it runs; the status the reply sets is chosen; no CSP violation.
func TestBrowserSavedReplyPicker(t *testing.T) {
	env := newTestServer(t)
	b := newBrowser(t, env)
	ctx := context.Background()
	if _, err := env.db.SaveReply(ctx, store.SavedReply{Title: "Thanks", Body: "Thanks {{customer.first_name}}, #{{ticket.id}} is fixed."}, store.SystemActor); err != nil {
		t.Fatal(err)
	}
	if _, err := env.db.SaveReply(ctx, store.SavedReply{Title: "Zed done", Body: "Closing, {{agent.name}}.", Status: "solved"}, store.SystemActor); err != nil {
		t.Fatal(err)
	}
	tk, err := env.db.CreateTicket(ctx, store.NewTicket{Email: "x@example.org", Name: "<x-pwned>Ada</x-pwned> Lovelace", Subject: "Broken lid", Body: "x"}, store.SystemActor)
	if err != nil {
		t.Fatal(err)
	}
	ownerInBrowser(t, env, b)
	b.open("/admin/tickets/" + itoa(tk.ID))
	b.waitPage("/admin/tickets/"+itoa(tk.ID), "Broken lid")
	b.do("type, then pick a reply with the keyboard",
		chromedp.SendKeys(chromedp.ID("body"), "Hi. "),
		chromedp.KeyEvent("r", chromedp.KeyModifiers(kb.ModifierAlt)),
	)
	b.waitFor("Alt+R focuses the picker", `document.activeElement && document.activeElement.id === "reply-choice"`)
	b.do("choose the second reply and insert it",
		chromedp.SetValue(chromedp.ID("reply-choice"), itoaOf(t, env, "Zed done")),
		chromedp.KeyEvent(kb.Enter),
	)
	b.waitFor("the reply is inserted after the typed text", `document.getElementById("body").value === "Hi. Closing, Olive Owner."`)
	b.waitFor("its status is chosen", `document.getElementById("then_status").value === "solved"`)
	b.do("insert the other with the button",
		chromedp.SetValue(chromedp.ID("reply-choice"), itoaOf(t, env, "Thanks")),
		chromedp.Click(chromedp.CSS(`[data-testid="insert-reply"]`)),
	)
	b.waitFor("filled as text", `document.getElementById("body").value.includes("Thanks <x-pwned>Ada</x-pwned>, #`+itoa(tk.ID)+` is fixed.")`)
	if n, err := evalAs[int](b, `document.querySelectorAll("x-pwned").length`); err != nil || n != 0 {
		t.Errorf("the customer's name became markup: %d %v", n, err)
	}
	if path, _ := evalAs[string](b, "location.pathname + location.search"); path != "/admin/tickets/"+itoa(tk.ID) {
		t.Errorf("the script let the form reload the page: %s", path)
	}
	b.noProblems("the saved-reply picker")
	b.screenshot("admin-reply-picker")
}

// itoaOf is the id of the saved reply with this title.
func itoaOf(t *testing.T, env *testEnv, title string) string {
	t.Helper()
	rs, err := env.db.ListReplies(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if r.Title == title {
			return itoa(r.ID)
		}
	}
	t.Fatalf("no saved reply %q", title)
	return ""
}

// TestBrowserViewingIndicator: the ticket page shows, by its own polling,
// a colleague who opens the same ticket and then writes a reply; and while
// the owner types in the browser, the colleague's poll says so.
func TestBrowserViewingIndicator(t *testing.T) {
	env := newTestServer(t)
	b := newBrowser(t, env)
	tk, err := env.db.CreateTicket(context.Background(), store.NewTicket{Email: "x@example.org", Subject: "Wobbly table", Body: "x"}, store.SystemActor)
	if err != nil {
		t.Fatal(err)
	}
	path := "/admin/tickets/" + itoa(tk.ID)
	ownerInBrowser(t, env, b)
	b.open(path)
	b.waitPage(path, "Wobbly table")
	agent, _, _ := env.member(security.RoleAgent, "agent@northwind.example")

	agent.get(path)
	b.waitFor("the colleague is shown viewing", `(document.querySelector('[data-testid="presence-viewing"]') || {}).innerText === "Member agent is viewing this ticket."`)
	agent.getHTMX(path + "/presence?writing=1")
	b.waitFor("the colleague is shown writing", `!!document.querySelector('[data-testid="presence-writing"]')`)

	b.do("type a reply", chromedp.SendKeys(chromedp.ID("body"), "On it"))
	deadline := time.Now().Add(browserStepTimeout)
	for {
		if poll := agent.getHTMX(path + "/presence?writing=1"); strings.Contains(poll.body, "Olive Owner</strong> is writing") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the colleague never saw the owner writing\n%s", b.describe())
		}
		time.Sleep(browserPoll)
	}
	b.noProblems("the viewing indicator")
	b.screenshot("admin-presence")
}
