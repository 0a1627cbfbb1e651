package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestStrangerCannotLockOwnerOut is issue 12, item 4: pentest F1's
// reproduction. A stranger who knows the address burns guesses from one
// session and several networks, then asks for codes until the address's
// mail for the hour is used up. The owner's code still works, and asking
// for a new one is not refused: the newest code, which the stranger's
// request mailed to the owner, works.
func TestStrangerCannotLockOwnerOut(t *testing.T) {
	env := newAbuseEnv(t)
	const dave = "dave@example.com"
	victim := env.clientFrom("198.51.100.10")
	if r := victim.post("/verify", url.Values{"email": {dave}}); r.status != http.StatusSeeOther {
		t.Fatalf("the owner asks for a code: %d", r.status)
	}
	genuine := env.mail.next(t).code(t)

	attacker := env.client()
	for i := 1; i <= 6; i++ {
		attacker.from(fmt.Sprintf("203.0.113.%d", i))
		if r := attacker.post("/verify", url.Values{"email": {dave}, "code": {"000000"}}); r.status != http.StatusUnprocessableEntity {
			t.Fatalf("the stranger's guess %d: %d", i, r.status)
		}
	}
	for i := range 3 {
		if r := attacker.post("/verify", url.Values{"email": {dave}}); r.status != http.StatusSeeOther {
			t.Fatalf("the stranger's code request %d: %d, want 303", i, r.status)
		}
	}
	newest := ""
	for _, m := range env.drain() { // the stranger's requests mailed the owner
		newest = m.code(t)
	}

	r := victim.post("/verify", url.Values{"email": {dave}, "resend": {"1"}, "code": {"1"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("the owner asks for a new code: %d, want 303\n%s", r.status, r.body)
	}
	if page := victim.get("/verify").body; !strings.Contains(page, "works again for the next 10 minutes") {
		t.Errorf("the owner is not told which code works:\n%s", page)
	}
	if r := victim.post("/verify", url.Values{"email": {dave}, "code": {genuine}}); r.status != http.StatusSeeOther || r.header.Get("Location") != "/tickets" {
		t.Fatalf("the owner's genuine code: %d %s\n%s", r.status, r.header.Get("Location"), r.body)
	}
	other := env.clientFrom("198.51.100.11") // the owner's phone
	other.post("/verify", url.Values{"email": {dave}})
	if r := other.post("/verify", url.Values{"email": {dave}, "code": {newest}}); r.status != http.StatusSeeOther || r.header.Get("Location") != "/tickets" {
		t.Errorf("the newest code in the owner's mailbox: %d %s", r.status, r.header.Get("Location"))
	}
}

// TestGuessingSessionRefused is issue 12, item 4: wrong tries count per
// address and session, so one session hopping networks is stopped after
// five, with 429, while the owner elsewhere goes on.
func TestGuessingSessionRefused(t *testing.T) {
	env := newAbuseEnv(t)
	owner := env.clientFrom("198.51.100.20")
	owner.post("/verify", url.Values{"email": {"erin@example.com"}})
	code := env.mail.next(t).code(t)
	guesser := env.client()
	guesser.from("203.0.113.20")
	guesser.get("/verify?next=/tickets") // a session of its own
	for i := range 5 {
		guesser.from(fmt.Sprintf("203.0.113.%d", 20+i))
		if r := guesser.post("/verify", url.Values{"email": {"erin@example.com"}, "code": {"000000"}}); r.status != http.StatusUnprocessableEntity {
			t.Fatalf("guess %d: %d", i+1, r.status)
		}
	}
	guesser.from("203.0.113.99")
	if r := guesser.post("/verify", url.Values{"email": {"erin@example.com"}, "code": {code}}); r.status != http.StatusTooManyRequests {
		t.Errorf("the sixth try of the session, with the right code: %d, want 429", r.status)
	}
	if r := owner.post("/verify", url.Values{"email": {"erin@example.com"}, "code": {code}}); r.status != http.StatusSeeOther {
		t.Errorf("the owner: %d, want 303", r.status)
	}
}

// TestTicketLinkLeadsToTheTicket is issue 12, item 15: a link to a ticket
// opened without a verified session goes to /verify with the ticket as
// next, and after the code to the ticket.
func TestTicketLinkLeadsToTheTicket(t *testing.T) {
	env := newTestServer(t)
	_, path := env.signIn("fay@example.org", "Blender broke", "It smokes.")
	c := env.client() // the link in the reply mail, opened on another device
	r := c.get(path)
	want := "/verify?next=" + url.QueryEscape(path)
	if r.status != http.StatusSeeOther || r.header.Get("Location") != want {
		t.Fatalf("the ticket without a session: %d %s, want %s", r.status, r.header.Get("Location"), want)
	}
	if r := c.get(want); r.status != http.StatusOK {
		t.Fatalf("%s: %d", want, r.status)
	}
	c.post("/verify", url.Values{"email": {"fay@example.org"}})
	r = c.post("/verify", url.Values{"email": {"fay@example.org"}, "code": {env.mail.next(t).code(t)}})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != path {
		t.Fatalf("after the code: %d %s, want %s", r.status, r.header.Get("Location"), path)
	}
	if r := c.get(path); r.status != http.StatusOK || !strings.Contains(r.body, "It smokes.") {
		t.Errorf("the ticket: %d", r.status)
	}
	if r := c.get("/verify?next=/kb/returns-and-refunds"); r.status != http.StatusSeeOther || r.header.Get("Location") != "/kb/returns-and-refunds" {
		t.Errorf("a verified session's next: %d %s", r.status, r.header.Get("Location"))
	}
}

// TestVerifyNextOnlyLocalPaths is issue 12, item 15: whatever next says,
// the address bar ends on this site.
func TestVerifyNextOnlyLocalPaths(t *testing.T) {
	env := newTestServer(t)
	for _, next := range []string{
		"//evil.example/tickets", "https://evil.example/", "http:/evil.example", "javascript:alert(1)", "/\\evil.example",
		"/tickets/1\\..", "\\\\evil.example", "/tickets/1\r\nSet-Cookie: x=1", "/tickets\t/1", "/tickets/ 1", "tickets/1",
		"/%0d%0aLocation:%20https://evil.example", "/%2Fevil.example", "/%5Cevil.example", "/\x7f", "/tickets/\u00e9", "",
	} {
		t.Run(fmt.Sprintf("%q", next), func(t *testing.T) {
			c := env.client()
			if r := c.get("/verify?" + url.Values{"next": {next}}.Encode()); r.status != http.StatusOK {
				t.Fatalf("/verify: %d", r.status)
			}
			email := "gil." + randText() + "@example.org"
			c.post("/verify", url.Values{"email": {email}})
			r := c.post("/verify", url.Values{"email": {email}, "code": {env.mail.next(t).code(t)}})
			if loc := r.header.Get("Location"); r.status != http.StatusSeeOther || loc != "/tickets" {
				t.Errorf("after the code: %d %q, want /tickets", r.status, loc)
			}
		})
	}
	if got := localPath("/tickets/5?x=1#top"); got != "/tickets/5?x=1#top" {
		t.Errorf("a local path with a query: got %q", got)
	}
}
