package web

import (
	"context"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"safedesk/security"
	"safedesk/store"
)

// examplesOf returns an article's example questions as "anchor|question".
func examplesOf(t *testing.T, e *testEnv, slug string) []string {
	t.Helper()
	art, err := e.db.GetArticle(context.Background(), slug, true)
	if err != nil {
		t.Fatal(err)
	}
	exs, err := e.db.SectionExamples(context.Background(), art.ID)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, ex := range exs {
		out = append(out, ex.Anchor+"|"+ex.Question)
	}
	return out
}

// exampleSection is the editor's block for one section, up to the next.
func exampleSection(t *testing.T, body, anchor string) string {
	t.Helper()
	i := strings.Index(body, `data-testid="example-section" data-anchor="`+anchor+`"`)
	if i < 0 {
		t.Fatalf("no example section %q in the editor:\n%s", anchor, body)
	}
	block := body[i:]
	if j := strings.Index(block[1:], `data-testid="example-section"`); j >= 0 {
		block = block[:j+1]
	}
	return block
}

// The editor lists every section with its example questions; an editor
// adds one (personal data removed), is told why a duplicate is refused,
// and removes one. A kb_editor may; the audit log names the article and
// the section, not the text.
func TestEditorExampleQuestions(t *testing.T) {
	e := newTestServer(t)
	const slug = "contact-support-and-opening-hours"
	ed, _, _ := e.member(security.RoleKBEditor, "kb@northwind.example")
	page := ed.get("/admin/kb/" + slug + "/edit")
	if page.status != 200 {
		t.Fatalf("editor: %d", page.status)
	}
	if reach := exampleSection(t, page.body, "ways-to-reach-us"); !strings.Contains(reach, "is there a number i can call") {
		t.Errorf("the demo's example is not under its section:\n%s", reach)
	}
	if top := exampleSection(t, page.body, ""); !strings.Contains(top, "Top of the article") {
		t.Errorf("no top section:\n%s", top)
	}

	r := ed.post("/admin/kb/"+slug+"/examples", url.Values{"anchor": {"opening-hours"}, "question": {"open on easter monday? mail ada@example.org"}})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/admin/kb/"+slug+"/edit#examples" {
		t.Fatalf("add: %d %q\n%s", r.status, r.header.Get("Location"), r.body)
	}
	want := "opening-hours|open on easter monday? mail [email address removed]"
	if got := examplesOf(t, e, slug); !slices.Contains(got, want) {
		t.Fatalf("examples %q lack %q", got, want)
	}
	page = ed.get("/admin/kb/" + slug + "/edit")
	if hours := exampleSection(t, page.body, "opening-hours"); !strings.Contains(hours, "open on easter monday?") || strings.Contains(page.body, "ada@example.org") {
		t.Errorf("the new example is not shown, redacted, under its section:\n%s", hours)
	}

	r = ed.post("/admin/kb/"+slug+"/examples", url.Values{"anchor": {"ways-to-reach-us"}, "question": {"Open on Easter Monday?? Mail ada@example.org!"}})
	if r.status != http.StatusUnprocessableEntity {
		t.Fatalf("duplicate: %d", r.status)
	}
	reach := exampleSection(t, r.body, "ways-to-reach-us")
	if !strings.Contains(reach, `data-testid="example-ways-to-reach-us-error"`) || !strings.Contains(reach, "already has that example") ||
		!strings.Contains(html.UnescapeString(reach), `value="Open on Easter Monday?? Mail ada@example.org!"`) {
		t.Errorf("the refusal is not shown under the section with the text kept:\n%s", reach)
	}

	entries, err := e.db.ListAudit(context.Background(), store.AuditFilter{Action: "kb.example_added"})
	if err != nil || len(entries) != 1 || entries[0].Target != "kb:"+slug || entries[0].Details["anchor"] != "opening-hours" ||
		strings.Contains(string(entries[0].RawDetails), "easter") {
		t.Errorf("audit: %+v %v", entries, err)
	}

	id := regexp.MustCompile(`/admin/kb/`+slug+`/examples/(\d+)/delete`).FindAllStringSubmatch(exampleSection(t, page.body, "opening-hours"), -1)
	if len(id) == 0 {
		t.Fatal("no remove button")
	}
	last := id[len(id)-1][1]
	if r := ed.post("/admin/kb/reset-your-password/examples/"+last+"/delete", nil); r.status != http.StatusNotFound {
		t.Errorf("removing it through another article: %d", r.status)
	}
	if r := ed.post("/admin/kb/"+slug+"/examples/"+last+"/delete", nil); r.status != http.StatusSeeOther {
		t.Fatalf("remove: %d\n%s", r.status, r.body)
	}
	if got := examplesOf(t, e, slug); slices.Contains(got, want) {
		t.Errorf("still there after removing: %q", got)
	}
}

var answeredByRe = regexp.MustCompile(`(?s)data-testid="answered-by">.*?name="question" value="([^"]*)".*?name="section"[^>]*value="([^"]*)"`)

