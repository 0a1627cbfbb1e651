package store_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/fstest"

	"safedesk/store"
)

const contactBody = "We answer within a day.\n\n## Ways to reach us\n\nWrite to us from the contact page.\n\n## Opening hours\n\nMonday to Friday, 9 to 5."

// contactArticle saves a published article with two sections and returns it.
func contactArticle(t *testing.T, db *store.DB) store.Article {
	t.Helper()
	saveArticle(t, db, "contact", "Contact us", contactBody, true)
	art, err := db.GetArticle(t.Context(), "contact", false)
	if err != nil {
		t.Fatal(err)
	}
	return art
}

// fieldError is the message a ValidationError gives for field, or "".
func fieldError(err error, field string) string {
	var v *store.ValidationError
	if errors.As(err, &v) {
		return v.Fields[field]
	}
	return ""
}

func questions(exs []store.SectionExample) []string {
	var out []string
	for _, ex := range exs {
		out = append(out, ex.Anchor+"|"+ex.Question)
	}
	return out
}

func TestAddSectionExample(t *testing.T) {
	db, _ := newTestDB(t)
	ctx := t.Context()
	art := contactArticle(t, db)

	t.Run("personal data is removed before saving, and the audit entry holds no text", func(t *testing.T) {
		ex, err := db.AddSectionExample(ctx, art.ID, "ways-to-reach-us",
			"  can I call you,   I'm ada@example.org, +44 20 7946 0958, order #123456 ", editor)
		if err != nil {
			t.Fatal(err)
		}
		for _, leak := range []string{"ada@example.org", "7946", "123456"} {
			if strings.Contains(ex.Question, leak) {
				t.Errorf("saved question %q still holds %q", ex.Question, leak)
			}
		}
		if !strings.HasPrefix(ex.Question, "can I call you, I'm [email address removed]") {
			t.Errorf("saved question %q", ex.Question)
		}
		got, err := db.SectionExamples(ctx, art.ID)
		if err != nil || len(got) != 1 || got[0].Question != ex.Question || got[0].ID != ex.ID {
			t.Fatalf("SectionExamples = %+v, %v", got, err)
		}
		entries, err := db.ListAudit(ctx, store.AuditFilter{Action: "kb.example_added"})
		if err != nil || len(entries) != 1 {
			t.Fatalf("audit = %+v, %v", entries, err)
		}
		e := entries[0]
		if e.Target != "kb:contact" || e.Actor.ID != editor.ID || e.Details["anchor"] != "ways-to-reach-us" {
			t.Errorf("audit entry %+v", e)
		}
		if strings.Contains(string(e.RawDetails), "call") {
			t.Errorf("audit details hold the question: %s", e.RawDetails)
		}
	})

	t.Run("the same question folded is refused, in any section of the article", func(t *testing.T) {
		if _, err := db.AddSectionExample(ctx, art.ID, "ways-to-reach-us", "Is there a phone number?", editor); err != nil {
			t.Fatal(err)
		}
		for _, anchor := range []string{"ways-to-reach-us", "opening-hours", ""} {
			_, err := db.AddSectionExample(ctx, art.ID, anchor, "is there a PHONE  númber", editor)
			if !strings.Contains(fieldError(err, "question"), "already has") {
				t.Errorf("%s: got %v, want a duplicate refused", anchor, err)
			}
		}
	})

	t.Run("empty, too long, unknown section and unknown article are refused", func(t *testing.T) {
		cases := []struct {
			anchor, question, field string
		}{
			{"", " ?! ", "question"},
			{"", strings.Repeat("é", store.MaxExampleRunes+1), "question"},
			{"no-such-heading", "when are you open", "anchor"},
		}
		for _, tc := range cases {
			if _, err := db.AddSectionExample(ctx, art.ID, tc.anchor, tc.question, editor); fieldError(err, tc.field) == "" {
				t.Errorf("%q in %q: got %v, want %s refused", tc.question, tc.anchor, err, tc.field)
			}
		}
		if _, err := db.AddSectionExample(ctx, art.ID, "", strings.Repeat("é", store.MaxExampleRunes), editor); err != nil {
			t.Errorf("a question of exactly %d characters: %v", store.MaxExampleRunes, err)
		}
		if _, err := db.AddSectionExample(ctx, art.ID+100, "", "hello", editor); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("unknown article: got %v", err)
		}
	})

	t.Run("a section holds at most MaxSectionExamples", func(t *testing.T) {
		for i := range store.MaxSectionExamples {
			if _, err := db.AddSectionExample(ctx, art.ID, "opening-hours", fmt.Sprintf("open on day %d", i), editor); err != nil {
				t.Fatalf("example %d: %v", i, err)
			}
		}
		_, err := db.AddSectionExample(ctx, art.ID, "opening-hours", "open on sundays", editor)
		if !strings.Contains(fieldError(err, "question"), "at most") {
			t.Errorf("got %v, want the section full", err)
		}
	})
}

