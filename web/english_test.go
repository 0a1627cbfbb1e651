package web

import (
	"html"
	"net/http"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"safedesk/security"
	"safedesk/store"
	"safedesk/templates/i18n"
)

// englishMarkers are English words that no sentence of German, French,
// Spanish or Dutch uses: one of them in a page served in those languages
// is English left behind.
var englishMarkers = []string{
	"the", "your", "yours", "please", "request", "requests", "you", "we", "our", "and", "with", "this", "that",
	"will", "have", "has", "are", "for", "from", "not", "been", "can", "when", "which", "here", "there", "what",
	"who", "how", "sorry", "again", "removed", "sent", "until", "about", "only", "before", "would", "should",
	"could", "they", "their", "than", "into", "because", "must", "already", "nobody", "someone", "while",
	"without", "after", "answer", "ask", "asked", "file", "files", "found", "try", "wait", "agent",
	"person", "team", "email", "reply", "typed", "kept", "keep", "deleted", "backups", "days", "hours",
}

// markerExceptions are markers that are ordinary words of a language.
var markerExceptions = map[string][]string{
	"nl": {"we", "team", "agent"},
	"de": {"team", "agent", "person"},
	"fr": {"agent"},
	"es": {},
}

var (
	scriptRe   = regexp.MustCompile(`(?is)<(head|script|style|svg|template)\b.*?</(head|script|style|svg|template)>`)
	attrTextRe = regexp.MustCompile(`(?i)\s(?:placeholder|aria-label|title|alt)="([^"]*)"`)
	tagRe      = regexp.MustCompile(`<[^>]*>`)
	langOpenRe = regexp.MustCompile(`(?i)<(\w+)\b[^>]*\slang="([a-z]{2})"[^>]*>`)
)

// withoutOtherLanguages removes the elements marked as in another language
// than lang (an article in its own language, the switcher's names).
func withoutOtherLanguages(page, lang string) string {
	for {
		locs := langOpenRe.FindAllStringSubmatchIndex(page, -1)
		cut := false
		for _, m := range locs {
			tag, code := page[m[2]:m[3]], page[m[4]:m[5]]
			if code == lang || strings.EqualFold(tag, "html") {
				continue
			}
			end := closingTag(page, m[1], tag)
			page = page[:m[0]] + " " + page[end:]
			cut = true
			break
		}
		if !cut {
			return page
		}
	}
}

// closingTag is the end of the element named tag whose content starts at
// from, counting nested elements of the same name.
func closingTag(page string, from int, tag string) int {
	open, shut := "<"+strings.ToLower(tag), "</"+strings.ToLower(tag)+">"
	lower := strings.ToLower(page)
	depth := 1
	for i := from; i < len(lower); {
		o, c := strings.Index(lower[i:], open), strings.Index(lower[i:], shut)
		if c < 0 {
			return len(page)
		}
		if o >= 0 && o < c {
			depth++
			i += o + len(open)
			continue
		}
		depth--
		i += c + len(shut)
		if depth == 0 {
			return i
		}
	}
	return len(page)
}

// visitorRe matches the visitor's own messages in the chat: their words,
// in whatever language they wrote.
var visitorRe = regexp.MustCompile(`(?s)(data-testid="msg-visitor".*?<div class="body">).*?(</div>)`)

// visibleText is what a visitor reads on page, served in lang: the text
// between tags and the texts of placeholders, labels and alternatives,
// without scripts and without parts marked as in another language.
func visibleText(page, lang string) string {
	page = visitorRe.ReplaceAllString(page, "$1$2")
	page = withoutOtherLanguages(scriptRe.ReplaceAllString(page, " "), lang)
	var b strings.Builder
	for _, m := range attrTextRe.FindAllStringSubmatch(page, -1) {
		b.WriteString(m[1] + " . ")
	}
	b.WriteString(tagRe.ReplaceAllString(page, " "))
	return html.UnescapeString(b.String())
}

// englishIn lists the English marker words in text, read as lang, with
// the words around each; allowed are the words of proper nouns (names of
// the business, of hosts, addresses) which are never checked.
func englishIn(text, lang string, allowed ...string) []string {
	for _, a := range allowed {
		text = strings.ReplaceAll(text, a, " ")
	}
	words := strings.FieldsFunc(text, func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '@' && r != '.' && r != '-' && r != '/'
	})
	var out []string
	last := -10
	for i, w := range words {
		w = strings.Trim(w, ".-/")
		if strings.ContainsAny(w, "@./") { // addresses and host names are proper nouns
			continue
		}
		lw := strings.ToLower(w)
		if !slices.Contains(englishMarkers, lw) || slices.Contains(markerExceptions[lang], lw) {
			continue
		}
		if i-last > 8 { // one excerpt for a run of English
			out = append(out, strings.Join(words[max(0, i-4):min(len(words), i+8)], " "))
		}
		last = i
	}
	return out
}

// langTransport sends every request with an Accept-Language header, as a
// browser set to that language does, and as from a client address.
type langTransport struct {
	lang string
	addr string
}

