package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"safedesk/security"
	"safedesk/store"
	"safedesk/templates/i18n"
)

// TestPortalRedactsWhatCustomersType: a card number typed into the ticket
// form (subject, message or name) or into a reply is stored as a
// placeholder, and the page says what was removed.
func TestPortalRedactsWhatCustomersType(t *testing.T) {
	env := newTestServer(t)
	c := env.client()
	resp := c.post("/tickets/new", url.Values{"email": {"dana@example.org"}, "name": {"Dana 4111 1111 1111 1111"},
		"subject": {"Charge on 4111.1111.1111.1111"}, "body": {"My card 4111\u00a01111\u00a01111\u00a01111 was charged twice"}})
	if resp.status != http.StatusSeeOther {
		t.Fatalf("create: %d\n%s", resp.status, resp.body)
	}
	page := c.get(resp.header.Get("Location"))
	if !strings.Contains(page.body, `data-testid="notice"`) || !strings.Contains(page.body, "removed the card number you typed") {
		t.Fatalf("no notice of the removal:\n%s", page.body)
	}
	ctx := context.Background()
	cust := env.customerOf("dana@example.org")
	ts, err := env.db.ListTickets(ctx, store.TicketFilter{CustomerID: cust.ID})
	if err != nil || len(ts) != 1 {
		t.Fatalf("tickets %v, %v", ts, err)
	}
	msgs, err := env.db.ListMessages(ctx, ts[0].ID, true)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("messages %v, %v", msgs, err)
	}
	for what, text := range map[string]string{"subject": ts[0].Subject, "body": msgs[0].Body, "name": cust.Name} {
		if strings.Contains(text, "1111") || !strings.Contains(text, "[card number removed]") {
			t.Errorf("stored %s %q", what, text)
		}
	}

	// The code in the receipt proves the address and confirms the request.
	receipt := env.mail.next(t)
	v := c
	if r := v.post("/verify", url.Values{"email": {"dana@example.org"}, "code": {receipt.code(t)}}); r.status != http.StatusSeeOther {
		t.Fatalf("verify: %d\n%s", r.status, r.body)
	}
	path := ticketURL(ts[0].ID)
	if resp := v.post(path+"/reply", url.Values{"body": {"the new password is Sunflower77, please log in"}}); resp.status != http.StatusSeeOther {
		t.Fatalf("reply: %d\n%s", resp.status, resp.body)
	}
	view := v.get(path)
	if strings.Contains(view.body, "Sunflower77") || !strings.Contains(view.body, "[password removed]") ||
		!strings.Contains(view.body, "removed the password you typed") {
		t.Fatalf("reply not redacted, or no notice:\n%s", view.body)
	}
}

// TestRemovedNotice names what was removed from a kept text, in the
// reader's language, and nothing when only addresses and numbers were
// found.
func TestRemovedNotice(t *testing.T) {
	var set security.KindSet
	for _, k := range []security.Kind{security.KindPassword, security.KindCard, security.KindCard, security.KindEmail} {
		set.Add(k)
	}
	for lang, want := range map[string]string{
		"en": "For your safety we removed the card number and password you typed before saving it. We will never ask for card numbers or passwords.",
		"de": "Zu Ihrer Sicherheit haben wir vor dem Speichern entfernt, was Sie eingegeben haben: Kartennummer und Passwort.",
		"fr": "nous avons retiré avant l'enregistrement ce que vous avez saisi : numéro de carte et mot de passe.",
	} {
		if got := removedNotice(i18n.New(lang, nil), i18n.RemovedSaved, set.Kinds()); !strings.Contains(got, want) {
			t.Errorf("%s: %q, want %q", lang, got, want)
		}
	}
	if got := removedNotice(i18n.New("de", nil), i18n.RemovedChat, []security.Kind{security.KindCard, security.KindCard}); !strings.Contains(got, ": Kartennummern.") {
		t.Errorf("two cards in German: %q", got)
	}
	if got := removedNotice(i18n.New("en", nil), i18n.RemovedSaved, []security.Kind{security.KindEmail, security.KindPhone}); got != "" {
		t.Errorf("a notice of no secret: %q", got)
	}
}
