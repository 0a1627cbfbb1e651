package web

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"safedesk/store"
	"safedesk/templates/i18n"
)

// getIn is get with an Accept-Language header.
func (c *client) getIn(path, acceptLanguage string) response {
	c.env.t.Helper()
	req, _ := http.NewRequest("GET", c.env.http.URL+path, nil)
	req.Header.Set("Accept-Language", acceptLanguage)
	return c.do(req)
}

// TestAcceptLanguage: a German browser gets German pages, <html lang="de">,
// and an answer that says it depends on the header and the cookie.
func TestAcceptLanguage(t *testing.T) {
	e := newTestServer(t)
	c := e.client()
	for path, want := range map[string]string{
		"/":            "Wie können wir helfen?",
		"/kb":          "Hilfeartikel",
		"/tickets/new": "Anfrage senden",
		"/verify":      "E-Mail-Adresse bestätigen",
		"/chat":        "Bevor Sie beginnen",
		"/nowhere":     "Seite nicht gefunden",
		"/privacy":     "Wer für Ihre Daten verantwortlich ist",
		"/security":    "So erkennen Sie echte Nachrichten von uns",
	} {
		r := c.getIn(path, "de-DE,de;q=0.9,en;q=0.5")
		if !strings.Contains(r.body, `<html lang="de"`) || !strings.Contains(r.body, want) {
			t.Errorf("%s: want German (%q) with lang=de; got %d %.300s", path, want, r.status, r.body)
		}
		if v := r.header.Values("Vary"); !strings.Contains(strings.Join(v, ","), "Accept-Language") || !strings.Contains(strings.Join(v, ","), "Cookie") {
			t.Errorf("%s: Vary %q", path, v)
		}
	}
	if r := c.getIn("/", "en-GB,en;q=0.9"); !strings.Contains(r.body, `<html lang="en"`) || !strings.Contains(r.body, "How can we help?") {
		t.Errorf("English browser: %.300s", r.body)
	}
}