func (t langTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Accept-Language", t.lang+";q=0.9,en;q=0.5")
	if t.addr != "" {
		r.Header.Set("X-Forwarded-For", t.addr)
	}
	return http.DefaultTransport.RoundTrip(r)
}

// speaking is a new client whose browser asks for lang, from addr ("" for
// the test's own loopback address, which the abuse guard exempts).
func (e *testEnv) speaking(lang, addr string) *client {
	c := e.client()
	c.c.Transport = langTransport{lang: lang, addr: addr}
	return c
}

// customerPages walks every customer page and flow a visitor can reach
// without a browser, in lang, and returns what each answered, by name.
func customerPages(t *testing.T, e *testEnv, lang string) map[string]string {
	pages := map[string]string{}
	c := e.speaking(lang, "")
	get := func(name, path string, status int) {
		t.Helper()
		r := c.get(path)
		if r.status != status {
			t.Fatalf("%s (%s): %d, want %d\n%.400s", name, path, r.status, status, r.body)
		}
		pages[name] = r.body
	}
	for _, p := range []struct{ name, path string }{
		{"home", "/"}, {"articles", "/kb"}, {"article", "/kb/returns-and-refunds"}, {"search", "/kb/search?q=refund"},
		{"search without results", "/kb/search?q=zzzzqqq"}, {"new request", "/tickets/new"}, {"verification", "/verify"},
		{"privacy", "/privacy"}, {"security", "/security"}, {"chat", "/chat"},
	} {
		get(p.name, p.path, http.StatusOK)
	}
	get("not found", "/nowhere-at-all", http.StatusNotFound)

	r := c.post("/tickets/new", url.Values{"email": {"nicht-gültig"}, "subject": {""}, "body": {""}})
	pages["new request with errors"] = r.body
	r = c.postParts("/tickets/new", textField("email", "kim@example.org"), textField("subject", "Mahlwerk"),
		textField("body", "Mahlwerk klemmt"), attach("setup.exe", append([]byte("MZ\x90\x00"), make([]byte, 200)...)))
	pages["refused file"] = r.body
	r = c.postParts("/tickets/new", textField("email", "kim@example.org"), textField("subject", "Mahlwerk"),
		textField("body", "Mahlwerk klemmt, Passwort: Geheim-4711-xyz"))
	if r.status != http.StatusSeeOther {
		t.Fatalf("new request: %d\n%.400s", r.status, r.body)
	}
	m := e.mail.next(t)
	pages["ticket received mail"] = "<p>" + html.EscapeString(m.Subject+"\n"+m.Text) + "</p>"
	get("verification with the notice", "/verify", http.StatusOK)
	r = c.post("/verify", url.Values{"email": {"kim@example.org"}, "code": {"000000"}})
	pages["wrong code"] = r.body
	r = c.post("/verify", url.Values{"email": {"kim@example.org"}, "code": {m.code(t)}, "remember": {"1"}})
	ticket := r.header.Get("Location")
	if r.status != http.StatusSeeOther || !strings.HasPrefix(ticket, "/tickets/") {
		t.Fatalf("verify: %d %q", r.status, ticket)
	}
	get("ticket", ticket, http.StatusOK)
	r = c.post(ticket+"/reply", url.Values{"body": {""}})
	pages["empty reply"] = r.body
	get("my tickets", "/tickets", http.StatusOK)
	get("erasure", "/me/delete", http.StatusOK)
	get("devices", "/me/devices", http.StatusOK)
	get("privacy, confirmed", "/privacy", http.StatusOK)
	if r = c.post("/chat/consent", url.Values{"consent": {"yes"}}); r.status != http.StatusSeeOther {
		t.Fatalf("consent, confirmed: %d", r.status)
	}
	c.htmx("/chat/handoff", url.Values{}) // nobody is available: the chat becomes a request at once
	get("chat become a request", "/chat", http.StatusOK)
	e.mail.next(t) // the request's receipt

	code := e.speaking(lang, "")
	code.post("/verify", url.Values{"email": {"lou@example.org"}})
	m = e.mail.next(t)
	pages["code mail"] = "<p>" + html.EscapeString(m.Subject+"\n"+m.Text) + "</p>"

	agent, _ := e.availableAgent()
	chat := e.speaking(lang, "")
	r = chat.post("/chat/consent", url.Values{})
	pages["chat without consent"] = r.body
	if r = chat.post("/chat/consent", url.Values{"consent": {"yes"}}); r.status != http.StatusSeeOther {
		t.Fatalf("consent: %d", r.status)
	}
	chat.ask("Meine Karte 4111 1111 1111 1111 bitte")
	// The assistant's own sentences follow the visitor's language, also
	// around a quote from an English article (marked lang="en").
	pages["answer from an English article"] = chat.ask("How do I descale my kettle?").body
	pages["assistant not sure"] = chat.ask("zxqv blorp wibble").body
	pages["hand-off"] = chat.htmx("/chat/handoff", url.Values{}).body
	waiting, err := e.db.ListConversations(t.Context(), store.ChatFilter{Statuses: []string{store.ChatStatusWaiting}})
	if err != nil || len(waiting) != 1 {
		t.Fatalf("waiting chats %v, %v", waiting, err)
	}
	id := strconv.FormatInt(waiting[0].ID, 10)
	agent.post("/admin/chats/"+id+"/take", nil)
	agent.post("/admin/chats/"+id+"/close", nil)
	pages["chat ended by an agent"] = chat.get("/chat").body

	second := e.speaking(lang, "")
	second.post("/chat/consent", url.Values{"consent": {"yes"}})
	second.htmx("/chat/handoff", url.Values{})
	e.clock.advance(e.srv.chat.timeout + 1)
	e.mon.SweepChats(t.Context())
	pages["chat after the sweep"] = second.get("/chat").body
	second.ask("lou.chat@example.org")
	second.ask(e.mail.next(t).code(t))
	pages["chat become a request by email"] = second.get("/chat").body
	e.mail.next(t) // the request's receipt
	link := ticketLinkRe.FindStringSubmatch(second.get("/tickets").body)
	if link == nil {
		t.Fatal("the chat's request is not listed")
	}
	pages["request from a chat"] = second.get("/tickets/" + link[1]).body
	get("chat", "/chat", http.StatusOK)
	return pages
}

