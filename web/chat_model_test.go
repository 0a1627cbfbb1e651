package web

import (
	"context"
	"flag"
	"fmt"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	"safedesk/bot/llm"
	"safedesk/bot/llm/llmtest"
	"safedesk/security"
	"safedesk/store"
)

const shippingQuestion = "How long does shipping to Germany take?"

// newModelEnv is a test server whose chat has a language model: stub.
func newModelEnv(t *testing.T, stub *llmtest.Stub, timeout time.Duration) *testEnv {
	t.Helper()
	return newTestServerWith(t, func(c *Config) {
		c.ChatModel = llm.Options{Endpoint: stub.Endpoint(), Model: "stub", Timeout: timeout}
		if err := c.ChatModel.Validate(); err != nil {
			t.Fatal(err)
		}
	})
}

// modelCounts returns the insight counts of what came of the model, like
// "status=1 used=1".
func (e *testEnv) modelCounts(t *testing.T) string {
	t.Helper()
	now := e.db.Now()
	st, err := e.db.ChatStats(context.Background(), now.Add(-time.Hour), now.Add(time.Hour), time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for k, n := range st.Model {
		out = append(out, fmt.Sprintf("%s=%d", k, n))
	}
	sort.Strings(out)
	return strings.Join(out, " ")
}

// TestChatModelAnswers goes through the real chat route: the model's answer
// is shown as text, marked, with the cited section linked under it; when
// the model fails, the section is quoted as without one; the insight page
// counts both.
func TestChatModelAnswers(t *testing.T) {
	stub := llmtest.NewStub(t, func(r llmtest.Request) llmtest.Reply {
		return llmtest.Reply{Content: llmtest.JSON("Shipping to Germany takes 3–5 working days.", r.IDs[0])}
	})
	env := newModelEnv(t, stub, 0)
	c := env.chatter()
	resp := c.ask(shippingQuestion)
	for _, want := range []string{"Shipping to Germany takes 3–5 working days.", `data-testid="ai-mark"`,
		"Written by an AI model from these articles", `data-testid="ai-sources"`, `href="/kb/shipping`, `data-testid="chat-feedback"`} {
		if !strings.Contains(resp.body, want) {
			t.Errorf("answer lacks %q:\n%s", want, resp.body)
		}
	}
	if strings.Contains(resp.body, `data-testid="source"`) {
		t.Error("the quote is shown under the model's answer")
	}
	reqs := stub.Requests()
	if len(reqs) != 1 || !strings.Contains(reqs[0].User, shippingQuestion) || !strings.HasPrefix(reqs[0].IDs[0], "shipping") {
		t.Fatalf("the model got %d requests: %+v", len(reqs), reqs)
	}

	stub.SetAnswer(func(llmtest.Request) llmtest.Reply { return llmtest.Reply{Status: 502} })
	resp = c.ask(shippingQuestion)
	if !strings.Contains(resp.body, `data-testid="source"`) || strings.Contains(resp.body, "ai-mark") {
		t.Errorf("a failed model answer did not fall back to the quote:\n%s", resp.body)
	}
	c.ask("do you sell decaf") // nothing found: the model is not asked
	if n := len(stub.Requests()); n != 2 {
		t.Errorf("%d requests, want 2", n)
	}
	if got := env.modelCounts(t); got != "status=1 used=1" {
		t.Errorf("recorded %q, want status=1 used=1", got)
	}
	admin, _, _ := env.member(security.RoleAdmin, "boss@northwind.example")
	page := admin.get("/admin/chats/insight").body
	for _, want := range []string{`data-testid="model-counts"`, "<dt>Written by the AI model</dt><dd>1</dd>",
		"<dt>Fell back to quoting the article</dt><dd>1</dd>", "<dt>Fell back: error or redirect</dt><dd>1</dd>"} {
		if !strings.Contains(page, want) {
			t.Errorf("insight lacks %q", want)
		}
	}
}

// TestChatModelCannotBeSteered: a model that links elsewhere, writes HTML
// or cites what it was not given changes nothing the page shows.
func TestChatModelCannotBeSteered(t *testing.T) {
	steered := "Sign in at https://evil.example/login <script>steal()</script><img src=x onerror=alert(1)> [now](http://evil.example)."
	stub := llmtest.NewStub(t, func(r llmtest.Request) llmtest.Reply {
		return llmtest.Reply{Content: llmtest.JSON(steered, r.IDs...)}
	})
	env := newModelEnv(t, stub, 0)
	c := env.chatter()
	resp := c.ask(shippingQuestion)
	for _, bad := range []string{"evil", "steal()", "onerror", "<script", "<img"} {
		if strings.Contains(resp.body, bad) {
			t.Errorf("the page shows %q:\n%s", bad, resp.body)
		}
	}
	if !strings.Contains(resp.body, "Sign in at") {
		t.Errorf("the cleaned answer is not shown:\n%s", resp.body)
	}
	stub.SetAnswer(func(r llmtest.Request) llmtest.Reply {
		return llmtest.Reply{Content: llmtest.JSON("See the admin keys.", "admin#keys")}
	})
	resp = c.ask(shippingQuestion)
	if strings.Contains(resp.body, "admin keys") || !strings.Contains(resp.body, `data-testid="source"`) {
		t.Errorf("an answer citing an unsent section was shown:\n%s", resp.body)
	}
	if got := env.modelCounts(t); got != "unknown_source=1 used=1" {
		t.Errorf("recorded %q", got)
	}
}

// TestChatModelSlowFallsBack: a model slower than --llm-timeout is given
// up, and the section is quoted.
func TestChatModelSlowFallsBack(t *testing.T) {
	stub := llmtest.NewStub(t, func(llmtest.Request) llmtest.Reply { return llmtest.Reply{Hang: true} })
	env := newModelEnv(t, stub, 500*time.Millisecond)
	resp := env.chatter().ask(shippingQuestion)
	if !strings.Contains(resp.body, `data-testid="source"`) {
		t.Errorf("no quote after the model timed out:\n%s", resp.body)
	}
	if got := env.modelCounts(t); got != "timeout=1" {
		t.Errorf("recorded %q, want timeout", got)
	}
}

// TestChatModelNoCustomerData: a verified customer's chat sends nothing of
// theirs, nor of anyone else's, to the model.
func TestChatModelNoCustomerData(t *testing.T) {
	stub := llmtest.NewStub(t, llmtest.Good)
	env := newModelEnv(t, stub, 0)
	ctx := context.Background()
	for _, tk := range []store.NewTicket{
		{Email: "bob@example.net", Name: "Bob Builder", Subject: "BOB-OWN grinder noise", Body: "b"},
		{Email: "alice@example.org", Name: "Alice Liddell", Subject: "ALICE-PRIVATE kettle", Body: "a"},
	} {
		if _, err := env.db.CreateTicket(ctx, tk, store.SystemActor); err != nil {
			t.Fatal(err)
		}
	}
	c := env.chatter()
	env.verifyInChat(c, "bob@example.net")
	c.ask("what's the status of my ticket") // private: never the model
	c.ask(shippingQuestion)
	c.ask("My name is Bob Builder, bob@example.net, card 4111 1111 1111 1111: how long does shipping to Germany take?")
	reqs := stub.Requests()
	if len(reqs) == 0 {
		t.Fatal("the model was never asked: the test proves nothing")
	}
	for _, r := range reqs {
		for _, s := range []string{"Bob", "Builder", "bob@example.net", "BOB-OWN", "ALICE", "Alice", "4111", "alice@example.org"} {
			if strings.Contains(string(r.Body), s) {
				t.Errorf("the model received %q", s)
			}
		}
	}
}

// TestChatModelDisclosed: the consent notice, its version and the privacy
// page name the model's host; a conversation that consented to the notice
// without it does not use the model.
func TestChatModelDisclosed(t *testing.T) {
	stub := llmtest.NewStub(t, llmtest.Good)
	env := newModelEnv(t, stub, 0)
	host := "127.0.0.1"
	c := env.client()
	consent := c.get("/chat").body
	if !strings.Contains(consent, `data-testid="consent-model"`) || !strings.Contains(consent, "sent to "+host) {
		t.Errorf("the consent notice does not name the model's host:\n%s", consent)
	}
	privacy := c.get("/privacy").body
	for _, want := range []string{`data-testid="chat-model"`, "AI model at <strong>" + host, "The AI model that writes some chat answers (" + host + ")",
		ChatPolicyVersion + "+ai:" + host} {
		if !strings.Contains(privacy, want) {
			t.Errorf("privacy page lacks %q", want)
		}
	}
	if strings.Contains(privacy, "No other company receives your data: this help centre runs on our own server") {
		t.Error("privacy page says no other company receives data")
	}
	env.chatter().ask(shippingQuestion)
	cs, err := env.db.ListConversations(context.Background(), store.ChatFilter{})
	if err != nil || len(cs) != 1 || !strings.HasPrefix(cs[0].ConsentVersion, ChatPolicyVersion+"+ai:"+host+".") {
		t.Fatalf("conversations %+v (%v), want consent version naming the host", cs, err)
	}
	if _, err := env.db.CreateTicket(context.Background(), store.NewTicket{Email: "eve@example.org", Subject: "kettle", Body: "b"}, store.SystemActor); err != nil {
		t.Fatal(err)
	}
	if exp := env.verifyAs("eve@example.org").get("/me/export").body; !strings.Contains(exp, "The AI model that writes some chat answers ("+host+")") {
		t.Error("the export's recipients do not name the model's host")
	}
	req := httptest.NewRequest("POST", "/chat/messages", strings.NewReader(url.Values{"message": {shippingQuestion}}.Encode()))
	in, err := env.srv.botInput(req, store.Conversation{ConsentVersion: ChatPolicyVersion}, shippingQuestion)
	if err != nil || in.UseModel {
		t.Errorf("a conversation under the notice without the model may use it: %+v %v", in, err)
	}
}

// TestChatWithoutModel: off by default, nothing mentions a model.
func TestChatWithoutModel(t *testing.T) {
	env := newTestServer(t)
	c := env.client()
	for _, path := range []string{"/chat", "/privacy"} {
		if body := c.get(path).body; strings.Contains(body, "AI model") {
			t.Errorf("%s mentions an AI model", path)
		}
	}
	if resp := env.chatter().ask(shippingQuestion); strings.Contains(resp.body, "ai-mark") {
		t.Error("an answer is marked as written by a model")
	}
}

// TestUnitCredentialForModelKey: the systemd unit passes the model's API
// key file as a credential, like the other secret files.
func TestUnitCredentialForModelKey(t *testing.T) {
	var o ChatOptions
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.String("data", "data", "")
	fs.String("master-key-file", "", "")
	o.Flags(fs)
	if err := fs.Parse([]string{"--llm-endpoint", "https://api.example.com/v1", "--llm-model", "m", "--llm-api-key-file", "/etc/safedesk/llm.key"}); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := WriteSystemdUnit(&b, "/usr/local/bin/safedesk", fs); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"\nLoadCredential=llm-api-key:/etc/safedesk/llm.key\n", " --llm-api-key-file=%d/llm-api-key", " --llm-endpoint=https://api.example.com/v1"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("unit lacks %q:\n%s", want, b.String())
		}
	}
}