// TestLanguageSwitcher: the switcher's choice, kept in a cookie that holds
// only the language's code (SameSite=Lax), wins over the browser's
// language and brings the visitor back to the page they were on.
func TestLanguageSwitcher(t *testing.T) {
	e := newTestServer(t)
	c := e.client()
	if r := c.getIn("/kb", "de"); !strings.Contains(r.body, `action="/language"`) || !strings.Contains(r.body, `name="next" value="/kb"`) {
		t.Fatalf("no switcher on /kb: %.500s", r.body)
	}
	req, _ := http.NewRequest("POST", e.http.URL+"/language", strings.NewReader(url.Values{"lang": {"fr"}, "next": {"/kb?x=1"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept-Language", "de")
	r := c.do(req)
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/kb?x=1" {
		t.Fatalf("switch: %d to %q", r.status, r.header.Get("Location"))
	}
	cookie := r.header.Get("Set-Cookie")
	for _, want := range []string{"safedesk_lang=fr;", "SameSite=Lax", "HttpOnly", "Path=/"} {
		if !strings.Contains(cookie, want) {
			t.Errorf("cookie %q lacks %q", cookie, want)
		}
	}
	if r := c.getIn("/kb", "de-DE,de;q=0.9"); !strings.Contains(r.body, `<html lang="fr"`) || !strings.Contains(r.body, "Articles d&#39;aide") {
		t.Errorf("the cookie did not win over Accept-Language: %.400s", r.body)
	}
	for _, next := range []string{"https://evil.example/", "//evil.example/x", "/\\evil.example"} {
		r := c.post("/language", url.Values{"lang": {"es"}, "next": {next}})
		if r.status != http.StatusSeeOther || r.header.Get("Location") != "/" {
			t.Errorf("next %q: %d to %q, want home", next, r.status, r.header.Get("Location"))
		}
	}
	if r := c.post("/language", url.Values{"lang": {"xx"}}); r.status != http.StatusBadRequest {
		t.Errorf("an unknown language: %d", r.status)
	}
}

// TestUnknownLanguageFallsBackToTheSite: a browser that speaks nothing we
// do gets the site's language from the settings page.
func TestUnknownLanguageFallsBackToTheSite(t *testing.T) {
	e := newTestServer(t)
	if err := e.db.SetKBLanguage(context.Background(), "nl", store.SystemActor); err != nil {
		t.Fatal(err)
	}
	c := e.client()
	if r := c.getIn("/", "pt-BR,ja;q=0.8"); !strings.Contains(r.body, `<html lang="nl"`) || !strings.Contains(r.body, "Hoe kunnen we helpen?") {
		t.Errorf("want Dutch, the site's language: %.300s", r.body)
	}
	if r := c.get("/"); !strings.Contains(r.body, `<html lang="nl"`) {
		t.Errorf("no header: want Dutch: %.300s", r.body)
	}
}

// TestArticleCacheKeysByLanguage: the cached page of an article, shared by
// every visitor without a session, is kept per language: a French request
// never gets the German page, and neither holds anything of a visitor.
func TestArticleCacheKeysByLanguage(t *testing.T) {
	e := newTestServer(t)
	arts, err := e.db.ListArticles(context.Background(), false)
	if err != nil || len(arts) == 0 {
		t.Fatal(err)
	}
	path := "/kb/" + arts[0].Slug
	de1 := e.client().getIn(path, "de")
	de2 := e.client().getIn(path, "de")
	fr := e.client().getIn(path, "fr")
	if de1.body != de2.body || !strings.Contains(de1.body, "Verwandte Artikel") && !strings.Contains(de1.body, "Hat das Ihre Frage beantwortet?") {
		t.Errorf("German pages differ or are not German")
	}
	if !strings.Contains(fr.body, `<html lang="fr"`) || strings.Contains(fr.body, "Hat das Ihre Frage beantwortet?") ||
		!strings.Contains(fr.body, "Cela a-t-il répondu à votre question ?") {
		t.Errorf("French request got another language: %.400s", fr.body)
	}
	if !strings.Contains(fr.body, `lang="en"`) {
		t.Errorf("the article keeps its own language (en): %.400s", fr.body)
	}
	if v := fr.header.Values("Vary"); !strings.Contains(strings.Join(v, ","), "Accept-Language") {
		t.Errorf("cached page without Vary: %q", v)
	}
}

// TestTimeZone: with --timezone Europe/Berlin, 12:00 UTC in winter shows
// as 13:00, in the page's language, in a <time> with the exact moment.
func TestTimeZone(t *testing.T) {
	e := berlinInWinter(t, "de")
	r := e.client().getIn("/kb/winter-hours", "de")
	if !strings.Contains(r.body, `<time datetime="2026-12-07T13:00:`) || !strings.Contains(r.body, "7. Dez. 2026, 13:00 CET</time>") {
		t.Errorf("want 13:00 CET in German: %s", between(r.body, "Aktualisiert", "</p>"))
	}
	if !strings.Contains(r.body, `data-zone="Europe/Berlin"`) {
		t.Errorf("the page does not name the business's zone for app.js")
	}
	if r := e.client().getIn("/kb/winter-hours", "en"); !strings.Contains(r.body, "7 Dec 2026, 1:00 pm CET</time>") {
		t.Errorf("want 1:00 pm CET in English: %s", between(r.body, "Updated", "</p>"))
	}
}

// berlinInWinter is a server of a business in Berlin (--timezone) whose
// clock says 7 December 2026, 12:00 UTC (13:00 in Berlin), with the
// article winter-hours in lang, updated then.
func berlinInWinter(t *testing.T, lang string) *testEnv {
	t.Helper()
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	e := newTestServerWith(t, func(c *Config) { c.Zone = berlin })
	e.clock.advance(time.Until(time.Date(2026, 12, 7, 12, 0, 5, 0, time.UTC)))
	if err := e.db.SaveArticle(context.Background(), store.Article{Slug: "winter-hours", Title: "Winter hours", Body: "We open late.",
		Published: true, Lang: lang}, store.SystemActor); err != nil {
		t.Fatal(err)
	}
	return e
}

// between is the part of s from after to the next until, for messages.
func between(s, after, until string) string {
	_, rest, _ := strings.Cut(s, after)
	part, _, _ := strings.Cut(rest, until)
	return part
}

// TestMailSpeaksTheTicketsLanguage: a request filed in Spanish gets its
// receipt in Spanish, and so does the notification of a reply written
// later in the (English) panel.
func TestMailSpeaksTheTicketsLanguage(t *testing.T) {
	e := newTestServer(t)
	c := e.client()
	req, _ := http.NewRequest("POST", e.http.URL+"/tickets/new", strings.NewReader(ticketForm("lucia@example.org", "Molinillo", "No muele.").Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept-Language", "es-ES,es;q=0.9")
	if r := c.do(req); r.status != http.StatusSeeOther {
		t.Fatalf("file: %d %s", r.status, r.body)
	}
	m := e.mail.next(t)
	if !strings.HasPrefix(m.Subject, "[Northwind] Hemos recibido su solicitud n.º ") || !strings.Contains(m.Text, "Hola:") ||
		!strings.Contains(m.Text, "El equipo de soporte de Northwind") {
		t.Fatalf("receipt not in Spanish: %q\n%s", m.Subject, m.Text)
	}
	ts, err := e.db.ListTickets(context.Background(), store.TicketFilter{AllCustomers: true})
	if err != nil || len(ts) != 1 || ts[0].Lang != "es" {
		t.Fatalf("ticket language: %+v %v", ts, err)
	}
	staff := httptest.NewRequest("POST", "/admin/tickets/1/reply", nil) // English, as the panel is
	staff = staff.WithContext(context.Background())
	if err := e.srv.notifyCustomerReply(staff, ts[0], store.Message{Body: "Ya está."}); err != nil {
		t.Fatal(err)
	}
	m = e.mail.next(t)
	if !strings.HasPrefix(m.Subject, "[Northwind] Nueva respuesta a su solicitud n.º ") || !strings.Contains(m.Text, "Hay una nueva respuesta") {
		t.Errorf("reply notification not in Spanish: %q\n%s", m.Subject, m.Text)
	}
}

// TestFormErrorsInTheVisitorsLanguage: what the store refuses comes back
// in the visitor's words.
func TestFormErrorsInTheVisitorsLanguage(t *testing.T) {
	e := newTestServer(t)
	req, _ := http.NewRequest("POST", e.http.URL+"/tickets/new", strings.NewReader(ticketForm("not an address", "", "Hallo").Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept-Language", "de")
	r := e.client().do(req)
	for _, want := range []string{"Bitte korrigieren Sie die markierten Felder.", "Bitte füllen Sie dieses Feld aus.", "Geben Sie eine gültige E-Mail-Adresse ein"} {
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, want) {
			t.Errorf("want %q in the 422 answer; got %d", want, r.status)
		}
	}
}

// TestStrippedNoticeCounts: the notice about photos that lost their
// location data says "it" or "them", in the visitor's language.
func TestStrippedNoticeCounts(t *testing.T) {
	de := i18n.With(context.Background(), i18n.New("de", nil))
	one := []store.Attachment{{Name: "a.jpg", Stripped: true}}
	two := append(one, store.Attachment{Name: "b.jpg", Stripped: true}, store.Attachment{Name: "c.pdf"})
	if got := strippedNotice(de, one); got != " Standort- und Kameradaten wurden aus a.jpg entfernt, bevor wir die Datei gespeichert haben." {
		t.Errorf("one: %q", got)
	}
	if got := strippedNotice(de, two); !strings.Contains(got, "aus a.jpg, b.jpg entfernt, bevor wir die Dateien") {
		t.Errorf("two: %q", got)
	}
	if got := strippedNotice(context.Background(), two); got != " Location and camera data were removed from a.jpg, b.jpg before we stored them." {
		t.Errorf("English: %q", got)
	}
}
