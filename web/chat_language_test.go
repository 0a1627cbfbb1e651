package web

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"safedesk/store"
)

// chatterIn is a visitor who consented to the chat with lang as the
// switcher's choice (cookie) or, when header, only as Accept-Language.
func (e *testEnv) chatterIn(lang string, header bool) *client {
	e.t.Helper()
	c := e.client()
	req, _ := http.NewRequest("POST", e.http.URL+"/chat/consent", strings.NewReader(url.Values{"consent": {"yes"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if header {
		req.Header.Set("Accept-Language", lang+";q=0.9")
	} else {
		c.choose(lang)
	}
	if resp := c.do(req); resp.status != http.StatusSeeOther {
		e.t.Fatalf("consent: %d\n%s", resp.status, resp.body)
	}
	return c
}

// choose sets the language switcher's cookie as the switcher does.
func (c *client) choose(lang string) {
	u, _ := url.Parse(c.env.http.URL)
	c.c.Jar.SetCookies(u, []*http.Cookie{{Name: langCookie, Value: lang, Path: "/"}})
}

func TestChatSpeaksTheVisitorsLanguage(t *testing.T) {
	e := newTestServer(t)
	// English words: without a choice the assistant answers in English.
	if resp := e.chatter().ask("hello"); !strings.Contains(resp.body, "automated assistant, not a person") {
		t.Fatalf("no language chosen, the greeting is not English:\n%s", resp.body)
	}

	de := e.chatterIn("de", false)
	if resp := de.ask("hello"); !strings.Contains(resp.body, "Ich bin der automatische Assistent") {
		t.Errorf("the switcher chose German, the assistant's greeting is not:\n%s", resp.body)
	}
	if resp := de.ask("How do I descale my kettle?"); !strings.Contains(resp.body, "Das steht in unserem Hilfeartikel") ||
		!strings.Contains(resp.body, `<blockquote lang="en">`) {
		t.Errorf("German chosen: the answer is not introduced in German, or the English quote is not marked English:\n%s", resp.body)
	}
	if resp := de.ask("zxqv blorp wibble"); !strings.Contains(resp.body, "Ich bin nicht sicher") {
		t.Errorf("the switcher chose German, the assistant's “not sure” is not:\n%s", resp.body)
	}

	// Accept-Language at consent is the chat's language, kept on the
	// conversation: later messages carry no header.
	fr := e.chatterIn("fr", true)
	if resp := fr.ask("thank you"); !strings.Contains(resp.body, "Avec plaisir") {
		t.Errorf("a chat begun in French does not thank in French:\n%s", resp.body)
	}
	fr.choose("es") // the visitor switches during the chat
	if resp := fr.ask("thank you"); !strings.Contains(resp.body, "¡De nada!") {
		t.Errorf("after switching to Spanish the assistant does not thank in Spanish:\n%s", resp.body)
	}

	// The consent form carries the language the page was shown in.
	page := e.client()
	req, _ := http.NewRequest("GET", e.http.URL+"/chat", nil)
	req.Header.Set("Accept-Language", "nl")
	if resp := page.do(req); !strings.Contains(resp.body, `name="lang" value="nl"`) {
		t.Error("the consent form does not carry the page's language")
	}
	if resp := page.post("/chat/consent", url.Values{"consent": {"yes"}, "lang": {"nl"}}); resp.status != http.StatusSeeOther {
		t.Fatalf("consent: %d", resp.status)
	}

	langs := map[string]bool{}
	cs, err := e.db.ListConversations(t.Context(), store.ChatFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		langs[c.Lang] = true
	}
	for _, want := range []string{"en", "de", "fr", "nl"} {
		if !langs[want] {
			t.Errorf("no conversation kept the language %s (have %v)", want, langs)
		}
	}
}

func TestChatAsksConsentAgainAfterTheNoticeChanged(t *testing.T) {
	e := newTestServer(t)
	v := e.chatter()
	v.ask("hello")
	owner := brandOwner(e)
	if resp := owner.post("/admin/settings/privacy-notice", noticeForm("Oudegracht 1", "privacy@nordicbrew.example")); resp.status != http.StatusSeeOther {
		t.Fatalf("notice: %d\n%s", resp.status, resp.body)
	}
	version, err := e.srv.consentVersion(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	before := len(e.chatMessages(t))

	const question = "How do I descale my kettle?"
	resp := v.htmx("/chat/messages", url.Values{"message": {question}, "after": {chatAfter[v]}})
	if resp.status != http.StatusOK || !strings.Contains(resp.body, `data-testid="chat-reconsent"`) || !strings.Contains(resp.body, question) {
		t.Fatalf("a message after the notice changed: %d, want the consent step with the message kept\n%s", resp.status, resp.body)
	}
	if n := len(e.chatMessages(t)); n != before {
		t.Fatalf("%d messages stored before the visitor agreed to the new notice", n-before)
	}
	if page := v.get("/chat"); !strings.Contains(page.body, `data-testid="chat-reconsent"`) || strings.Contains(page.body, `hx-post="/chat/messages"`) {
		t.Error("the chat page offers the composer, not the consent step")
	}
	if resp := v.post("/chat/consent", url.Values{"message": {question}}); resp.status != http.StatusUnprocessableEntity ||
		!strings.Contains(resp.body, `data-testid="consent-error"`) || !strings.Contains(resp.body, question) {
		t.Fatalf("consent without the box: %d, want 422 with the message kept", resp.status)
	}

	if resp := v.post("/chat/consent", url.Values{"consent": {"yes"}, "message": {question}}); resp.status != http.StatusSeeOther {
		t.Fatalf("consent again: %d\n%s", resp.status, resp.body)
	}
	msgs := e.chatMessages(t)[before:]
	if len(msgs) != 2 || msgs[0].Author != store.ChatAuthorVisitor || msgs[0].Body != question || msgs[1].Author != store.ChatAuthorBot {
		t.Fatalf("after consent: %+v, want the kept question and the assistant's answer", msgs)
	}
	cs, err := e.db.ListConversations(t.Context(), store.ChatFilter{})
	if err != nil || len(cs) != 1 || cs[0].ConsentVersion != version {
		t.Fatalf("conversations %+v (%v), want one with consent version %s", cs, err, version)
	}
	entries, err := e.db.ListAudit(t.Context(), store.AuditFilter{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	renewed := false
	for _, a := range entries {
		renewed = renewed || (a.Action == "chat.consented" && a.Target == store.ChatTarget(cs[0].ID) && a.Details["consent_version"] == version)
	}
	if !renewed {
		t.Error("the audit log does not record the consent to the new notice")
	}
	if resp := v.ask("thank you"); strings.Contains(resp.body, "chat-reconsent") {
		t.Error("consent is asked again after the visitor agreed")
	}
}

// TestAnswersFromAnotherLanguage: a French visitor whose question only an
// English article answers gets it, in the chat (framed in French, the
// quote marked English) and in the help-centre search.
func TestAnswersFromAnotherLanguage(t *testing.T) {
	e := newTestServer(t)
	fr := e.chatterIn("fr", false)
	resp := fr.ask("je n'ai pas reçu le mail pour réinitialiser mon mot de passe")
	if !strings.Contains(resp.body, "/kb/reset-your-password#") || !strings.Contains(resp.body, `<blockquote lang="en">`) {
		t.Errorf("French question: no quote of the English Reset your password:\n%s", resp.body)
	}
	if !strings.Contains(resp.body, "Voici ce que dit notre article d&#39;aide") {
		t.Errorf("French question: the answer is not introduced in French:\n%s", resp.body)
	}
	search := e.client().get("/kb/search?q=" + url.QueryEscape("mot de passe oublié"))
	if !strings.Contains(search.body, `href="/kb/reset-your-password`) {
		t.Errorf("the help-centre search for “mot de passe oublié” does not list Reset your password:\n%s", search.body)
	}
}
