package security

import (
	"slices"
	"strings"
	"testing"
)

// typedSecrets are card numbers, IBANs and passwords written the way people
// really type or paste them (pentest F2 and F3): every one must be removed,
// and nothing else of the message may change.
var typedSecrets = []struct {
	name   string
	text   string // the message; secret is the part that must go
	secret string
	kind   Kind
}{
	// card numbers: separators
	{"card dots", "my card is 4111.1111.1111.1111", "4111.1111.1111.1111", KindCard},
	{"card slashes", "my card is 4111/1111/1111/1111", "4111/1111/1111/1111", KindCard},
	{"card underscores", "my card is 4111_1111_1111_1111", "4111_1111_1111_1111", KindCard},
	{"card commas", "my card is 4111,1111,1111,1111", "4111,1111,1111,1111", KindCard},
	{"card comma space", "my card is 4111, 1111, 1111, 1111 ok", "4111, 1111, 1111, 1111", KindCard},
	{"card double spaces", "my card is 4111  1111  1111  1111", "4111  1111  1111  1111", KindCard},
	{"card spaced dash", "my card is 4111 - 1111 - 1111 - 1111", "4111 - 1111 - 1111 - 1111", KindCard},
	{"card spaced dot", "card 4111 . 1111 . 1111 . 1111", "4111 . 1111 . 1111 . 1111", KindCard},
	{"card double dash", "card 4111--1111--1111--1111", "4111--1111--1111--1111", KindCard},
	{"card tabs", "my card is 4111\t1111\t1111\t1111", "4111\t1111\t1111\t1111", KindCard},
	{"card tab dash tab", "card 4111\t-\t1111\t-\t1111\t-\t1111", "4111\t-\t1111\t-\t1111\t-\t1111", KindCard},
	{"card mixed separators", "card 4111 1111.1111-1111", "4111 1111.1111-1111", KindCard},
	{"card after a colon", "card:4111.1111.1111.1111", "4111.1111.1111.1111", KindCard},
	{"mastercard slashes", "5555/5555/5555/4444 exp 12/27", "5555/5555/5555/4444", KindCard},
	{"amex dots", "amex 3782.822463.10005", "3782.822463.10005", KindCard},
	{"card en dash", "card 4111\u20131111\u20131111\u20131111", "4111\u20131111\u20131111\u20131111", KindCard},
	{"card minus sign", "card 4111\u22121111\u22121111\u22121111", "4111\u22121111\u22121111\u22121111", KindCard},
	// card numbers: Unicode spaces and invisible characters
	{"card no-break space", "my card is 4111\u00a01111\u00a01111\u00a01111", "4111\u00a01111\u00a01111\u00a01111", KindCard},
	{"card thin space", "my card is 4111\u20091111\u20091111\u20091111", "4111\u20091111\u20091111\u20091111", KindCard},
	{"card narrow no-break space", "card 4111\u202f1111\u202f1111\u202f1111", "4111\u202f1111\u202f1111\u202f1111", KindCard},
	{"card ideographic space", "card 4111\u30001111\u30001111\u30001111", "4111\u30001111\u30001111\u30001111", KindCard},
	{"card zero-width space", "my card is 4111\u200b1111\u200b1111\u200b1111", "4111\u200b1111\u200b1111\u200b1111", KindCard},
	{"card zero-width non-joiner", "card 4111\u200c1111\u200c1111\u200c1111", "4111\u200c1111\u200c1111\u200c1111", KindCard},
	{"card zero-width joiner", "card 4111\u200d1111\u200d1111\u200d1111", "4111\u200d1111\u200d1111\u200d1111", KindCard},
	{"card word joiner", "card 4111\u20601111\u20601111\u20601111", "4111\u20601111\u20601111\u20601111", KindCard},
	{"card byte order mark", "card 4111\ufeff1111\ufeff1111\ufeff1111", "4111\ufeff1111\ufeff1111\ufeff1111", KindCard},
	{"card soft hyphens", "card 4111\u00ad1111\u00ad1111\u00ad1111", "4111\u00ad1111\u00ad1111\u00ad1111", KindCard},
	{"card zero-width inside groups", "card 41\u200b11 11\u200b11 1111 1111", "41\u200b11 11\u200b11 1111 1111", KindCard},
	{"card full-width digits", "my card is ４１１１１１１１１１１１１１１１", "４１１１１１１１１１１１１１１１", KindCard},
	{"card full-width spaced", "card ４１１１　１１１１　１１１１　１１１１", "４１１１　１１１１　１１１１　１１１１", KindCard},
	{"card mathematical digits", "card 𝟒𝟏𝟏𝟏 𝟏𝟏𝟏𝟏 𝟏𝟏𝟏𝟏 𝟏𝟏𝟏𝟏", "𝟒𝟏𝟏𝟏 𝟏𝟏𝟏𝟏 𝟏𝟏𝟏𝟏 𝟏𝟏𝟏𝟏", KindCard},
	// IBANs
	{"iban dashes", "my iban is DE89-3704-0044-0532-0130-00", "DE89-3704-0044-0532-0130-00", KindIBAN},
	{"iban dots", "my iban is DE89.3704.0044.0532.0130.00", "DE89.3704.0044.0532.0130.00", KindIBAN},
	{"iban country apart", "my iban is DE 89 3704 0044 0532 0130 00", "DE 89 3704 0044 0532 0130 00", KindIBAN},
	{"iban slashes", "iban DE89/3704/0044/0532/0130/00 thanks", "DE89/3704/0044/0532/0130/00", KindIBAN},
	{"iban underscores", "iban DE89_3704_0044_0532_0130_00", "DE89_3704_0044_0532_0130_00", KindIBAN},
	{"iban double spaces", "iban DE89  3704  0044  0532  0130  00", "DE89  3704  0044  0532  0130  00", KindIBAN},
	{"iban tabs", "iban DE89\t3704\t0044\t0532\t0130\t00", "DE89\t3704\t0044\t0532\t0130\t00", KindIBAN},
	{"iban spaced dashes", "iban DE89 - 3704 - 0044 - 0532 - 0130 - 00", "DE89 - 3704 - 0044 - 0532 - 0130 - 00", KindIBAN},
	{"iban mixed", "iban DE 89 3704-0044 0532.0130 00", "DE 89 3704-0044 0532.0130 00", KindIBAN},
	{"iban no-break spaces", "iban DE89\u00a03704\u00a00044\u00a00532\u00a00130\u00a000", "DE89\u00a03704\u00a00044\u00a00532\u00a00130\u00a000", KindIBAN},
	{"iban zero-width", "iban DE89\u200b3704\u200b0044\u200b0532\u200b0130\u200b00", "DE89\u200b3704\u200b0044\u200b0532\u200b0130\u200b00", KindIBAN},
	{"iban full-width", "iban ＤＥ８９　３７０４　００４４　０５３２　０１３０　００", "ＤＥ８９　３７０４　００４４　０５３２　０１３０　００", KindIBAN},
	{"iban bank code dashes", "GB82-WEST-1234-5698-7654-32 is mine", "GB82-WEST-1234-5698-7654-32", KindIBAN},
	{"iban dutch dots", "NL91.ABNA.0417.1643.00", "NL91.ABNA.0417.1643.00", KindIBAN},
	{"iban french dots", "FR14.2004.1010.0505.0001.3M02.606", "FR14.2004.1010.0505.0001.3M02.606", KindIBAN},
	// passwords shaped like addresses
	{"password colon address shape", "password:P@ssw0rd.1", "P@ssw0rd.1", KindPassword},
	{"pw equals address shape", "pw=S3cr3t@home.net", "S3cr3t@home.net", KindPassword},
	{"pw colon space address", "pw: S3cr3t@home.net", "S3cr3t@home.net", KindPassword},
	{"passwort address shape", "Passwort:Geheim@firma.de", "Geheim@firma.de", KindPassword},
	{"full-width cue", "ｐａｓｓｗｏｒｄ：hunter22", "hunter22", KindPassword},
}

