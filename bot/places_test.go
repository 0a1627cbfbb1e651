package bot

import (
	"context"
	"strings"
	"testing"
)

// TestPlacesFindTheirRegion asks about places the demo knowledge base
// never names: each is answered by the section of its country's region.
func TestPlacesFindTheirRegion(t *testing.T) {
	b := newTestBot(t, newTestStore(t))
	for _, c := range []struct{ q, want string }{
		{"do you ship to antwerp", "shipping-times-and-costs#netherlands-and-belgium"},
		{"how long does delivery to Rotterdam take", "shipping-times-and-costs#netherlands-and-belgium"},
		{"shipping costs to Vienna", "shipping-times-and-costs#rest-of-the-eu"},
		{"do you ship to south africa", "shipping-times-and-costs#outside-the-eu"},
		{"can you deliver to Tokyo", "shipping-times-and-costs#outside-the-eu"},
		{"¿Cuánto tarda un envío a Sevilla?", "envios-plazos-y-costes#resto-de-la-ue-incluida-espana"},
		{"how long to Vienna?", "shipping-times-and-costs#rest-of-the-eu"},
	} {
		r, err := b.Respond(context.Background(), Input{Text: c.q})
		if err != nil {
			t.Fatal(err)
		}
		if got := describeAnchor(r.Source); got != c.want {
			t.Errorf("%q: got %s (confidence %.2f), want %s", c.q, got, r.Confidence, c.want)
		}
	}
}

// TestGazetteer checks places.txt: names of several words, the longest
// name first, and no name that is a common word of the five languages.
func TestGazetteer(t *testing.T) {
	for _, c := range []struct {
		q    string
		n    int
		eu   bool
		name string
	}{
		{"new york please", 2, false, "united states"},
		{"den haag", 2, true, "netherlands"},
		{"pays bas", 2, true, "netherlands"},
		{"zurich", 1, false, "switzerland"},
		{"lisboa", 1, true, "portugal"},
	} {
		p, n := places.at(words(c.q))
		if p == nil || n != c.n || p.eu != c.eu || !hasName(p, c.name) {
			t.Errorf("%q: got %+v, %d words", c.q, p, n)
		}
	}
	for _, w := range []string{"us", "nice", "como", "essen", "island", "namen", "the", "french", "split", "tours"} {
		if p, _ := places.at([]string{w}); p != nil {
			t.Errorf("%q is a common word, not a place", w)
		}
	}
}

func hasName(p *place, name string) bool {
	for _, n := range p.names {
		if strings.Join(n, " ") == name {
			return true
		}
	}
	return false
}

func describeAnchor(s *Source) string {
	if s == nil {
		return "nothing"
	}
	return s.Slug + "#" + s.Anchor
}

// TestPlaceAloneIsNoTopic: a question whose only words the knowledge base
// knows are a place is about something else, and finds nothing.
func TestPlaceAloneIsNoTopic(t *testing.T) {
	b := newTestBot(t, newTestStore(t))
	for _, q := range []string{"what's the weather in Paris", "best restaurants in Antwerp", "Barcelona", "what time is it in Tokyo"} {
		hits, err := b.Search(context.Background(), q, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(hits) != 0 {
			t.Errorf("%q found %s", q, hits[0].Slug)
		}
		r, err := b.Respond(context.Background(), Input{Text: q})
		if err != nil {
			t.Fatal(err)
		}
		if r.Source != nil {
			t.Errorf("%q answered with %s", q, describeAnchor(r.Source))
		}
	}
}
