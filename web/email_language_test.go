package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"safedesk/security"
	"safedesk/store"
)

// TestEmailTicketLanguage: a mail's ticket is filed in the language the
// mail says it is in (Content-Language), else the one its words are in,
// else the site's (as it is then); the acknowledgment and staff replies
// speak it.
func TestEmailTicketLanguage(t *testing.T) {
	env := newEmailEnv(t)
	agent, _, _ := env.member(security.RoleAgent, "agnes@northwind.example")
	if err := env.db.SetKBLanguage(t.Context(), "es", store.SystemActor); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		id, subject, body, header, want, ack, reply string
	}{
		{"lang-de", "Mahlwerk kaputt", "Hallo, mein Mahlwerk ist kaputt und ich hätte gern ein neues. Können Sie mir helfen?", "", "de",
			"vielen Dank für Ihre Nachricht", "Antworten Sie einfach auf diese E-Mail"},
		{"lang-header", "Grinder broken", "Hello, my grinder is broken and I would like a new one.", "Content-Language: nl-BE\n", "nl",
			"Bedankt voor uw bericht", "Beantwoord deze e-mail"},
		{"lang-none", "10234", "10234", "", "es", "Gracias por escribir", "Para contestar, responda a este correo"},
	} {
		env.deliver(customerMail(tc.id, tc.subject, tc.body, true, tc.header))
		ts, err := env.db.ListTickets(t.Context(), store.TicketFilter{AllCustomers: true, Limit: 1})
		if err != nil || len(ts) != 1 {
			t.Fatalf("tickets %+v %v", ts, err)
		}
		if ts[0].Lang != tc.want {
			t.Errorf("%s: ticket language %q, want %q", tc.id, ts[0].Lang, tc.want)
		}
		if ack := env.mail.next(t); !strings.Contains(ack.Text, tc.ack) {
			t.Errorf("%s: the acknowledgment is not in %q:\n%s", tc.id, tc.want, ack.Text)
		}
		if resp := agent.post(ticketPath(ts[0].ID)+"/reply", url.Values{"body": {"On its way."}}); resp.status != http.StatusSeeOther {
			t.Fatalf("reply: %d", resp.status)
		}
		env.wait()
		if out := env.mail.next(t); !strings.Contains(out.Text, tc.reply) {
			t.Errorf("%s: the staff reply is not in %q:\n%s", tc.id, tc.want, out.Text)
		}
	}
}