func TestDeleteSectionExample(t *testing.T) {
	db, _ := newTestDB(t)
	ctx := t.Context()
	art := contactArticle(t, db)
	ex, err := db.AddSectionExample(ctx, art.ID, "", "who are you", editor)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteSectionExample(ctx, ex.ID, editor); err != nil {
		t.Fatal(err)
	}
	if err := db.DeleteSectionExample(ctx, ex.ID, editor); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second delete: got %v, want ErrNotFound", err)
	}
	if got, err := db.SectionExamples(ctx, art.ID); err != nil || len(got) != 0 {
		t.Errorf("after delete: %v, %v", got, err)
	}
	entries, err := db.ListAudit(ctx, store.AuditFilter{Action: "kb.example_deleted"})
	if err != nil || len(entries) != 1 || entries[0].Target != "kb:contact" {
		t.Errorf("audit = %+v, %v", entries, err)
	}
	// Removed again later, the question can be added again.
	if _, err := db.AddSectionExample(ctx, art.ID, "", "who are you", editor); err != nil {
		t.Errorf("adding a deleted question again: %v", err)
	}
}

func TestSectionExamplesRebuildSignal(t *testing.T) {
	db, _ := newTestDB(t)
	ctx := t.Context()
	art := contactArticle(t, db)
	state := func() store.KBState {
		t.Helper()
		st, err := db.KBState(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return st
	}
	a, err := db.AddSectionExample(ctx, art.ID, "", "first", editor)
	if err != nil {
		t.Fatal(err)
	}
	changes, before := db.KBChanges(), state()
	// Deleting one and adding another keeps the count: the state must still
	// change, in this process (KBChanges) and as another process sees it.
	if err := db.DeleteSectionExample(ctx, a.ID, editor); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddSectionExample(ctx, art.ID, "", "second", editor); err != nil {
		t.Fatal(err)
	}
	if db.KBChanges() < changes+2 {
		t.Errorf("KBChanges went from %d to %d, want +2", changes, db.KBChanges())
	}
	if after := state(); after == before {
		t.Errorf("KBState unchanged after a delete and an add: %+v", after)
	}
	// A refused add changes nothing another process would see.
	st := state()
	if _, err := db.AddSectionExample(ctx, art.ID, "", "second", editor); err == nil {
		t.Fatal("duplicate accepted")
	}
	if state() != st {
		t.Error("KBState changed after a refused add")
	}
}

func TestSectionExamplesKeptWhenHeadingGoes(t *testing.T) {
	db, _ := newTestDB(t)
	ctx := t.Context()
	art := contactArticle(t, db)
	for _, ex := range []struct{ anchor, q string }{{"ways-to-reach-us", "is there a number I can call"}, {"opening-hours", "are you open on saturday"}} {
		if _, err := db.AddSectionExample(ctx, art.ID, ex.anchor, ex.q, editor); err != nil {
			t.Fatal(err)
		}
	}
	// The editor renames "Ways to reach us": its example moves to the top;
	// the other section's stays.
	saveArticle(t, db, "contact", "Contact us", strings.Replace(contactBody, "Ways to reach us", "Phone and email", 1), true)
	got, err := db.SectionExamples(ctx, art.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"|is there a number I can call", "opening-hours|are you open on saturday"}
	if strings.Join(questions(got), "\n") != strings.Join(want, "\n") {
		t.Errorf("after the edit: %q, want %q", questions(got), want)
	}
	// Drafts' examples are not the assistant's; deleting the article deletes them.
	saveArticle(t, db, "draft", "Draft", "## Soon\n\ntext", false)
	draft, err := db.GetArticle(ctx, "draft", true)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddSectionExample(ctx, draft.ID, "soon", "when", editor); err != nil {
		t.Fatal(err)
	}
	all, err := db.AllSectionExamples(ctx)
	if err != nil || len(all) != 2 || all[0].ArticleID != art.ID {
		t.Errorf("AllSectionExamples = %+v, %v; want the published article's two", all, err)
	}
	if err := db.DeleteArticle(ctx, "contact", editor); err != nil {
		t.Fatal(err)
	}
	if all, err := db.AllSectionExamples(ctx); err != nil || len(all) != 0 {
		t.Errorf("after deleting the article: %+v, %v", all, err)
	}
}

func TestImportSectionExamples(t *testing.T) {
	db, _ := newTestDB(t)
	ctx := t.Context()
	file := "---\nlang: en\nexample ways-to-reach-us: is there a number I can call?\n" +
		"example ways-to-reach-us: can I talk to a person: now\nexample: who are you\n---\n# Contact us\n\n" + contactBody
	fsys := fstest.MapFS{"contact.md": {Data: []byte(file)}}
	if _, _, err := db.ImportArticles(ctx, fsys, store.SystemActor); err != nil {
		t.Fatal(err)
	}
	art, err := db.GetArticle(ctx, "contact", false)
	if err != nil {
		t.Fatal(err)
	}
	if art.Lang != "en" || strings.Contains(art.Body, "example") {
		t.Errorf("article %+v: the front matter leaked into it", art)
	}
	want := []string{"|who are you", "ways-to-reach-us|is there a number I can call?", "ways-to-reach-us|can I talk to a person: now"}
	check := func(when string, want []string) {
		t.Helper()
		got, err := db.SectionExamples(ctx, art.ID)
		if err != nil || strings.Join(questions(got), "\n") != strings.Join(want, "\n") {
			t.Errorf("%s: %q, %v; want %q", when, questions(got), err, want)
		}
	}
	check("imported", want)

	// One added in the panel stays; importing again adds nothing twice.
	if _, err := db.AddSectionExample(ctx, art.ID, "opening-hours", "open late?", editor); err != nil {
		t.Fatal(err)
	}
	if _, _, err := db.ImportArticles(ctx, fsys, store.SystemActor); err != nil {
		t.Fatal(err)
	}
	check("imported again", []string{want[0], "opening-hours|open late?", want[1], want[2]})

	for name, bad := range map[string]string{
		"unknown anchor": "example ways-to-reach: hi\n",
		"duplicate":      "example: who are you\nexample: Who are you?\n",
		"too long":       "example: " + strings.Repeat("a", store.MaxExampleRunes+1) + "\n",
		"empty":          "example opening-hours:\n",
	} {
		content := "---\n" + bad + "---\n# Contact us\n\n" + contactBody
		_, err := store.ParseArticle("contact.md", []byte(content))
		if err == nil || !strings.Contains(err.Error(), "contact.md: example") {
			t.Errorf("%s: got %v, want an error naming the file and the line", name, err)
		}
	}
}

// TestDemoArticlesHaveExamples checks the sample knowledge base gives every
// section example questions, as an editor would, and that they import as
// written (no personal data to remove, none refused).
func TestDemoArticlesHaveExamples(t *testing.T) {
	db, _ := newTestDB(t)
	ctx := t.Context()
	if _, _, err := db.ImportArticles(ctx, store.DemoArticles(), editor); err != nil {
		t.Fatal(err)
	}
	arts, err := db.ListArticles(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range arts {
		exs, err := db.SectionExamples(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		per := map[string]int{}
		for _, ex := range exs {
			per[ex.Anchor]++
			if strings.Contains(ex.Question, "removed]") {
				t.Errorf("%s: example %q lost personal data it should not hold", a.Slug, ex.Question)
			}
		}
		secs := store.Sections(a.Body)
		if secs[0].Anchor != "" {
			secs = append([]store.Section{{}}, secs...) // the top is a section for examples
		}
		for _, s := range secs {
			if n := per[s.Anchor]; n < 10 || n > 14 {
				t.Errorf("%s#%s has %d example questions, want 10 to 14", a.Slug, s.Anchor, n)
			}
		}
	}
}