func TestRedactTypedVariants(t *testing.T) {
	if len(typedSecrets) < 40 {
		t.Fatalf("%d variants, want at least 40", len(typedSecrets))
	}
	for _, tt := range typedSecrets {
		t.Run(tt.name, func(t *testing.T) {
			at := strings.Index(tt.text, tt.secret)
			if at < 0 {
				t.Fatalf("bad test: %q not in %q", tt.secret, tt.text)
			}
			got, fs := Redact(tt.text)
			want := tt.text[:at] + piiPlaceholders[tt.kind] + tt.text[at+len(tt.secret):]
			if got != want {
				t.Errorf("Redact(%q)\n got %q\nwant %q", tt.text, got, want)
			}
			if len(fs) != 1 || fs[0].Kind != tt.kind {
				t.Errorf("findings %v, want one %s", fs, tt.kind)
			}
			if slices.ContainsFunc(Scan(tt.text), func(f Finding) bool { return f.Kind == KindEmail }) {
				t.Errorf("Scan(%q) reads an email address", tt.text)
			}
		})
	}
}

func TestRedactKeepsTheCustomersCharacters(t *testing.T) {
	tests := []struct{ text, want string }{
		{"Ｍｙ card: ４１１１ １１１１ １１１１ １１１１ — merci, café\u00a0!",
			"Ｍｙ card: [card number removed] — merci, café\u00a0!"},
		{"Hello\u00a0there,\tcard\u200b 4111\u20091111\u20091111\u20091111, thanks\u2009!",
			"Hello\u00a0there,\tcard\u200b [card number removed], thanks\u2009!"},
		{"ｉｂａｎ：DE89.3704.0044.0532.0130.00 ✓", "ｉｂａｎ：[IBAN removed] ✓"},
		{"Ｃａｌｌ ＋４４ ２０ ７９４６ ０９５８", "Ｃａｌｌ ＋４４ ２０ ７９４６ ０９５８"}, // phone numbers are kept
	}
	for _, tt := range tests {
		if got, _ := Redact(tt.text); got != tt.want {
			t.Errorf("Redact(%q)\n got %q\nwant %q", tt.text, got, tt.want)
		}
	}
	if got, want := RedactLog("Ｃａｌｌ ＋４４ ２０ ７９４６ ０９５８"), "Ｃａｌｌ ＋** ** **** **５８"; got != want {
		t.Errorf("RedactLog masks full-width digits: %q, want %q", got, want)
	}
}

