package api

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"safedesk/store"
)

// The API lists, adds and removes an article's example questions: with
// kb:write to change them, personal data removed, the store's refusals as
// 422, and another article's example not found through this one.
func TestAPISectionExamples(t *testing.T) {
	a := newTestAPI(t)
	ctx := context.Background()
	for _, art := range []store.Article{
		{Slug: "contact", Title: "Contact", Body: "Hello.\n\n## Ways to reach us\n\nBy form.", Published: true},
		{Slug: "other", Title: "Other", Body: "Other text.", Published: true},
	} {
		if err := a.db.SaveArticle(ctx, art, testAdmin); err != nil {
			t.Fatal(err)
		}
	}
	read, write := a.token(store.ScopeKBRead), a.token(store.ScopeKBWrite)
	const base = "/api/v1/kb/articles/contact/examples"

	if got := a.api("POST", base, read, `{"anchor":"ways-to-reach-us","question":"phone?"}`); got.status != 403 {
		t.Errorf("kb:read added an example: %d", got.status)
	}
	got := a.api("POST", base, write, `{"anchor":"ways-to-reach-us","question":"can I call you? I'm on +44 20 7946 0958"}`)
	if got.status != 201 || !strings.HasPrefix(got.header.Get("Location"), base+"/") {
		t.Fatalf("add: %d %s", got.status, got.body)
	}
	var ex struct {
		ID               int64
		Anchor, Question string
		CreatedAt        string `json:"created_at"`
	}
	if err := json.Unmarshal([]byte(got.body), &ex); err != nil {
		t.Fatal(err)
	}
	if ex.Anchor != "ways-to-reach-us" || strings.Contains(ex.Question, "7946") || ex.CreatedAt == "" {
		t.Errorf("added %+v", ex)
	}
	for body, field := range map[string]string{
		`{"anchor":"ways-to-reach-us","question":"Can I call you? I'm on +44 20 7946 0958!"}`: "question",
		`{"anchor":"no-such","question":"hello"}`:                                             "anchor",
		`{"question":""}`: "question",
	} {
		if got := a.api("POST", base, write, body); got.status != 422 || !strings.Contains(got.body, field) {
			t.Errorf("%s: %d %s", body, got.status, got.body)
		}
	}
	if got := a.api("POST", base, write, `{"question":"hi","extra":1}`); got.status != 400 {
		t.Errorf("unknown field: %d", got.status)
	}

	got = a.api("GET", base, read, "")
	var list struct{ Examples []struct{ ID int64 } }
	if err := json.Unmarshal([]byte(got.body), &list); err != nil || got.status != 200 || len(list.Examples) != 1 || list.Examples[0].ID != ex.ID {
		t.Fatalf("list: %d %s", got.status, got.body)
	}
	id := strings.TrimPrefix(a.api("POST", base, write, `{"question":"who are you"}`).header.Get("Location"), base+"/")
	if got := a.api("DELETE", "/api/v1/kb/articles/other/examples/"+id, write, ""); got.status != 404 {
		t.Errorf("deleted through another article: %d", got.status)
	}
	if got := a.api("DELETE", base+"/"+id, write, ""); got.status != 204 {
		t.Errorf("delete: %d %s", got.status, got.body)
	}
	if got := a.api("DELETE", base+"/"+id, write, ""); got.status != 404 {
		t.Errorf("delete again: %d", got.status)
	}
	if got := a.api("GET", "/api/v1/kb/articles/nope/examples", read, ""); got.status != 404 {
		t.Errorf("unknown article: %d", got.status)
	}
}
