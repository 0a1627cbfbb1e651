package web

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"safedesk/bot"
	"safedesk/security"
	"safedesk/store"
)

var feedbackFormRe = regexp.MustCompile(`data-testid="chat-feedback"><input type="hidden" name="message" value="(\d+)">`)

// feedbackID returns the message id of the last answer's feedback form.
func feedbackID(t *testing.T, body string) string {
	t.Helper()
	m := feedbackFormRe.FindAllStringSubmatch(body, -1)
	if len(m) == 0 {
		t.Fatalf("no feedback form under the answer:\n%s", body)
	}
	return m[len(m)-1][1]
}

// A "no" under one of the assistant's answers is kept with the transcript,
// counted against the quoted article, and puts the question on the insight
// page; a second answer to the same form changes nothing, and nobody can
// rate another visitor's answer.
func TestChatFeedback(t *testing.T) {
	e := newTestServer(t)
	ctx := context.Background()
	c := e.chatter()
	resp := c.ask("how do i descale my kettle")
	if !strings.Contains(resp.body, `href="/kb/descale-your-electric-kettle#`) {
		t.Fatalf("the answer does not quote the descaling article:\n%s", resp.body)
	}
	id := feedbackID(t, resp.body)

	stranger := e.chatter()
	stranger.ask("hello")
	if r := stranger.htmx("/chat/feedback", url.Values{"message": {id}, "helpful": {"yes"}}); r.status != http.StatusNotFound {
		t.Errorf("another visitor rated the answer: %d", r.status)
	}
	r := c.htmx("/chat/feedback", url.Values{"message": {id}, "helpful": {"no"}})
	if r.status != http.StatusOK || !strings.Contains(r.body, `data-testid="chat-feedback-thanks"`) {
		t.Fatalf("feedback: %d\n%s", r.status, r.body)
	}
	if r := c.htmx("/chat/feedback", url.Values{"message": {id}, "helpful": {"yes"}}); r.status != http.StatusOK {
		t.Errorf("a second answer: %d", r.status)
	}
	stats, err := e.db.ArticleFeedback(ctx, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(stats) != 1 || stats[0].Slug != "descale-your-electric-kettle" || stats[0].Unhelpful != 1 || stats[0].Helpful != 0 {
		t.Fatalf("article counters: %+v", stats)
	}
	owner, _ := e.owner()
	page := owner.get("/admin/chats/insight")
	if page.status != 200 || !strings.Contains(page.body, "how do i descale my kettle") {
		t.Errorf("the unhelpful answer's question is not on the insight page:\n%s", page.body)
	}
	if i := strings.Index(page.body, `data-testid="feedback-ranking"`); i < 0 || !strings.Contains(page.body[i:], "/admin/kb/descale-your-electric-kettle/edit") {
		t.Errorf("the article with a no is not ranked")
	}

	t.Run("without htmx the form goes back to the answer, which shows the thanks", func(t *testing.T) {
		resp := c.ask("how long does shipping to Germany take")
		id := feedbackID(t, resp.body)
		r := c.post("/chat/feedback", url.Values{"message": {id}, "helpful": {"yes"}})
		if r.status != http.StatusSeeOther || r.header.Get("Location") != "/chat#m"+id {
			t.Fatalf("plain form: %d %q", r.status, r.header.Get("Location"))
		}
		page := c.get("/chat")
		i := strings.Index(page.body, `id="m`+id+`"`)
		if i < 0 {
			t.Fatalf("the answer is not on the chat page:\n%s", page.body)
		}
		line := page.body[i:]
		line = line[:strings.Index(line, "</li>")]
		if strings.Contains(line, `data-testid="chat-feedback"`) || !strings.Contains(line, `data-testid="chat-feedback-thanks"`) {
			t.Errorf("the answered answer still asks, or does not thank:\n%s", line)
		}
	})
}

// The insight page groups unanswered questions by their words, ranks the
// groups by how often they were asked, and links each to the editor with
// its questions attached; the editor shows them and proposes a title.
func TestInsightGroupsAndAttachedQuestions(t *testing.T) {
	e := newTestServer(t)
	for _, q := range []string{"do you sell espresso machines", "do you sell an espresso machine?", "is there a shop in Utrecht I can visit"} {
		c := e.chatter()
		if r := c.ask(q); !strings.Contains(r.body, "not sure") {
			t.Fatalf("%q was answered:\n%s", q, r.body)
		}
	}
	owner, _ := e.owner()
	page := owner.get("/admin/chats/insight")
	gaps := regexp.MustCompile(`(?s)<li data-testid="gap"><span class="count">(\d+)×</span>(.*?)</li>`).FindAllStringSubmatch(page.body, -1)
	if len(gaps) != 2 {
		t.Fatalf("want 2 groups, got %d:\n%s", len(gaps), page.body)
	}
	if gaps[0][1] != "2" || !strings.Contains(gaps[0][2], "espresso") || gaps[1][1] != "1" || !strings.Contains(gaps[1][2], "Utrecht") {
		t.Fatalf("groups: %q", gaps)
	}
	link := regexp.MustCompile(`href="(/admin/kb/new\?questions=[0-9,%C]+)"`).FindStringSubmatch(gaps[0][2])
	if link == nil {
		t.Fatalf("no link to the editor in %q", gaps[0][2])
	}
	u, err := url.QueryUnescape(link[1])
	if err != nil {
		t.Fatal(err)
	}
	editor := owner.get(strings.ReplaceAll(u, "&amp;", "&"))
	i := strings.Index(editor.body, `data-testid="attached-questions"`)
	if editor.status != 200 || i < 0 {
		t.Fatalf("editor: %d\n%s", editor.status, editor.body)
	}
	attached := editor.body[i:]
	attached = attached[:strings.Index(attached, "</ul>")]
	if !strings.Contains(attached, "do you sell espresso machines") || !strings.Contains(attached, "do you sell an espresso machine?") || strings.Contains(attached, "Utrecht") {
		t.Errorf("attached questions: %s", attached)
	}
	if !regexp.MustCompile(`name="title"[^>]*value="(do you sell espresso machines|do you sell an espresso machine\?)"`).MatchString(editor.body) {
		t.Errorf("the editor does not propose a question as the title")
	}

	t.Run("saving adds the questions as example questions, after a refused save too", func(t *testing.T) {
		ids := regexp.MustCompile(`<input type="hidden" name="questions" value="([0-9,]+)">`).FindStringSubmatch(editor.body)
		if ids == nil {
			t.Fatalf("the editor's form does not carry the questions:\n%s", editor.body)
		}
		form := url.Values{"title": {"Espresso machines"}, "slug": {"espresso-machines"}, "published": {"1"}, "questions": {ids[1]}}
		r := owner.post("/admin/kb/new", form) // no text: refused
		if r.status != http.StatusUnprocessableEntity || !strings.Contains(r.body, `data-testid="attached-questions"`) || !strings.Contains(r.body, `name="questions" value="`+ids[1]+`"`) {
			t.Fatalf("a refused save lost the questions: %d\n%s", r.status, r.body)
		}
		form.Set("body", "We sell grinders and kettles, not espresso machines.")
		if r := owner.post("/admin/kb/new", form); r.status != http.StatusSeeOther || r.header.Get("Location") != "/admin/kb/espresso-machines/edit#examples" {
			t.Fatalf("save: %d %q\n%s", r.status, r.header.Get("Location"), r.body)
		}
		art, err := e.db.GetArticle(t.Context(), "espresso-machines", true)
		if err != nil {
			t.Fatal(err)
		}
		exs, err := e.db.SectionExamples(t.Context(), art.ID)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, ex := range exs {
			if ex.Anchor != "" {
				t.Errorf("example %q is on section %q, want the top", ex.Question, ex.Anchor)
			}
			got = append(got, ex.Question)
		}
		slices.Sort(got)
		if !slices.Equal(got, []string{"do you sell an espresso machine?", "do you sell espresso machines"}) {
			t.Errorf("example questions %q", got)
		}
		if page := owner.get("/admin/kb/espresso-machines/edit"); !strings.Contains(page.body, "with 2 of the customers") {
			t.Errorf("the editor does not say the questions were added")
		}
		page := owner.get("/admin/chats/insight")
		gaps := regexp.MustCompile(`(?s)<li data-testid="gap">(.*?)</li>`).FindAllStringSubmatch(page.body, -1)
		if len(gaps) != 1 || !strings.Contains(gaps[0][1], "Utrecht") {
			t.Errorf("the questions the new article answers are still listed as a gap: %q", gaps)
		}
	})
}

// The site's language is a setting: articles without their own are read
// in it, and the assistant answers them in it. The editor can give an
// article its own language and give it back to the site's.
func TestSiteLanguage(t *testing.T) {
	e := newTestServer(t)
	ctx := context.Background()
	owner, _ := e.owner()
	if err := e.db.SaveArticle(ctx, store.Article{Slug: "mahlgrad", Title: "Den Mahlgrad einstellen",
		Body: "## Mahlgrad ändern\n\nDrehen Sie den Ring am Mahlwerk, bis die Mahlgradanzeige passt.", Published: true}, store.SystemActor); err != nil {
		t.Fatal(err)
	}
	page := owner.get("/admin/settings")
	if !regexp.MustCompile(`<option value="en" selected>English</option>`).MatchString(page.body) {
		t.Fatalf("settings do not show English as the site's language:\n%s", page.body)
	}
	if r := owner.post("/admin/settings", url.Values{"banner": {""}, "kb_language": {"xx"}}); r.status != http.StatusUnprocessableEntity {
		t.Fatalf("an unknown language: %d", r.status)
	}
	if r := owner.post("/admin/settings", url.Values{"banner": {""}, "kb_language": {"de"}}); r.status != http.StatusSeeOther {
		t.Fatalf("save: %d %s", r.status, r.body)
	}
	if l, err := e.db.KBLanguage(ctx); err != nil || l != "de" {
		t.Fatalf("site language %q, %v", l, err)
	}
	if page := owner.get("/admin/settings"); !strings.Contains(page.body, `<option value="de" selected>Deutsch (German)</option>`) {
		t.Errorf("settings do not show German")
	}
	c := e.chatter()
	resp := c.ask("Wie kann ich den Mahlgrad ändern?")
	if !strings.Contains(resp.body, `href="/kb/mahlgrad#mahlgrad-andern"`) || !strings.Contains(resp.body, "Hilfeartikel") {
		t.Errorf("a German question on an article in the site's language is not answered in German:\n%s", resp.body)
	}

	t.Run("the editor sets and resets an article's own language", func(t *testing.T) {
		form := url.Values{"title": {"Den Mahlgrad einstellen"}, "slug": {"mahlgrad"}, "published": {"1"},
			"body": {"## Mahlgrad ändern\n\nDrehen Sie den Ring am Mahlwerk, bis die Mahlgradanzeige passt."}}
		form.Set("lang", "fr")
		if r := owner.post("/admin/kb/mahlgrad/edit", form); r.status != http.StatusSeeOther {
			t.Fatalf("save with a language: %d %s", r.status, r.body)
		}
		if a, err := e.db.GetArticle(ctx, "mahlgrad", true); err != nil || a.Lang != "fr" {
			t.Fatalf("language %q, %v", a.Lang, err)
		}
		form.Set("lang", store.SiteLanguage)
		if r := owner.post("/admin/kb/mahlgrad/edit", form); r.status != http.StatusSeeOther {
			t.Fatalf("save with the site's language: %d %s", r.status, r.body)
		}
		a, err := e.db.GetArticle(ctx, "mahlgrad", true)
		if err != nil || a.Lang != "" {
			t.Fatalf("language %q, %v: not the site's again", a.Lang, err)
		}
		if page := owner.get("/admin/kb/mahlgrad/edit"); !strings.Contains(page.body, `<option value="site" selected>The site's language</option>`) {
			t.Errorf("the editor does not show the site's language")
		}
	})
}

// A second section that is the opening of the quoted article is named as
// such, not by the article's title a second time (two links of one name
// to two places); another article's opening keeps its title.
func TestAlsoRelevantOpeningIsNamed(t *testing.T) {
	e := newTestServer(t)
	c := e.chatterIn("de", false)
	c.ask("hello")
	cs, err := e.db.ListConversations(t.Context(), store.ChatFilter{})
	if err != nil || len(cs) != 1 {
		t.Fatalf("conversations: %v %d", err, len(cs))
	}
	src := &bot.Source{Slug: "reset-your-password", Title: "Reset your password", Section: "Request a reset link", Anchor: "request-a-reset-link", Quote: "Go to the sign-in page.", Lang: "en"}
	for _, also := range []*bot.Source{{Slug: "reset-your-password", Title: "Reset your password", Lang: "en"}, {Slug: "change-your-email-address", Title: "Change the email address on your account", Lang: "en"}} {
		extra := bot.Extra{Source: src, Also: also}.Encode()
		if _, err := e.db.AddChatMessages(t.Context(), cs[0].ID, []store.NewChatMessage{{Author: store.ChatAuthorBot, Body: "Das steht in unserem Hilfeartikel „Reset your password“:", Extra: extra, Article: src.Slug}}, store.SystemActor); err != nil {
			t.Fatal(err)
		}
	}
	page := c.get("/chat")
	also := regexp.MustCompile(`data-testid="also-relevant">(?s:.*?)<a href="([^"]+)"([^>]*)>([^<]*)</a>`).FindAllStringSubmatch(page.body, -1)
	if len(also) != 2 {
		t.Fatalf("want 2 also-relevant links, got %q", also)
	}
	if also[0][1] != "/kb/reset-your-password" || also[0][3] != "der Anfang von „Reset your password“" {
		t.Errorf("the quoted article's opening: %q", also[0][1:])
	}
	// Another article is named by its own title, marked as in its
	// language in this German chat.
	if also[1][1] != "/kb/change-your-email-address" || also[1][3] != "Change the email address on your account" || also[1][2] != ` lang="en"` {
		t.Errorf("another article's opening: %q", also[1][1:])
	}
}

// Staff who may read the insight page but not write articles (an agent)
// get no "write an article for this" link, which would lead them to a
// page they may not open.
func TestInsightOffersWritingOnlyToWriters(t *testing.T) {
	e := newTestServer(t)
	if r := e.chatter().ask("do you sell espresso machines"); !strings.Contains(r.body, "not sure") {
		t.Fatalf("the question was answered:\n%s", r.body)
	}
	if r := e.client().post("/kb/track-your-order/feedback", url.Values{"helpful": {"no"}}); r.status != 200 {
		t.Fatalf("feedback: %d", r.status)
	}
	agent, _, _ := e.member(security.RoleAgent, "agent@northwind.example")
	page := agent.get("/admin/chats/insight")
	if page.status != 200 || !strings.Contains(page.body, "do you sell espresso machines") {
		t.Fatalf("insight for an agent: %d\n%s", page.status, page.body)
	}
	if strings.Contains(page.body, `data-testid="write-article"`) {
		t.Errorf("an agent is offered \"write an article for this\"")
	}
	if r := agent.get("/admin/kb/new"); r.status != http.StatusForbidden {
		t.Errorf("the editor for an agent: %d, want 403", r.status)
	}
	if strings.Contains(page.body, `href="/admin/kb/track-your-order/edit"`) || !strings.Contains(page.body, `href="/kb/track-your-order"`) {
		t.Errorf("the ranking of articles with a no does not link an agent to the article's page, or links to the editor")
	}
	owner, _ := e.owner()
	page = owner.get("/admin/chats/insight")
	if !strings.Contains(page.body, `data-testid="write-article"`) || !strings.Contains(page.body, `href="/admin/kb/track-your-order/edit"`) {
		t.Errorf("the owner is not offered \"write an article for this\" or the editor of the article with a no")
	}
}