func TestTypedNumbersThatAreNotSecrets(t *testing.T) {
	for _, text := range []string{
		"call me between 10.30 and 11.45, order 4711/2024",
		"prices 4.99, 14.99 and 1,299.00",
		"delivery 12.05.2024 - 15.05.2024, invoice 2024/0815",
		"IDs 1234_5678_9012_3456 and 1234.5678.9012.3456", // no issuer
		"card 4111.1111.1111.1112 was declined",           // fails Luhn
		"at 12 have some 1234 5678 tea and 9012 cups",
		"de 12 a 34 kilos, 5678 9012",
		"IBAN DE89-3704-0044-0532-0130-01", // bad checksum
		"GB82 WEST 1234 5698 7654 32XY",    // glued to a word
		"sizes 38,40,42,44,46 and 48",
		"our phone is\u00a0+44\u00a020\u00a07946\u00a00958",
	} {
		if got := scanned(text); slices.ContainsFunc(got, func(f found) bool { return f.kind.secret() }) {
			t.Errorf("Scan(%q) = %v, want no secret", text, got)
		}
	}
}

func TestFoldText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain ascii", "plain ascii"},
		{"a\tb", "a b"},
		{"４１\u00a0１\u2009１\u200b１", "41 1 11"},
		{"ﬁne \u2013 ok", "fine - ok"},
		{"zero\u200bwidth", "zerowidth"},
		{"line\nbreak", "line\nbreak"},
	}
	for _, tt := range tests {
		f := FoldText(tt.in)
		if f.Text != tt.want {
			t.Errorf("FoldText(%q) = %q, want %q", tt.in, f.Text, tt.want)
		}
		if s, e := f.Span(0, len(f.Text)); s != 0 || e != len(tt.in) {
			t.Errorf("FoldText(%q).Span(all) = %d, %d; want 0, %d", tt.in, s, e, len(tt.in))
		}
	}
	f := FoldText("ａ４１１")
	if s, e := f.Span(1, 3); s != 3 || e != 9 {
		t.Errorf("Span(1, 3) = %d, %d; want 3, 9", s, e)
	}
}

func TestKindSet(t *testing.T) {
	var set KindSet
	for _, k := range []Kind{KindPassword, KindCard, KindCard, KindEmail} {
		set.Add(k)
	}
	if got, want := set.Kinds(), []Kind{KindCard, KindPassword, KindEmail}; !slices.Equal(got, want) {
		t.Errorf("Kinds() = %v, want %v", got, want)
	}
	if !set.Has(KindCard) || set.Has(KindIBAN) {
		t.Errorf("Has: card %v, iban %v", set.Has(KindCard), set.Has(KindIBAN))
	}
}
