package web

import (
	"math"
	"testing"
)

func TestContrast(t *testing.T) {
	// Reference values from the WCAG 2 definition.
	for _, tc := range []struct {
		a, b string
		want float64
	}{
		{"#000000", "#ffffff", 21},
		{"#ffffff", "#ffffff", 1},
		{"#767676", "#ffffff", 4.54},
		{"#777777", "#ffffff", 4.48},
		{"#0000ff", "#ffffff", 8.59},
		{"#ff0000", "#ffffff", 4.00},
	} {
		a, _ := parseHex(tc.a)
		b, _ := parseHex(tc.b)
		if got := contrast(a, b); math.Abs(got-tc.want) > 0.01 {
			t.Errorf("contrast(%s, %s) = %.3f, want %.2f", tc.a, tc.b, got, tc.want)
		}
	}
}

func TestBrandThemesStayAA(t *testing.T) {
	// Colours that fail as they are: too light for a light page (yellow,
	// pale pink), too dark for a dark one (navy), mid-grey that fails both
	// ways, and the extremes.
	for _, hex := range []string{"#ffd400", "#ffc0cb", "#001f3f", "#808080", "#777777", "#ffffff", "#000000", "#0b5cad", "#e4002b"} {
		c, ok := parseHex(hex)
		if !ok {
			t.Fatalf("parseHex(%s) failed", hex)
		}
		light, dark := brandThemes(c)
		for _, tc := range []struct {
			name string
			th   brandTheme
			bgs  []rgb
		}{{"light", light, lightBackgrounds}, {"dark", dark, darkBackgrounds}} {
			if got := contrast(tc.th.AccentText, tc.th.Accent); got < minContrast {
				t.Errorf("%s %s: text %s on accent %s = %.2f, want ≥ 4.5", hex, tc.name, tc.th.AccentText.hex(), tc.th.Accent.hex(), got)
			}
			for _, bg := range tc.bgs {
				if got := contrast(tc.th.Accent, bg); got < minContrast {
					t.Errorf("%s %s: accent %s on %s = %.2f, want ≥ 4.5", hex, tc.name, tc.th.Accent.hex(), bg.hex(), got)
				}
			}
		}
	}
}

func TestBrandThemesKeepAGoodColour(t *testing.T) {
	// A colour that already passes on light backgrounds is used unchanged.
	c, _ := parseHex("#0b5cad")
	if light, _ := brandThemes(c); light.Accent != c || light.AccentText != white {
		t.Fatalf("light theme of #0b5cad = %s on %s, want white on #0b5cad unchanged", light.AccentText.hex(), light.Accent.hex())
	}
	// A yellow is darkened, not replaced: it keeps more red than blue.
	y, _ := parseHex("#ffd400")
	if light, _ := brandThemes(y); light.Accent == y || light.Accent.r <= light.Accent.b {
		t.Fatalf("light theme of #ffd400 = %s, want a darker yellow", light.Accent.hex())
	}
}
