package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"safedesk/store"
)

// TestLookalikeAddressesRefused (issue 12, item 21; pentest F6): an
// address that looks like a customer's (the Kelvin sign, full-width
// letters, a Cyrillic а) is refused at /verify and in the chat, and gets
// no code; an address that differs only in ASCII case or is written with
// an internationalised domain gets its code at the very address that is
// indexed, and signs in to its own tickets.
func TestLookalikeAddressesRefused(t *testing.T) {
	env := newTestServer(t)
	ctx := context.Background()
	if _, err := env.db.CreateTicket(ctx, store.NewTicket{Email: "kate@example.com", Name: "Kate", Subject: "Kate private subject", Body: "x"},
		store.SystemActor); err != nil {
		t.Fatal(err)
	}
	lookalikes := map[string]string{
		"Kelvin sign":          "\u212Aate@example.com",
		"full-width k":         "\uFF4Bate@example.com",
		"Cyrillic a":           "k\u0430te@example.com",
		"Cyrillic a in domain": "kate@ex\u0430mple.com",
		"full-width domain":    "kate@\uFF45xample.com",
	}
	for name, addr := range lookalikes {
		t.Run(name, func(t *testing.T) {
			r := env.client().post("/verify", url.Values{"email": {addr}})
			if r.status != http.StatusUnprocessableEntity {
				t.Fatalf("/verify: %d, want 422", r.status)
			}
			chat := env.chatter()
			if resp := chat.ask(addr); strings.Contains(resp.body, "6-digit code") {
				t.Fatalf("the chat sent a code to %q", addr)
			}
		})
	}
	env.mail.none(t)

	for typed, indexed := range map[string]string{"Kate@Example.COM": "kate@example.com", "jan@münchen.de": "jan@xn--mnchen-3ya.de"} {
		c := env.client()
		if r := c.post("/verify", url.Values{"email": {typed}}); r.status != http.StatusSeeOther {
			t.Fatalf("%s: /verify %d", typed, r.status)
		}
		m := env.mail.next(t)
		if m.To != indexed {
			t.Fatalf("the code for %q went to %q, want %q", typed, m.To, indexed)
		}
		if r := c.post("/verify", url.Values{"email": {typed}, "code": {m.code(t)}}); r.status != http.StatusSeeOther {
			t.Fatalf("%s: code %d %s", typed, r.status, r.body)
		}
		list := c.get("/tickets")
		if mine := strings.Contains(list.body, "Kate private subject"); mine != (indexed == "kate@example.com") {
			t.Errorf("%s sees Kate's ticket: %v", typed, mine)
		}
	}
}
