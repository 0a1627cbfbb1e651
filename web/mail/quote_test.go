package mail

import "testing"

func TestTrimQuoted(t *testing.T) {
	for _, tt := range []struct{ name, in, want string }{
		{"nothing to trim", "Hello,\nthe grinder is broken.\n\nAnna", "Hello,\nthe grinder is broken.\n\nAnna"},
		{"Gmail, wrapped attribution", "Thanks!\n\nOn Mon, 7 Dec 2026 at 15:40, Northwind support <support@northwind.example>\nwrote:\n\n> old text", "Thanks!"},
		{"German Gmail", "Danke!\n\nAm Mo., 7. Dez. 2026 um 15:40 Uhr schrieb Northwind <s@n.example>:\n> alt", "Danke!"},
		{"French", "Merci\n\nLe lun. 7 déc. 2026 à 15:40, Northwind <s@n.example> a écrit :\n> vieux", "Merci"},
		{"Outlook header block", "Works now.\n\n________________________________\nFrom: Northwind <s@n.example>\nSent: Monday, December 7, 2026 4:10 PM\nTo: Carl\nSubject: Re: x\n\nold", "Works now."},
		{"Outlook without the line", "Works now.\n\nFrom: Northwind <s@n.example>\nSent: Monday\nTo: Carl\nSubject: Re: x\n\nold", "Works now."},
		{"German Outlook", "Geht.\n\nVon: Northwind <s@n.example>\nGesendet: Montag\nAn: Carl\nBetreff: x\n\nalt", "Geht."},
		{"Original Message", "Fine.\n\n-----Original Message-----\nFrom: x\nold", "Fine."},
		{"trailing quote block", "Yes please.\n\n> Shall we send a new one?\n> Regards", "Yes please."},
		{"inline answers are kept", "> Which colour?\nRed.\n> Which size?\nLarge.", "> Which colour?\nRed.\n> Which size?\nLarge."},
		{"signature", "See you.\n-- \nAnna Berg\nKastanienallee 12", "See you."},
		{"signature without the space", "See you.\n--\nAnna Berg", "See you."},
		{"Sent from my iPhone", "Ok\n\nSent from my iPhone", "Ok"},
		{"a 'From:' line in the text is not a header block", "From: the shop in Berlin\nI bought it there.", "From: the shop in Berlin\nI bought it there."},
		{"quote first (bottom posting) keeps everything", "On Mon, Anna wrote:\n> question\nanswer", "On Mon, Anna wrote:\n> question\nanswer"},
		{"only a quote keeps everything", "> forwarded text", "> forwarded text"},
		{"Windows line ends", "Thanks!\r\n\r\nOn Mon, 7 Dec 2026, Anna <a@example.com> wrote:\r\n> x", "Thanks!"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := TrimQuoted(tt.in); got != tt.want {
				t.Errorf("TrimQuoted:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestHTMLToText(t *testing.T) {
	for _, tt := range []struct{ name, in, want string }{
		{"paragraphs and breaks", "<p>One</p><p>Two<br>Three</p>", "One\n\nTwo\nThree"},
		{"entities", "<p>Tom &amp; Jerry &lt;3 &eacute;</p>", "Tom & Jerry <3 é"},
		{"script and style vanish", "<style>p{}</style><p>Hi</p><script>alert(1)</script>", "Hi"},
		{"a link's address follows its words", `<a href="https://x.example/a">docs</a>`, "docs <https://x.example/a>"},
		{"a bare link is not repeated", `<a href="https://x.example/">https://x.example/</a>`, "https://x.example/"},
		{"javascript links lose their target", `<a href="javascript:evil()">click</a>`, "click"},
		{"lists", "<ul><li>a</li><li>b</li></ul>", "- a\n- b"},
		{"inline words keep their spaces", "<p>Hello <b>dear</b> friend</p>", "Hello dear friend"},
		{"image alt text", `<img src="x.png" alt="logo">`, "[logo]"},
		{"broken markup", "<p>open <b>never closed", "open never closed"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if got := HTMLToText(tt.in); got != tt.want {
				t.Errorf("HTMLToText(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestReplySubject(t *testing.T) {
	for in, want := range map[string]string{
		"Grinder arrived cracked":     "Re: Grinder arrived cracked [#42]",
		"Re: Grinder arrived cracked": "Re: Grinder arrived cracked [#42]",
		"AW: RE: Grinder [#42]":       "Re: Grinder [#42]",
		"Re: [#42] Grinder":           "Re: Grinder [#42]",
		"Grinder [#41]":               "Re: Grinder [#41] [#42]",
	} {
		if got := ReplySubject(in, 42); got != want {
			t.Errorf("ReplySubject(%q) = %q, want %q", in, got, want)
		}
	}
}
