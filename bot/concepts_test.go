package bot

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"testing/fstest"
)

// testConcepts are a few concepts of these tests' own, which they use
// instead of the built-in ones (concepts.json), so as not to depend on them.
const testConcepts = `[
 {"en": ["order"], "de": ["bestellung"], "fr": ["commande"]},
 {"en": ["change"], "de": ["ändern"], "fr": ["modifier"]},
 {"en": ["password"], "de": ["passwort"], "fr": ["mot de passe"]},
 {"en": ["parcel"], "de": ["paket"], "fr": ["colis"]}
]`

// partlyTranslated is a knowledge base with three English articles and a
// German translation of one of them, as a shop has when only its most
// asked article is translated.
var partlyTranslated = fstest.MapFS{
	"change-an-order.md": {Data: []byte("# Change an order\n\nYou can change an order for 60 minutes after you place it: " +
		"choose Edit order on the order page.\n")},
	"reset-your-password.md": {Data: []byte("# Reset your password\n\nChoose Forgot password on the sign-in page " +
		"and we email you a link.\n")},
	"returns.md": {Data: []byte("# Returns\n\nSend the parcel back within 30 days of delivery.\n")},
	"ruecksendung.md": {Data: []byte("---\nlang: de\n---\n# Rücksendung\n\nSchicken Sie das Paket innerhalb von 30 Tagen " +
		"zurück. Ihre Bestellung erstatten wir nach Eingang.\n")},
}

func conceptBot(t *testing.T) *Bot {
	t.Helper()
	var f rulesFile
	if err := json.Unmarshal(defaultRulesJSON, &f); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(testConcepts), &f.Concepts); err != nil {
		t.Fatal(err)
	}
	rules, err := compile(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(newStoreWith(t, partlyTranslated), Options{Product: "Northwind", Rules: rules})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestConceptsFindOtherLanguages: a question in a language the knowledge
// base has no article for on its topic finds the article in another
// language, by its concepts; one that a translated article answers still
// gets the translation.
func TestConceptsFindOtherLanguages(t *testing.T) {
	b := conceptBot(t)
	for _, tt := range []struct{ q, want string }{
		// Without concepts, neither is answered (on the demo's knowledge
		// base, the German one got the German returns article, which has
		// "Bestellung").
		{"Kann ich meine Bestellung noch ändern?", "/kb/change-an-order"},
		{"comment changer mon mot de passe ?", "/kb/reset-your-password"},
		// The translation is the answer in its language.
		{"Wie schicke ich das Paket zurück?", "/kb/ruecksendung"},
	} {
		r, err := b.Respond(context.Background(), Input{Text: tt.q})
		if err != nil {
			t.Fatal(err)
		}
		if r.Source == nil || r.Source.URL() != tt.want {
			t.Errorf("%q: got %v (%s, %.2f), want %s", tt.q, r.Source, r.Outcome, r.Confidence, tt.want)
		}
	}
}

// TestConceptsCountLessThanTheWord: a concept's word in another language
// counts less than the question's own word, so that an article in the
// question's language that has the word ranks above one in another
// language that has its translation.
func TestConceptsCountLessThanTheWord(t *testing.T) {
	b := conceptBot(t)
	rk, err := b.ret.rank(context.Background(), "wo ist mein Paket")
	if err != nil {
		t.Fatal(err)
	}
	if len(rk.hits) < 2 {
		t.Fatalf("ranked %d sections, want the German and the English article", len(rk.hits))
	}
	if got := rk.name(rk.hits[0]).Slug; got != "ruecksendung" {
		t.Errorf("first %s, want ruecksendung", got)
	}
	// The German article has "Paket": its translation counts less.
	g := rk.q.groups[0]
	for _, a := range g.alts {
		if a.stem == term(langEN, "parcel") && a.f != knownTranslationStrength {
			t.Errorf("en:parcel counts %.2f, want %.2f", a.f, knownTranslationStrength)
		}
	}
}

// TestConceptRulesChecked: an admin's concepts are added to the built-in
// ones; a concept row in an unknown language, in one language only, or
// with a phrase of more than four words is refused.
func TestConceptRulesChecked(t *testing.T) {
	r, err := ParseRules([]byte(`{"concepts": [{"en": ["beans box"], "de": ["bohnenbox"]}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if got := r.translations([]string{"bohnenbox"}, allLangs, langEN); len(got) != 1 || strings.Join(got[0].words, " ") != "beans box" {
		t.Errorf("bohnenbox renders %v, want [beans box]", got)
	}
	if len(r.concepts) <= len(builtin.concepts) {
		t.Errorf("%d concept keys, the built-in rules %d: the admin's are not added", len(r.concepts), len(builtin.concepts))
	}
	for _, bad := range []string{
		`{"concepts": [{"en": ["order"], "it": ["ordine"]}]}`,
		`{"concepts": [{"en": ["order", "purchase"]}]}`,
		`{"concepts": [{"en": ["order"], "de": []}]}`,
		`{"concepts": [{"en": ["a very long phrase of words"], "de": ["bestellung"]}]}`,
		`{"concepts": [{"en": [""], "de": ["bestellung"]}]}`,
	} {
		if _, err := ParseRules([]byte(bad)); err == nil || !strings.Contains(err.Error(), "concept") {
			t.Errorf("%s: err %v, want a concept's error", bad, err)
		}
	}
}
