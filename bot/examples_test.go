package bot

import (
	"context"
	"testing"

	"safedesk/store"
)

// TestExampleQuestions: an example question an editor attached to a
// section carries a question that shares no word with the section's text
// to it, as soon as it is added; removed, it no longer does. (The demo's
// own examples are removed first.)
func TestExampleQuestions(t *testing.T) {
	ctx := context.Background()
	db := newTestStore(t)
	dropExamples(t, db)
	b := newTestBot(t, db)
	const q, want = "could I give you a ring", "/kb/contact-support-and-opening-hours#ways-to-reach-us"
	before, err := b.Respond(ctx, Input{Text: q})
	if err != nil {
		t.Fatal(err)
	}
	if before.Source != nil && before.Source.URL() == want {
		t.Fatalf("%q already finds %s without an example", q, want)
	}
	art, err := db.GetArticle(ctx, "contact-support-and-opening-hours", false)
	if err != nil {
		t.Fatal(err)
	}
	ex, err := db.AddSectionExample(ctx, art.ID, "ways-to-reach-us", "can I ring you?", store.SystemActor)
	if err != nil {
		t.Fatal(err)
	}
	after, err := b.Respond(ctx, Input{Text: q})
	if err != nil {
		t.Fatal(err)
	}
	if after.Source == nil || after.Source.URL() != want {
		t.Errorf("with the example, %q got %v (%s, %.2f), want %s", q, after.Source, after.Outcome, after.Confidence, want)
	}
	if err := db.DeleteSectionExample(ctx, ex.ID, store.SystemActor); err != nil {
		t.Fatal(err)
	}
	gone, err := b.Respond(ctx, Input{Text: q})
	if err != nil {
		t.Fatal(err)
	}
	if gone.Source != nil && gone.Source.URL() == want {
		t.Errorf("with the example removed, %q still finds %s", q, want)
	}
}

// TestExampleAtTop: an example question kept at an article's top (anchor
// "") belongs to its first section.
func TestExampleAtTop(t *testing.T) {
	ctx := context.Background()
	db := newTestStore(t)
	dropExamples(t, db)
	b := newTestBot(t, db)
	art, err := db.GetArticle(ctx, "warranty-and-how-to-claim", false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.AddSectionExample(ctx, art.ID, "", "my espresso machine gave up, whose problem is that", store.SystemActor); err != nil {
		t.Fatal(err)
	}
	rk, err := b.ret.rank(ctx, "espresso machine gave up")
	if err != nil {
		t.Fatal(err)
	}
	if len(rk.hits) == 0 {
		t.Fatal("no hits")
	}
	if s := rk.name(rk.hits[0]); s.Slug != art.Slug || s.Anchor != store.Sections(art.Body)[0].Anchor {
		t.Errorf("first hit %s#%s, want the first section of %s", s.Slug, s.Anchor, art.Slug)
	}
}
