package bot

import (
	"context"
	"slices"
	"testing"
)

// TestRankingCases checks, one question each, the general rules the third
// round of issue 16 added to the ranking, on the demo knowledge base
// without its example questions (which are another way to the section).
func TestRankingCases(t *testing.T) {
	db := newTestStore(t)
	dropExamples(t, db)
	b := newTestBot(t, db)
	for _, tt := range []struct{ why, q, url string }{
		// A German or Dutch verb's separable particle is put back on it.
		{"separable verb (de)", "Wie schicke ich die Mühle zurück?", "/kb/ruecksendung-und-erstattung#so-starten-sie-eine-rucksendung"},
		{"separable verb (nl)", "hoe stuur ik iets terug", "/kb/retourneren-en-terugbetaling#zo-meld-je-een-retour-aan"},
		// A heading that asks about what went wrong answers a question
		// that says something did.
		{"trouble heading", "no reset email in my inbox", "/kb/reset-your-password#didnt-get-the-email"},
		{"trouble heading (already)", "the order already shipped but i want to cancel it", "/kb/cancel-or-change-an-order#too-late"},
		// A typo of a word that asks for a kind of answer, and a heading
		// that names the kind of answer asked for ("How often").
		{"typo in a cue, heading intent", "grinder burrs cleaning how ofen", "/kb/clean-your-grinder-burrs#how-often"},
		// "take" of "how long does it take" is no topic.
		{"how long does it take", "how long does shipping take", "/kb/shipping-times-and-costs#outside-the-eu"},
		// Synonyms found by the stems of a phrase and in the question's
		// language: "aduanas" is "aduana", "not pay" is "free".
		{"stemmed synonym (es)", "¿Tengo que pagar aduanas si vivo en Suiza?", "/kb/envios-plazos-y-costes#fuera-de-la-ue"},
		{"phrase synonym", "how much do i have to spend to not pay postage in the netherlands", "/kb/shipping-times-and-costs#netherlands-and-belgium"},
		// Someone pretending to be the shop is phishing.
		{"impersonation", "someone emailed me pretending to be you", "/kb/how-we-protect-your-data#how-to-spot-a-phishing-email"},
		// Another form of a word, which its stemmer does not reduce to the
		// same stem ("retourneren", "retour"), counts nearly as the word.
		{"another form (nl)", "artikelen retourneren, hoe werkt dat", "/kb/retourneren-en-terugbetaling#zo-meld-je-een-retour-aan"},
		{"another form", "faulty in the first month, what now", "/kb/exchange-a-damaged-or-faulty-item#stopped-working-in-the-first-30-days"},
		// Common verbs of other languages are stopwords, not unknown words.
		{"Spanish stopwords", "hacen envios a mexico", "/kb/envios-plazos-y-costes#fuera-de-la-ue"},
	} {
		r, err := b.Respond(context.Background(), Input{Text: tt.q})
		if err != nil {
			t.Fatal(err)
		}
		if r.Source == nil || r.Source.URL() != tt.url {
			t.Errorf("%s: %q: got %v (%s, %.2f), want %s", tt.why, tt.q, r.Source, r.Outcome, r.Confidence, tt.url)
		}
	}
}

// TestCueInsideLonger: "combien" of "tous les combien" asks how often, not
// how much.
func TestCueInsideLonger(t *testing.T) {
	if in, _ := askedFor(sentence("tous les combien détartrer la bouilloire ?")); in != wantFrequency {
		t.Errorf("asks %b, want only the frequency (%b)", in, wantFrequency)
	}
	if in, _ := askedFor(sentence("combien coûte la livraison ?")); in&wantPrice == 0 {
		t.Errorf("asks %b, want the price", in)
	}
}

// TestQuestionLanguagePreferred: of two articles that match a question
// equally, the one in the question's language ranks first.
func TestQuestionLanguagePreferred(t *testing.T) {
	b := newTestBot(t, newTestStore(t))
	rk, err := b.ret.rank(context.Background(), "ik wil een retour")
	if err != nil {
		t.Fatal(err)
	}
	if len(rk.hits) == 0 {
		t.Fatal("no hits")
	}
	if a := rk.idx.arts[rk.idx.secs[rk.hits[0].sec].art]; a.lang != langNL {
		t.Errorf("first hit %s is in %s, want nl", a.slug, a.lang)
	}
}

// TestObjectInsidePhrasalVerb: an English verb's object between it and its
// particle ("send them back") does not hide the rules' phrase ("send back").
func TestObjectInsidePhrasalVerb(t *testing.T) {
	b := newTestBot(t, newTestStore(t))
	for _, q := range []string{"can i send them back", "i want to send everything back", "how do i send this back"} {
		if found := groupWords(t, b, q); !slices.Contains(found, "send back") {
			t.Errorf("%q: groups %q, want the phrase \"send back\"", q, found)
		}
	}
}

// TestChatShorthand: chat shorthand ("ur", "r", "hows") is no unknown word
// that weighs against the question; "btw" stays a word (Dutch for VAT).
func TestChatShorthand(t *testing.T) {
	b := newTestBot(t, newTestStore(t))
	for q, want := range map[string][]string{
		"whats ur phone number": {"phone number"},
		"r u open on sunday":    {"open", "sunday"},
		"hows my refund going":  {"refund"},
		"cant get into my acct": {"get into", "acct"},
		"btw nummer op factuur": {"btw", "nummer", "factuur"},
	} {
		if got := groupWords(t, b, q); !slices.Equal(got, want) {
			t.Errorf("%q: groups %q, want %q", q, got, want)
		}
	}
}

// groupWords are the words of the groups b makes of question q.
func groupWords(t *testing.T, b *Bot, q string) []string {
	t.Helper()
	idx, err := b.ret.x.get(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var words []string
	for _, g := range b.ret.parse(idx, q).groups {
		words = append(words, g.word)
	}
	return words
}
