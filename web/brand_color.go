package web

import (
	"fmt"
	"math"
	"strconv"
)

// rgb is a colour in sRGB, each channel 0–255.
type rgb struct{ r, g, b uint8 }

// parseHex reads "#rrggbb".
func parseHex(s string) (rgb, bool) {
	if len(s) != 7 || s[0] != '#' {
		return rgb{}, false
	}
	v, err := strconv.ParseUint(s[1:], 16, 32)
	if err != nil {
		return rgb{}, false
	}
	return rgb{uint8(v >> 16), uint8(v >> 8), uint8(v)}, true
}

func (c rgb) hex() string { return fmt.Sprintf("#%02x%02x%02x", c.r, c.g, c.b) }

// luminance is WCAG 2's relative luminance of c.
func (c rgb) luminance() float64 {
	lin := func(v uint8) float64 {
		s := float64(v) / 255
		if s <= 0.04045 {
			return s / 12.92
		}
		return math.Pow((s+0.055)/1.055, 2.4)
	}
	return 0.2126*lin(c.r) + 0.7152*lin(c.g) + 0.0722*lin(c.b)
}

// contrast is WCAG 2's contrast ratio of two colours, 1 to 21.
func contrast(a, b rgb) float64 {
	la, lb := a.luminance(), b.luminance()
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

// mix moves c towards target by t (0 keeps c, 1 is target).
func mix(c, target rgb, t float64) rgb {
	m := func(a, b uint8) uint8 { return uint8(math.Round(float64(a) + (float64(b)-float64(a))*t)) }
	return rgb{m(c.r, target.r), m(c.g, target.g), m(c.b, target.b)}
}

// minContrast is WCAG 2.2 AA for normal text.
const minContrast = 4.5

var (
	white = rgb{255, 255, 255}
	black = rgb{0, 0, 0}
)

// readableOn moves c towards target (black on light backgrounds, white on
// dark ones) in small steps until it reaches minContrast against every
// background, so that it can be used for text and for surfaces that carry
// text: the least change that keeps the brand's hue.
func readableOn(c, target rgb, backgrounds ...rgb) rgb {
	for i := 0; i <= 100; i++ {
		m := mix(c, target, float64(i)/100)
		ok := true
		for _, bg := range backgrounds {
			ok = ok && contrast(m, bg) >= minContrast
		}
		if ok {
			return m
		}
	}
	return target
}

// textOn is the text colour for a surface of colour bg: white or black,
// whichever contrasts more (one of them always reaches 4.58:1).
func textOn(bg rgb) rgb {
	if contrast(white, bg) >= contrast(black, bg) {
		return white
	}
	return black
}

// brandTheme is the brand colour adjusted for one theme: Accent for links,
// buttons and brand-coloured surfaces, readable on the theme's page and
// card backgrounds; AccentText the text on Accent.
type brandTheme struct{ Accent, AccentText rgb }

// The page and card backgrounds of static/app.css, light and dark.
var (
	lightBackgrounds = []rgb{{0xf7, 0xf7, 0xf5}, {0xff, 0xff, 0xff}}
	darkBackgrounds  = []rgb{{0x15, 0x18, 0x1b}, {0x1e, 0x22, 0x26}}
)

// brandThemes adjusts a brand colour for the light and the dark theme:
// every combination (accent on the backgrounds, text on the accent)
// reaches WCAG AA, 4.5:1.
func brandThemes(c rgb) (light, dark brandTheme) {
	l := readableOn(c, black, lightBackgrounds...)
	d := readableOn(c, white, darkBackgrounds...)
	return brandTheme{l, textOn(l)}, brandTheme{d, textOn(d)}
}
