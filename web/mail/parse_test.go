package mail

import (
	"io"
	"strings"
	"testing"

	"safedesk/web/mail/mailtest"
)

func TestParseFixtures(t *testing.T) {
	for _, tt := range []struct {
		file        string
		from        string
		subject     string
		text        []string // in Text
		notText     []string // not in Text, but in FullText when quoted
		notAnywhere []string // in neither
		quoted      bool     // FullText is longer than Text
		files       []string
		check       func(*testing.T, *Parsed)
	}{
		{file: "gmail-new.eml", from: "anna.berg@example.com", subject: "Grinder arrived cracked – order 10234",
			text: []string{"Could you send a replacement?", "Viele Grüße"}, notAnywhere: []string{"<div", "<br>"},
			check: func(t *testing.T, p *Parsed) {
				if p.FromName != "Anna Bérg" || p.MessageID != "CAM8k2x3Hq=gm7F0pE1rWm0Yq+4b-gmail-new@mail.gmail.com" || len(p.AuthResults) != 1 {
					t.Errorf("name %q, id %q, %d Authentication-Results", p.FromName, p.MessageID, len(p.AuthResults))
				}
				if strings.Count(p.Text, "cracked hopper") != 1 {
					t.Errorf("the text and HTML versions are both in the text: %q", p.Text)
				}
			}},
		{file: "gmail-reply.eml", from: "anna.berg@example.com", text: []string{"Kastanienallee 12"},
			notText: []string{"wrote:", "> We are sorry"}, quoted: true,
			check: func(t *testing.T, p *Parsed) {
				if len(p.References) != 2 || p.References[0] != "ourid@northwind.example" {
					t.Errorf("references %v: want In-Reply-To first", p.References)
				}
				if tok := ReplyTokens(p.Recipients, "support@northwind.example"); len(tok) != 2 || tok[0] != "tok" {
					t.Errorf("tokens %v (recipients %v)", tok, p.Recipients)
				}
			}},
		{file: "outlook-reply.eml", from: "carl.dahl@contoso.example", subject: "AW: Ihre Anfrage [#7]",
			text: []string{"die Mühle funktioniert wieder", "Schönen Dank für", "Grüße"}, notText: []string{"Sent: Monday", "descaling"}, quoted: true,
			check: func(t *testing.T, p *Parsed) {
				if p.FromName != "Carl Dahl" || !strings.HasPrefix(p.AuthResults[0], "spf=pass") {
					t.Errorf("name %q, results %q", p.FromName, p.AuthResults)
				}
			}},
		{file: "apple-reply.eml", from: "anna.berg@example.com", text: []string{"if I am not at home."},
			notText: []string{"wrote:", "We are sorry"}, quoted: true,
			check: func(t *testing.T, p *Parsed) {
				if len(p.References) != 3 || p.References[1] != "ourid@northwind.example" {
					t.Errorf("references %v: want In-Reply-To, then References newest first", p.References)
				}
			}},
		{file: "attachments.eml", from: "anna.berg@example.com", text: []string{"a photo of the hopper"},
			notText: []string{"Kastanienallee"}, quoted: true, files: []string{"hopper.jpg", "Rechnung März.pdf", "label-printer-setup.exe"}},
		{file: "html-only-script.eml", from: "orders@shop-partner.example",
			text:        []string{"Dear team,", "12 grinders & 3 kettles", "our prices <https://shop-partner.example/prices>", "- Grinder G2", "Kind regards – José"},
			notAnywhere: []string{"alert", "document.cookie", "evil.example", "<p", "color: red", "steal", "javascript:", "track.example", "Order\n"}},
		{file: "out-of-office.eml", from: "anna.berg@example.com", text: []string{"out of the office"},
			check: func(t *testing.T, p *Parsed) {
				if p.Loop.AutoSubmitted != "auto-replied" || p.Loop.XAutoResponseSuppress != "All" {
					t.Errorf("loop headers %+v", p.Loop)
				}
			}},
		{file: "dsn-bounce.eml", from: "MAILER-DAEMON@mx.northwind.example",
			check: func(t *testing.T, p *Parsed) {
				if p.Bounce == nil || p.Bounce.Status != "5.1.1" || len(p.Bounce.Original) != 1 || p.Bounce.Original[0] != "ourid@northwind.example" {
					t.Errorf("bounce %+v", p.Bounce)
				}
				if !p.Loop.HasReturnPath || p.Loop.ReturnPath != "" {
					t.Errorf("return path %+v: want an empty one", p.Loop)
				}
			}},
		{file: "forged-pass-below.eml", from: "anna.berg@example.com",
			check: func(t *testing.T, p *Parsed) {
				if len(p.AuthResults) != 2 || !strings.Contains(p.AuthResults[0], "dmarc=fail") {
					t.Errorf("results %q: want both, the receiver's first", p.AuthResults)
				}
			}},
	} {
		t.Run(tt.file, func(t *testing.T) {
			raw := mailtest.Fixture(t, tt.file, "TOKEN", "tok", "OURID", "ourid@northwind.example", "ID", "7")
			var files []string
			p, err := ParseMessage(raw, func(a Attachment) error {
				b, err := io.ReadAll(a.Body)
				if len(b) == 0 {
					t.Errorf("%s: empty", a.Name)
				}
				files = append(files, a.Name)
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(p.From) != 1 || p.From[0] != tt.from {
				t.Errorf("from %v, want %s", p.From, tt.from)
			}
			if tt.subject != "" && p.Subject != tt.subject {
				t.Errorf("subject %q, want %q", p.Subject, tt.subject)
			}
			for _, s := range tt.text {
				if !strings.Contains(p.Text, s) {
					t.Errorf("text %q lacks %q", p.Text, s)
				}
			}
			for _, s := range tt.notText {
				if strings.Contains(p.Text, s) || !strings.Contains(p.FullText, s) {
					t.Errorf("%q: want it trimmed from the text but in the full text\ntext: %q\nfull: %q", s, p.Text, p.FullText)
				}
			}
			for _, s := range tt.notAnywhere {
				if strings.Contains(p.FullText, s) {
					t.Errorf("%q is in the text: %q", s, p.FullText)
				}
			}
			if quoted := p.FullText != p.Text; quoted != tt.quoted {
				t.Errorf("quoted %v, want %v", quoted, tt.quoted)
			}
			if strings.Join(files, "|") != strings.Join(tt.files, "|") || p.Attachments != len(tt.files) {
				t.Errorf("files %q (%d), want %q", files, p.Attachments, tt.files)
			}
			if tt.check != nil {
				tt.check(t, p)
			}
		})
	}
}

func TestParseBodyHash(t *testing.T) {
	a := mailtest.Fixture(t, "gmail-new.eml")
	b := append([]byte("Delivered-To: other@northwind.example\r\nReceived: from somewhere\r\n"), a...)
	pa, err := ParseMessage(a, nil)
	if err != nil {
		t.Fatal(err)
	}
	pb, err := ParseMessage(b, nil)
	if err != nil {
		t.Fatal(err)
	}
	if pa.BodyHash != pb.BodyHash {
		t.Error("a second delivery with other trace headers hashes differently")
	}
}

func TestParseBadInput(t *testing.T) {
	for name, raw := range map[string]string{
		"no header":         "just text, no header at all",
		"deep multipart":    strings.Repeat("Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n", 40) + "text",
		"unknown charset":   "From: a@example.com\r\nContent-Type: text/plain; charset=x-klingon\r\n\r\nqapla'",
		"broken encoding":   "From: a@example.com\r\nContent-Transfer-Encoding: x-rot13\r\n\r\nuryyb",
		"unclosed boundary": "From: a@example.com\r\nContent-Type: multipart/mixed; boundary=zz\r\n\r\n--zz\r\nContent-Type: text/plain\r\n\r\nhello",
	} {
		t.Run(name, func(t *testing.T) {
			// Whatever comes back, it must not panic or hang.
			if p, err := ParseMessage([]byte(raw), nil); err == nil && p == nil {
				t.Error("no result and no error")
			}
		})
	}
}

// TestParseCharsets: bodies and encoded subjects in the charsets mail
// programs still send (Cyrillic KOI8-R, Japanese Shift_JIS and
// ISO-2022-JP, Chinese GB2312 in an HTML-only mail) become UTF-8 text; a
// charset nobody knows keeps its text as it came rather than losing it.
func TestParseCharsets(t *testing.T) {
	for _, tt := range []struct {
		name, raw, subject, text string
	}{
		{"KOI8-R", "Subject: =?koi8-r?B?8NLJ18XU?=\r\nContent-Type: text/plain; charset=koi8-r\r\nContent-Transfer-Encoding: base64\r\n\r\n8NLJ18XU\r\n",
			"Привет", "Привет"},
		{"Shift_JIS", "Subject: =?Shift_JIS?B?grGC8YLJgr+CzQ==?=\r\nContent-Type: text/plain; charset=Shift_JIS\r\nContent-Transfer-Encoding: base64\r\n\r\ngrGC8YLJgr+CzQ==\r\n",
			"こんにちは", "こんにちは"},
		{"ISO-2022-JP", "Subject: =?ISO-2022-JP?B?GyRCJDMkcyRLJEEkTxsoQg==?=\r\nContent-Type: text/plain; charset=ISO-2022-JP\r\n\r\n\x1b$B$3$s$K$A$O\x1b(B\r\n",
			"こんにちは", "こんにちは"},
		{"GB2312 HTML only", "Subject: Order\r\nContent-Type: text/html; charset=gb2312\r\nContent-Transfer-Encoding: base64\r\n\r\nPHA+xOO6wzwvcD4=\r\n",
			"Order", "你好"},
		{"unknown charset", "Subject: Order\r\nContent-Type: text/plain; charset=x-unknown\r\n\r\nBody text here\r\n",
			"Order", "Body text here"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParseMessage([]byte("From: a@example.com\r\n"+tt.raw), nil)
			if err != nil || p.Subject != tt.subject || p.Text != tt.text {
				t.Errorf("subject %q, text %q, %v; want %q, %q", p.Subject, p.Text, err, tt.subject, tt.text)
			}
		})
	}
}
