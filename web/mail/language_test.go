package mail

import (
	"strings"
	"testing"
)

func TestMessageLanguage(t *testing.T) {
	for _, tc := range []struct {
		name, header, part, body, want string
	}{
		{"the header wins over the words", "Content-Language: fr-CA\n", "", "Hello, my grinder is broken and I would like a new one.", "fr"},
		{"the first of the five in a list", "Content-Language: pt-BR, nl\n", "", "ok", "nl"},
		{"the text part's header", "", "Content-Language: es\n", "ok", "es"},
		{"none of the five: the words", "Content-Language: pt\n", "", "Mein Mahlwerk ist kaputt und ich hätte gern ein neues.", "de"},
		{"no header: the words", "", "", "Mijn molen is kapot, kunnen jullie een nieuwe sturen?", "nl"},
		{"nothing to tell by: the site's", "", "", "42", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			raw := "From: a@example.com\nTo: support@example.com\nSubject: x\n" + tc.header +
				"MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain; charset=utf-8\n" + tc.part +
				"\n" + tc.body + "\n--b--\n"
			p, err := ParseMessage([]byte(strings.ReplaceAll(raw, "\n", "\r\n")), nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := messageLanguage(p); got != tc.want {
				t.Errorf("language %q, want %q (tags %v)", got, tc.want, p.Languages)
			}
		})
	}
}
