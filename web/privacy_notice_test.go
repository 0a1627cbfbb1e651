package web

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"safedesk/security"
	"safedesk/store"
)

func TestPrivacyNoticeNamesTheRelayByHost(t *testing.T) {
	e := newTestServerWith(t, func(c *Config) { c.Product = "Nordic Brew Co." })
	page := e.client().get("/privacy")
	if page.status != 200 {
		t.Fatal(page.status)
	}
	_, port, _ := strings.Cut(strings.TrimPrefix(e.srv.cfg.MailRelay, "smtp+insecure://"), ":")
	for _, leak := range []string{"smtp+insecure://", "smtp://", ":" + port, "run by"} {
		if strings.Contains(page.body, leak) {
			t.Errorf("the privacy page shows %q", leak)
		}
	}
	for _, want := range []string{
		"Our email relay (127.0.0.1)",
		`data-testid="controller-name">Nordic Brew Co.</strong>`, // the business name, one full stop
		`data-testid="legal-bases"`, store.DefaultPrivacyNotice().BasisTickets,
		`data-testid="complaint"`, store.DefaultPrivacyNotice().AuthorityURL,
	} {
		if !strings.Contains(page.body, want) {
			t.Errorf("the privacy page lacks %q", want)
		}
	}
	if strings.Contains(page.body, "Co..") {
		t.Error(`the privacy page says "Co.."`)
	}
}

func noticeForm(address, contact string) url.Values {
	return url.Values{"controller": {"Nordic Brew B.V."}, "address": {address}, "contact": {contact}, "dpo": {"dpo@nordicbrew.example"},
		"basis_chat": {"Your consent (GDPR Art. 6(1)(a))."}, "authority": {"Autoriteit Persoonsgegevens"},
		"authority_url": {"https://autoriteitpersoonsgegevens.nl"}}
}

func TestConsentVersionFollowsTheNotice(t *testing.T) {
	e := newTestServer(t)
	before, err := e.srv.consentVersion(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	c := brandOwner(e)
	if page := c.get("/admin/settings"); !strings.Contains(page.body, `data-testid="notice-incomplete"`) {
		t.Error("the settings page does not say the notice lacks the owner's part")
	}

	resp := c.post("/admin/settings/privacy-notice", noticeForm("", "privacy@nordicbrew.example"))
	if resp.status != http.StatusUnprocessableEntity || !strings.Contains(resp.body, `id="address-error"`) ||
		!strings.Contains(resp.body, `value="Nordic Brew B.V."`) || !strings.Contains(resp.body, `aria-describedby="address-error"`) {
		t.Fatalf("a notice without an address: %d, want 422 with the error at the field and the rest as typed", resp.status)
	}
	if resp := c.post("/admin/settings/privacy-notice", noticeForm("Oudegracht 1\r\n3511 AB Utrecht", "privacy@nordicbrew.example")); resp.status != http.StatusSeeOther {
		t.Fatalf("notice: %d\n%s", resp.status, resp.body)
	}
	if page := c.get("/admin/settings"); strings.Contains(page.body, `data-testid="notice-incomplete"`) {
		t.Error("the settings page still calls a completed notice incomplete")
	}
	page := e.client().get("/privacy")
	for _, want := range []string{"Nordic Brew B.V.", "Oudegracht 1<br> 3511 AB Utrecht", "privacy@nordicbrew.example", "dpo@nordicbrew.example",
		"Your consent (GDPR Art. 6(1)(a)).", `href="https://autoriteitpersoonsgegevens.nl"`, "Autoriteit Persoonsgegevens"} {
		if !strings.Contains(page.body, want) {
			t.Errorf("the privacy page lacks %q", want)
		}
	}
	after, err := e.srv.consentVersion(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if after == before || !strings.HasPrefix(after, ChatPolicyVersion+".") || !strings.Contains(page.body, after) {
		t.Fatalf("consent version %q → %q: want a new one, shown on the privacy page", before, after)
	}
	// A new chat records the new version.
	v := e.client()
	if resp := v.post("/chat/consent", url.Values{"consent": {"yes"}}); resp.status != http.StatusSeeOther {
		t.Fatalf("consent: %d", resp.status)
	}
	cs, err := e.db.ListConversations(t.Context(), store.ChatFilter{})
	if err != nil || len(cs) != 1 || cs[0].ConsentVersion != after {
		t.Fatalf("conversations %+v (%v), want consent version %s", cs, err, after)
	}
	entries, err := e.db.ListAudit(t.Context(), store.AuditFilter{Limit: 50})
	if err != nil || !hasAudit(entries, "settings.changed", "setting:privacy_notice") {
		t.Errorf("the notice change is not audited (%v)", err)
	}
}

func TestPrivacyNoticeIsTheOwners(t *testing.T) {
	e := newTestServer(t)
	e.owner()
	c, d, _ := e.member(security.RoleAdmin, "admin@northwind.example")
	e.stepUp(c, d)
	if resp := c.post("/admin/settings/privacy-notice", noticeForm("Street 1", "x@example.org")); resp.status != http.StatusForbidden {
		t.Fatalf("an admin edits the notice: %d, want 403", resp.status)
	}
	if page := c.get("/admin/settings"); strings.Contains(page.body, `data-testid="notice-form"`) {
		t.Fatal("an admin is shown the notice's form")
	}
}

var consentVersionRe = regexp.MustCompile(`data-testid="consent-version">([^<]+)<`)

// TestConsentVersionIsTheSameInEveryLanguage: the consent version digests
// the notice's facts (the configuration and the owner's part), never its
// wording in the reader's language, so a chat consented to in German is
// consented to the very notice the English, French, Spanish and Dutch
// pages show, and switching language never makes the chat ask again.
func TestConsentVersionIsTheSameInEveryLanguage(t *testing.T) {
	e := newTestServer(t)
	german := e.speaking("de", "")
	if r := german.post("/chat/consent", url.Values{"consent": {"yes"}}); r.status != http.StatusSeeOther {
		t.Fatalf("consent: %d", r.status)
	}
	cs, err := e.db.ListConversations(t.Context(), store.ChatFilter{})
	if err != nil || len(cs) != 1 {
		t.Fatalf("conversations %v, %v", cs, err)
	}
	consented := cs[0].ConsentVersion
	for _, lang := range []string{"en", "de", "fr", "es", "nl"} {
		page := e.speaking(lang, "").get("/privacy")
		m := consentVersionRe.FindStringSubmatch(page.body)
		if m == nil || m[1] != consented {
			t.Errorf("/privacy in %s shows version %q; the chat consented in German to %q", lang, m, consented)
		}
	}
	// The German visitor switches to English: the chat goes on, no new consent.
	if r := german.post("/language", url.Values{"lang": {"en"}, "next": {"/chat"}}); r.status != http.StatusSeeOther {
		t.Fatalf("switch: %d", r.status)
	}
	if r := german.get("/chat"); !strings.Contains(r.body, `id="chat-message"`) || strings.Contains(r.body, `name="consent"`) {
		t.Errorf("after switching to English the chat asks for consent again:\n%.600s", r.body)
	}
}