// On the insight page, a question whose answer the customer said did not
// help gets "this is answered by…" proposing the section the assistant
// quoted; one click adds it there as an example (redacted), and the page
// says so. Staff who may read the page but not edit articles get no
// control, and the route refuses them.
func TestInsightAnsweredBy(t *testing.T) {
	e := newTestServer(t)
	c := e.chatter()
	resp := c.ask("how do i descale my kettle, call me on +44 20 7946 0958")
	quoted := regexp.MustCompile(`href="/kb/(descale-your-electric-kettle)#([a-z-]+)"`).FindStringSubmatch(resp.body)
	if quoted == nil {
		t.Fatalf("the answer does not quote the descaling article:\n%s", resp.body)
	}
	if r := c.htmx("/chat/feedback", url.Values{"message": {feedbackID(t, resp.body)}, "helpful": {"no"}}); r.status != http.StatusOK {
		t.Fatalf("feedback: %d", r.status)
	}
	owner, _ := e.owner()
	page := owner.get("/admin/chats/insight?days=7")
	m := answeredByRe.FindStringSubmatch(page.body)
	if m == nil || !strings.Contains(page.body, `<datalist id="kb-sections">`) {
		t.Fatalf("no \"this is answered by\" control:\n%s", page.body)
	}
	question, section := html.UnescapeString(m[1]), html.UnescapeString(m[2])
	if section != quoted[1]+"#"+quoted[2] {
		t.Errorf("proposed %q, the assistant quoted %s#%s", section, quoted[1], quoted[2])
	}
	if !strings.Contains(page.body, `data-testid="proposed-section">Descale your electric kettle › `) {
		t.Errorf("the proposed section is not named for people")
	}
	if strings.Contains(question, "7946") || !strings.Contains(question, "how do i descale my kettle") {
		t.Errorf("the question offered is %q", question)
	}

	r := owner.post("/admin/kb/examples", url.Values{"question": {question}, "section": {section}, "days": {"7"}})
	if r.status != http.StatusSeeOther || r.header.Get("Location") != "/admin/chats/insight?days=7" {
		t.Fatalf("one click: %d %q", r.status, r.header.Get("Location"))
	}
	if back := owner.get("/admin/chats/insight?days=7"); !strings.Contains(back.body, "Added as an example question of") {
		t.Errorf("no notice after adding")
	}
	if got := examplesOf(t, e, quoted[1]); !slices.Contains(got, quoted[2]+"|"+question) {
		t.Errorf("examples %q lack the question", got)
	}
	// Again: refused, and said so on the page.
	owner.post("/admin/kb/examples", url.Values{"question": {question}, "section": {"/kb/" + quoted[1]}})
	if back := owner.get("/admin/chats/insight"); !strings.Contains(back.body, "Not added to") {
		t.Errorf("no notice of the refusal")
	}

	agent, _, _ := e.member(security.RoleAgent, "agent@northwind.example")
	if page := agent.get("/admin/chats/insight"); page.status != 200 || strings.Contains(page.body, `data-testid="answered-by"`) {
		t.Errorf("an agent (no article editing) sees the control: %d", page.status)
	}
	if r := agent.post("/admin/kb/examples", url.Values{"question": {"hello there"}, "section": {section}}); r.status != http.StatusForbidden {
		t.Errorf("an agent added an example: %d", r.status)
	}
}

// An unanswered question is proposed for the section the search ranks
// first (or none), and any section can be chosen instead.
func TestInsightAnsweredByChosenSection(t *testing.T) {
	e := newTestServer(t)
	c := e.chatter()
	if r := c.ask("do you sell espresso machines"); !strings.Contains(r.body, "not sure") {
		t.Fatalf("answered:\n%s", r.body)
	}
	owner, _ := e.owner()
	m := answeredByRe.FindStringSubmatch(owner.get("/admin/chats/insight").body)
	if m == nil {
		t.Fatal("no control for an unanswered question")
	}
	r := owner.post("/admin/kb/examples", url.Values{"question": {html.UnescapeString(m[1])}, "section": {"http://localhost/kb/contact-support-and-opening-hours#ways-to-reach-us"}})
	if r.status != http.StatusSeeOther {
		t.Fatalf("add: %d", r.status)
	}
	if got := examplesOf(t, e, "contact-support-and-opening-hours"); !slices.Contains(got, "ways-to-reach-us|do you sell espresso machines") {
		t.Errorf("examples %q", got)
	}
	owner.post("/admin/kb/examples", url.Values{"question": {"anything"}, "section": {"no-such-article#x"}})
	if page := owner.get("/admin/chats/insight"); !strings.Contains(page.body, "there is no article") {
		t.Error("no notice for an unknown article")
	}
}

func TestParseSectionRef(t *testing.T) {
	for in, want := range map[string][2]string{
		"shipping#rest-of-the-eu":                       {"shipping", "rest-of-the-eu"},
		" shipping ":                                    {"shipping", ""},
		"/kb/shipping#outside-the-eu":                   {"shipping", "outside-the-eu"},
		"https://help.example/kb/shipping/#packaging":   {"shipping", "packaging"},
		"https://help.example/kb/shipping?x=1#top-part": {"shipping", "top-part"},
	} {
		if slug, anchor := parseSectionRef(in); slug != want[0] || anchor != want[1] {
			t.Errorf("parseSectionRef(%q) = %q, %q; want %q", in, slug, anchor, want)
		}
	}
}