// refusalPages are the answers of the abuse guard in lang: too many
// requests, then access paused.
func refusalPages(t *testing.T, e *testEnv, lang string) map[string]string {
	pages := map[string]string{}
	c := e.speaking(lang, "203.0.113.90")
	for i := range security.CodeClientLimit.Burst + 1 {
		r := c.post("/verify", url.Values{"email": {"person" + strconv.Itoa(i) + "@example.org"}})
		if r.status == http.StatusTooManyRequests {
			pages["too many requests"] = r.body
		}
	}
	scanner := e.speaking(lang, "203.0.113.101")
	for _, p := range scannerPaths[:3] {
		scanner.get(p)
	}
	if r := scanner.get("/"); r.status == http.StatusForbidden {
		pages["access paused"] = r.body
	}
	if len(pages) != 2 {
		t.Fatalf("refusals seen: %d of 2", len(pages))
	}
	return pages
}

// TestNoEnglishForOtherLanguages walks every customer page and flow in
// German, French, Spanish and Dutch and fails on any English sentence the
// visitor can see. Articles, which are in their own language and marked
// so, and proper nouns are not checked.
func TestNoEnglishForOtherLanguages(t *testing.T) {
	for _, lang := range []string{"de", "fr", "es", "nl"} {
		t.Run(lang, func(t *testing.T) {
			e := newTestServerWithDB(t, func(c *Config, db *store.DB) {
				c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
			})
			pages := customerPages(t, e, lang)
			for name, body := range refusalPages(t, e, lang) {
				pages[name] = body
			}
			l := i18n.New(lang, nil)
			for name, want := range map[string]string{ // the flows happened, in lang
				"refused file":                   l.T(i18n.FileProgram),
				"hand-off":                       l.T(i18n.RemovedCard),
				"chat after the sweep":           l.T(i18n.ChatNobodyFreeEmail),
				"chat become a request":          after(l.T(i18n.ChatIsTicket, "\x00")),
				"devices":                        l.T(i18n.DeviceBrowser),
				"verification with the notice":   l.Form(i18n.SecretPasswordCount, 1),
				"access paused":                  l.T(i18n.PausedTitle),
				"too many requests":              after(l.T(i18n.CodeWait, "\x00")),
				"chat become a request by email": after(l.T(i18n.ChatIsTicket, "\x00")),
				"chat ended by an agent":         l.T(i18n.ChatAgentEnded),
				"request from a chat":            l.T(i18n.ChatNobodyFreeEmail),
			} {
				if !strings.Contains(html.UnescapeString(pages[name]), want) {
					t.Errorf("%s in %s lacks %q", name, lang, want)
				}
			}
			names := make([]string, 0, len(pages))
			for n := range pages {
				names = append(names, n)
			}
			slices.Sort(names)
			for _, name := range names {
				if found := englishIn(visibleText(pages[name], lang), lang, "Northwind"); len(found) > 0 {
					t.Errorf("%s in %s shows English:\n  %s", name, lang, strings.Join(found, "\n  "))
				}
			}
		})
	}
}

// after is what a text says after its argument, given as "\x00".
func after(text string) string {
	_, rest, _ := strings.Cut(text, "\x00")
	return rest
}

// TestEnglishDetected: the check finds an English sentence planted in a
// German page, and leaves an article marked as English alone.
func TestEnglishDetected(t *testing.T) {
	page := `<html lang="de"><p>Wie können wir helfen?</p><article lang="en"><p>Your order ships today.</p></article>` +
		`<input placeholder="Type your question"></html>`
	if found := englishIn(visibleText(page, "de"), "de"); len(found) != 1 || !strings.Contains(found[0], "your") {
		t.Fatalf("found %q, want the placeholder's English only", found)
	}
	if found := englishIn(visibleText(`<p>Sie haben die Antwort</p>`, "de"), "de"); len(found) != 0 {
		t.Fatalf("German read as English: %q", found)
	}
}
