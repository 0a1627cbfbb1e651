package i18n

import (
	"context"
	"testing"
	"time"
)

func TestChoose(t *testing.T) {
	for _, tt := range []struct{ cookie, accept, site, want string }{
		{"", "de-DE,de;q=0.9", "en", "de"},
		{"", "fr-CH, fr;q=0.9, en;q=0.8", "en", "fr"},
		{"", "nl-BE", "de", "nl"},
		{"", "es-419", "en", "es"},
		{"fr", "de-DE,de;q=0.9", "en", "fr"},      // the switcher's choice wins
		{"xx", "de", "en", "de"},                  // an unknown cookie is no choice
		{"", "pt-BR, ja;q=0.5", "nl", "nl"},       // nothing we speak: the site's default
		{"", "", "es", "es"},                      // no header
		{"", "not a header;;", "fr", "fr"},        // a malformed header
		{"", "en-GB;q=0.3, de;q=0.7", "fr", "de"}, // by weight
	} {
		got, ok := Choose(tt.cookie, tt.accept)
		if !ok {
			got = tt.site
		}
		if got != tt.want {
			t.Errorf("Choose(%q, %q) = %q (site %q), want %q", tt.cookie, tt.accept, got, tt.site, tt.want)
		}
	}
}

func TestPlural(t *testing.T) {
	for _, tt := range []struct {
		lang string
		n    int
		want string
	}{
		{"en", 1, "1 article found"}, {"en", 0, "0 articles found"}, {"en", 2, "2 articles found"},
		{"fr", 0, "0 article trouvé"}, {"fr", 1, "1 article trouvé"}, {"fr", 2, "2 articles trouvés"},
		{"de", 1, "1 Artikel gefunden"}, {"nl", 3, "3 artikelen gevonden"}, {"es", 1, "1 artículo encontrado"},
	} {
		if got := New(tt.lang, nil).N(ResultsCount, tt.n); got != tt.want {
			t.Errorf("%s N(%d) = %q, want %q", tt.lang, tt.n, got, tt.want)
		}
	}
}

// TestDates formats one winter moment, 12:00 UTC, for Berlin (13:00) in
// every language: day before month, a 24-hour clock except in English.
func TestDates(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 12, 6, 12, 0, 0, 0, time.UTC)
	for lang, want := range map[string]string{
		"en": "6 Dec 2026, 1:00 pm CET",
		"de": "6. Dez. 2026, 13:00 CET",
		"fr": "6 déc. 2026, 13:00 CET",
		"es": "6 dic 2026, 13:00 CET",
		"nl": "6 dec. 2026, 13:00 CET",
	} {
		if got := New(lang, berlin).DateTime(at); got != want {
			t.Errorf("%s: %q, want %q", lang, got, want)
		}
	}
	if got := New("de", berlin).ISO(at); got != "2026-12-06T13:00:00+01:00" {
		t.Errorf("ISO = %q", got)
	}
	summer := time.Date(2026, 7, 1, 12, 0, 0, 0, time.UTC)
	if got := New("nl", berlin).Clock(summer); got != "14:00" {
		t.Errorf("summer clock = %q, want 14:00", got)
	}
	if got := New("en", nil).DateTime(at); got != "6 Dec 2026, 12:00 pm UTC" {
		t.Errorf("UTC = %q", got)
	}
}

func TestContext(t *testing.T) {
	ctx := context.Background()
	if l := From(ctx); l.Lang != "en" || l.Zone != time.UTC {
		t.Errorf("no locale: %+v", l)
	}
	ctx = With(ctx, New("es", nil))
	if got := T(ctx, SearchButton); got != "Buscar" {
		t.Errorf("T = %q", got)
	}
	if got := From(ctx).HTML(NoResultsHTML, `<b>x</b>`); got != `Ningún artículo coincide con «&lt;b&gt;x&lt;/b&gt;». Pruebe con otras palabras o <a href="/tickets/new">pregúntenos</a>.` {
		t.Errorf("HTML = %q", got)
	}
}

func TestDuration(t *testing.T) {
	for _, tt := range []struct {
		lang string
		d    time.Duration
		want string
	}{
		{"en", time.Hour, "1 hour"}, {"de", 90 * 24 * time.Hour, "90 Tage"}, {"fr", 3 * time.Minute, "3 minutes"},
		{"es", 45 * time.Second, "45 segundos"}, {"nl", 5 * time.Hour, "5 uur"}, {"de", 100 * time.Second, "2 Minuten"},
	} {
		if got := New(tt.lang, nil).Duration(tt.d); got != tt.want {
			t.Errorf("%s %v = %q, want %q", tt.lang, tt.d, got, tt.want)
		}
	}
}
