package bot

import (
	"context"
	"testing"
)

// TestCrossLanguage asks questions in German, French, Spanish and Dutch
// whose answer the demo's knowledge base has only in English
// (testdata/xlang.json: 100 questions, written by someone who saw neither
// the rules nor their concepts), as a visitor who chose their language,
// with the built-in concepts and without them. It enforces the figures
// with concepts, less a small margin, and that concepts find more.
func TestCrossLanguage(t *testing.T) {
	items := loadEvalFile(t, "testdata/xlang.json")
	db := newTestStore(t)
	var tallies [2]evalTally
	for i, rules := range []*Rules{builtin, withoutConcepts(builtin)} {
		b, err := New(db, Options{Product: "Northwind", Rules: rules})
		if err != nil {
			t.Fatal(err)
		}
		for _, it := range items {
			it.Kind = "answerable"
			r, err := b.Respond(context.Background(), Input{Text: it.Q, Lang: it.Lang})
			if err != nil {
				t.Fatal(err)
			}
			if miss := tallies[i].count(it, r); miss != "" && i == 0 && testing.Verbose() {
				t.Log("  miss: " + miss)
			}
		}
	}
	with, without := tallies[0], tallies[1]
	t.Logf("with concepts:    %v", with)
	t.Logf("without concepts: %v", without)
	const sectionFloor, articleFloor = 44.0, 52.0
	if sec, art := with.pct(with.section, with.answerable), with.pct(with.article, with.answerable); sec < sectionFloor || art < articleFloor {
		t.Errorf("right section %.1f%%, right article %.1f%%: below the floors (%.0f%%, %.0f%%)", sec, art, sectionFloor, articleFloor)
	}
	if with.article <= without.article {
		t.Errorf("concepts find the right article %d times, without them %d: they should find more", with.article, without.article)
	}
}

// withoutConcepts is r without its concepts.
func withoutConcepts(r *Rules) *Rules {
	c := *r
	c.conceptRows, c.concepts, c.conceptStarts, c.maxConcept = nil, map[string][]int32{}, map[string]bool{}, 0
	c.phrases = newPhraseSet(&c)
	return &c
}
