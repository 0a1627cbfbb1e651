package security

import (
	"errors"
	"strings"
	"testing"
)

// TestCanonicalEmail (issue 12, item 21; pentest F6): addresses are
// compared as mail systems deliver them; a look-alike never takes the
// form of a real address.
func TestCanonicalEmail(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"kate@example.com", "kate@example.com"},
		{"  Kate.Smith+Help@Example.COM ", "kate.smith+help@example.com"},
		{"kate@münchen.de", "kate@xn--mnchen-3ya.de"},
		{"kate@xn--mnchen-3ya.de", "kate@xn--mnchen-3ya.de"},
		{"ivan@пример.рф", "ivan@xn--e1afmkfd.xn--p1ai"},
		{"o'brien_1@mail.example.co.uk", "o'brien_1@mail.example.co.uk"},
	} {
		got, err := CanonicalEmail(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("CanonicalEmail(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
	for _, tt := range []struct {
		name, in string
		want     error
	}{
		{"Kelvin sign in the local part", "\u212Aate@example.com", ErrEmailLocal},
		{"full-width letter in the local part", "\uFF4Bate@example.com", ErrEmailLocal},
		{"Cyrillic a in the local part", "k\u0430te@example.com", ErrEmailLocal},
		{"accented local part", "kät@example.com", ErrEmailLocal},
		{"Kelvin sign in the domain", "kate@example.\u212Aom", ErrEmailDomain},
		{"full-width domain", "kate@\uFF45xample.com", ErrEmailDomain},
		{"upper-case non-ASCII domain", "kate@MÜNCHEN.de", ErrEmailDomain},
		{"underscore in the domain", "kate@exa_mple.com", ErrEmailDomain},
		{"Cyrillic a in a Latin domain", "kate@ex\u0430mple.com", ErrEmailConfusable},
		{"Greek omicron in a Latin domain", "kate@g\u03BF\u03BFgle.com", ErrEmailConfusable},
		{"Latin script g", "kate@\u0261oogle.com", ErrEmailConfusable},
		{"all-Cyrillic look-alike label", "kate@\u0430\u0440\u0435.com", ErrEmailConfusable},
		{"no @", "kate.example.com", ErrEmailSyntax},
		{"nothing before @", "@example.com", ErrEmailSyntax},
		{"nothing after @", "kate@", ErrEmailSyntax},
		{"no dot in the domain", "kate@localhost", ErrEmailSyntax},
		{"a trailing dot", "kate@example.com.", ErrEmailSyntax},
		{"a space", "kate smith@example.com", ErrEmailSyntax},
		{"a display name", "Kate <kate@example.com>", ErrEmailDomain},
		{"a local part over 64", strings.Repeat("k", 65) + "@example.com", ErrEmailSyntax},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CanonicalEmail(tt.in)
			if !errors.Is(err, tt.want) {
				t.Fatalf("CanonicalEmail(%q) = %q, %v; want %v", tt.in, got, err, tt.want)
			}
		})
	}
}

// TestLookalikesNeverIndexAsTheReal: the blind index of a look-alike
// differs from the real address's, whatever the look-alike.
func TestLookalikesNeverIndexAsTheReal(t *testing.T) {
	bidx, err := NewBlindIndex(make([]byte, KeySize))
	if err != nil {
		t.Fatal(err)
	}
	real := string(bidx.Email("kate@example.com"))
	if string(bidx.Email(" KATE@Example.com")) != real {
		t.Fatal("an ASCII case variant does not match")
	}
	for _, l := range []string{"\u212Aate@example.com", "\uFF4Bate@example.com", "k\u0430te@example.com", "kate@ex\u0430mple.com",
		"kate@\uFF45xample.com", "kate@example.\u212Aom", "\u212AATE@EXAMPLE.COM"} {
		if string(bidx.Email(l)) == real {
			t.Errorf("%q indexes as kate@example.com", l)
		}
	}
}
