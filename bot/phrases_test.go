package bot

import (
	"context"
	"slices"
	"testing"
	"testing/fstest"
)

// TestPhraseStandsTogether: a phrase of the rules stands together where
// its words follow each other in order, at most maxPhraseGap words apart.
func TestPhraseStandsTogether(t *testing.T) {
	const phone = "en:phone+en:number"
	for _, tt := range []struct {
		text string
		want bool
	}{
		{"what is your phone number", true},
		{"our phone numbers", true},
		{"the phone or mobile number", true},
		{"someone asked me for my card number on the phone", false},
		{"phone us and give them the number", false},
		{"phone", false},
	} {
		var terms []string
		for _, w := range words(tt.text) {
			terms = append(terms, term(langEN, w))
		}
		var found []string
		builtin.phrases.scan(terms, func(key string) { found = append(found, key) })
		if got := slices.Contains(found, phone); got != tt.want {
			t.Errorf("%q: phone number together %v, want %v (found %v)", tt.text, got, tt.want, found)
		}
	}
	if !builtin.phrases.tracked[phone] || !builtin.phrases.tracked["en:return+en:within"] {
		t.Errorf("the rules' phrases are not all tracked")
	}
}

// phraseKB has the words of "phone number" apart, often, in one section
// and its example question, and together, once, in another section, in a
// longer text; an example question of a third section has them together.
var phraseKB = fstest.MapFS{
	"paying-by-card.md": {Data: []byte("---\nexample is-my-card-safe: someone wanted my card number on the phone\n---\n" +
		"# Paying by card\n\n## Is my card safe?\n\nWe never ask for your card number on the phone. " +
		"If someone on the phone asks for your card number, hang up: a phone call asking for a card number is a scam.\n")},
	"contact-us.md": {Data: []byte("---\nexample write-to-us: can i write to you instead of ringing your phone number\n---\n" +
		"# Contact us\n\n## Call us\n\nOur phone number is 030 000 0000, open on Tuesday and Thursday from ten to twelve. " +
		"For most questions the contact form is quicker than a call, and we answer every message within one working day. " +
		"Please have your order at hand when you call, so that we can find it quickly.\n\n" +
		"## Write to us\n\nUse the contact form at the bottom of any page.\n")},
}

// TestPhraseIndexedTogether: the index records where a phrase of the
// rules stands together, in a section's text and in an example question,
// and not where its words are apart.
func TestPhraseIndexedTogether(t *testing.T) {
	b := newTestBot(t, newStoreWith(t, phraseKB))
	idx, err := b.ret.x.get(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var secs []string
	for _, p := range idx.together["en:phone+en:number"] {
		secs = append(secs, idx.secs[p.sec()].anchor)
	}
	if !slices.Equal(secs, []string{"call-us"}) {
		t.Errorf("phone number stands together in %v, want [call-us]", secs)
	}
	var exs []string
	for _, xi := range idx.exTogether["en:phone+en:number"] {
		for _, s := range idx.secs {
			if xi >= s.ex0 && xi < s.ex0+int32(s.exN) {
				exs = append(exs, s.anchor)
			}
		}
	}
	if !slices.Equal(exs, []string{"write-to-us"}) {
		t.Errorf("phone number stands together in the examples of %v, want [write-to-us]", exs)
	}
}

// TestPhraseApartCountsLess: a question's phrase ranks the section where
// its words stand together above the one that has them often but apart
// ("card number … on the phone"), on a small knowledge base; on the demo's,
// the bot answers with it.
func TestPhraseApartCountsLess(t *testing.T) {
	ctx := context.Background()
	const q = "what is your phone number"
	small := newTestBot(t, newStoreWith(t, phraseKB))
	rk, err := small.ret.rank(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, h := range rk.hits {
		got = append(got, rk.name(h).URL())
	}
	together, apart := slices.Index(got, "/kb/contact-us#call-us"), slices.Index(got, "/kb/paying-by-card#is-my-card-safe")
	if together < 0 || apart >= 0 && apart < together {
		t.Errorf("small: %q ranks %v, want call-us above is-my-card-safe", q, got)
	}
	r, err := newTestBot(t, newTestStore(t)).Respond(ctx, Input{Text: q})
	if err != nil {
		t.Fatal(err)
	}
	if want := "/kb/contact-support-and-opening-hours#ways-to-reach-us"; r.Source == nil || r.Source.URL() != want {
		t.Errorf("demo: %q got %v (%s, %.2f), want %s", q, r.Source, r.Outcome, r.Confidence, want)
	}
}
