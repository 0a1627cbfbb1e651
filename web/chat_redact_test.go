package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"safedesk/security"
	"safedesk/store"
)

// TestChatRedactsNumbersAsPeopleTypeThem replays pentest F2: card numbers
// and IBANs with dots, slashes, underscores, commas, double spaces, tabs,
// " - ", no-break, thin and zero-width spaces and full-width digits are
// removed before storage, the visitor is told, and the agent sees only the
// placeholder.
func TestChatRedactsNumbersAsPeopleTypeThem(t *testing.T) {
	env := newTestServer(t)
	c := env.chatter()
	messages := map[string]string{
		"my card is 4111.1111.1111.1111":                "[card number removed]",
		"my card is 4111/1111/1111/1111":                "[card number removed]",
		"my card is 4111_1111_1111_1111":                "[card number removed]",
		"my card is 4111,1111,1111,1111":                "[card number removed]",
		"my card is 4111  1111  1111  1111":             "[card number removed]",
		"my card is 4111 - 1111 - 1111 - 1111":          "[card number removed]",
		"my card is 4111\t1111\t1111\t1111":             "[card number removed]",
		"my card is 4111\u00a01111\u00a01111\u00a01111": "[card number removed]",
		"my card is 4111\u20091111\u20091111\u20091111": "[card number removed]",
		"my card is 4111\u200b1111\u200b1111\u200b1111": "[card number removed]",
		"my card is ４１１１１１１１１１１１１１１１":                   "[card number removed]",
		"my iban is DE89-3704-0044-0532-0130-00":        "[IBAN removed]",
		"my iban is DE89.3704.0044.0532.0130.00":        "[IBAN removed]",
		"my iban is DE 89 3704 0044 0532 0130 00":       "[IBAN removed]",
	}
	for msg, placeholder := range messages {
		env.clock.advance(5 * time.Second)
		resp := c.ask(msg)
		if !strings.Contains(resp.body, placeholder) || !strings.Contains(resp.body, `data-testid="pii-warning"`) {
			t.Errorf("%q: no placeholder or warning:\n%s", msg, resp.body)
		}
	}
	digits := func(s string) string { // what is left of the number, whatever the separators
		return strings.Map(func(r rune) rune {
			if r >= '0' && r <= '9' || r >= '０' && r <= '９' {
				return r
			}
			return -1
		}, s)
	}
	for _, m := range env.chatMessages(t) {
		if d := digits(m.Body); strings.Contains(d, "1111") || strings.Contains(d, "3704") || strings.Contains(d, "１１１１") {
			t.Errorf("stored: %q", m.Body)
		}
	}
	cs, err := env.db.ListConversations(context.Background(), store.ChatFilter{})
	if err != nil || len(cs) != 1 {
		t.Fatalf("conversations %v, %v", cs, err)
	}
	owner, _ := env.owner()
	view := owner.get("/admin/chats/" + strconv.FormatInt(cs[0].ID, 10))
	if d := digits(view.body); strings.Contains(d, "41111111") || strings.Contains(d, "37040044") {
		t.Error("the staff view shows a number")
	}
}

// TestChatPasswordShapedLikeAnAddress replays pentest F3: such a password
// is redacted, never taken for an address, and no code is mailed to it.
func TestChatPasswordShapedLikeAnAddress(t *testing.T) {
	env := newTestServer(t)
	c := env.chatter()
	for _, msg := range []string{"password:P@ssw0rd.1", "pw=S3cr3t@home.net"} {
		resp := c.ask(msg)
		if !strings.Contains(resp.body, "[password removed]") || strings.Contains(resp.body, "6-digit code") {
			t.Errorf("%q:\n%s", msg, resp.body)
		}
	}
	env.wait()
	env.mail.none(t)
	for _, m := range env.chatMessages(t) {
		if strings.Contains(m.Body, "P@ssw0rd") || strings.Contains(m.Body, "S3cr3t") {
			t.Errorf("stored: %q", m.Body)
		}
	}
}

// TestChatTranscriptMasking: the address typed to verify is stored masked
// and never echoed in full; an agent without pii:reveal sees typed
// addresses and phone numbers masked, an admin sees them.
func TestChatTranscriptMasking(t *testing.T) {
	env := newTestServer(t)
	c := env.chatter()
	resp := c.ask("carol.customer@example.com")
	if strings.Contains(resp.body, "carol.customer@example.com") || !strings.Contains(resp.body, "c***@example.com") {
		t.Fatalf("the address was echoed, or no masked form:\n%s", resp.body)
	}
	env.mail.next(t)
	for _, m := range env.chatMessages(t) {
		if strings.Contains(m.Body, "carol.customer") {
			t.Fatalf("stored: %q", m.Body)
		}
	}
	c.ask("please call me on +44 20 7946 0958 or write to carol.work@example.org")
	c.htmx("/chat/handoff", url.Values{})
	cs, err := env.db.ListConversations(context.Background(), store.ChatFilter{})
	if err != nil || len(cs) != 1 {
		t.Fatalf("conversations %v, %v", cs, err)
	}
	path := "/admin/chats/" + strconv.FormatInt(cs[0].ID, 10)

	agent, _, _ := env.member(security.RoleAgent, "agent@northwind.example")
	for _, page := range []string{path, "/admin/chats"} {
		body := agent.get(page).body
		if strings.Contains(body, "carol.work@example.org") || strings.Contains(body, "7946 0958") {
			t.Errorf("agent sees personal data on %s", page)
		}
	}
	if body := agent.get(path).body; !strings.Contains(body, "c***@example.org") || !strings.Contains(body, "+** ** **** **58") {
		t.Errorf("agent view lacks the masked forms:\n%s", body)
	}
	admin, _, _ := env.member(security.RoleAdmin, "admin@northwind.example")
	if resp := admin.get(path); resp.status != http.StatusOK || !strings.Contains(resp.body, "carol.work@example.org") {
		t.Errorf("admin view: %d, want the address", resp.status)
	}
}
