package security

import "testing"

func TestFoldAccent(t *testing.T) {
	for in, want := range map[rune]rune{
		'A': 'a', 'É': 'e', 'ü': 'u', 'ß': 's', 'Ł': 'l', 'ł': 'l', 'č': 'c', 'ő': 'o', 'Ž': 'z',
		'Æ': 'a', '×': '×', '÷': '÷', // signs stay signs
		'я': 'я', 'α': 'α', 'Ω': 'ω', // other scripts keep their letters: the index does too
		'１': '１', '7': '7',
	} {
		if got := FoldAccent(in); got != want {
			t.Errorf("FoldAccent(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestSkeleton(t *testing.T) {
	for in, want := range map[string]string{
		"  Héllo\t\n WORLD  ":                 "hello world",
		"ｆｕｌｌ－ｗｉｄｔｈ":                          "full-width",
		"zero\u200bwidth\u2060joiner\ufeff":   "zerowidthjoiner",
		"Ⓐⓓⓜⓘⓝ 𝟏𝟐":                            "admin 12",
		"рaураl":                              "paypal", // Cyrillic р, у, а
		"Zażółć gęślą jaźń":                   "zazolc gesla jazn",
		"it\u2019s e\u0301te\u0301":           "it's ete", // a typographic apostrophe; combining accents
		"":                                    "",
		"\x00control\x7f characters\u0085 go": "control characters go",
	} {
		if got := Skeleton(in); got != want {
			t.Errorf("Skeleton(%q) = %q, want %q", in, got, want)
		}
	}
}
