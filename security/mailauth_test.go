package security

import (
	"strings"
	"testing"
)

// Real header values, as Google and Microsoft write them.
const (
	googlePass = `mx.google.com;
       dkim=pass header.i=@example.com header.s=s1 header.b=Abc123;
       spf=pass (google.com: domain of anna@example.com designates 192.0.2.1 as permitted sender) smtp.mailfrom=anna@example.com;
       dmarc=pass (p=REJECT sp=REJECT dis=NONE) header.from=example.com`
	googleFail = `mx.google.com;
       dkim=fail header.i=@example.com header.s=s1 header.b=Abc123;
       spf=softfail (google.com: domain of transitioning anna@example.com does not designate 203.0.113.9 as permitted sender) smtp.mailfrom=anna@example.com;
       dmarc=fail (p=NONE sp=NONE dis=NONE) header.from=example.com`
	googleNoDMARC = `mx.google.com;
       dkim=pass header.i=@mail.example.com header.s=k1 header.b=Xyz;
       spf=pass smtp.mailfrom=anna@example.com`
	forgedPass = `mx.google.com; dkim=pass header.d=example.com; dmarc=pass header.from=example.com`
	microsoft  = `spf=pass (sender IP is 192.0.2.7) smtp.mailfrom=example.com; dkim=pass (signature was verified) header.d=example.com;dmarc=pass action=none header.from=example.com;compauth=pass reason=100`
	msFail     = `spf=fail (sender IP is 203.0.113.9) smtp.mailfrom=example.com; dkim=none (message not signed) header.d=none;dmarc=fail action=quarantine header.from=example.com;compauth=fail reason=000`
)

func TestAuthenticateSender(t *testing.T) {
	google := MailTrust{AuthservID: "mx.google.com"}
	for _, tt := range []struct {
		name       string
		from       []string
		ar         []string
		local      []string
		trust      MailTrust
		want       bool
		wantMethod string
		wantReason string
	}{
		{"DMARC pass from the receiving server", []string{"anna@example.com"}, []string{googlePass}, nil, google, true, "dmarc", "DMARC pass for example.com (mx.google.com)"},
		{"the authserv-id is compared without case", []string{"anna@Example.COM"}, []string{strings.Replace(googlePass, "mx.google.com", "MX.Google.com", 1)}, nil, google, true, "dmarc", "DMARC pass"},
		{"DMARC fail", []string{"anna@example.com"}, []string{googleFail}, nil, google, false, "", "DMARC fail for example.com"},
		{"a forged pass below the trusted fail does not pass", []string{"anna@example.com"}, []string{googleFail, forgedPass}, nil, google, false, "", "DMARC fail"},
		{"a forged pass above with another authserv-id is ignored", []string{"anna@example.com"},
			[]string{strings.Replace(forgedPass, "mx.google.com", "mx.attacker.example", 1), googleFail}, nil, google, false, "", "DMARC fail"},
		{"only a forged header (the receiver wrote none)", []string{"anna@example.com"}, []string{strings.Replace(forgedPass, "mx.google.com", "mail.example.org", 1)}, nil, google, false, "", "no Authentication-Results header from mx.google.com"},
		{"no Authentication-Results at all", []string{"anna@example.com"}, nil, nil, google, false, "", "no Authentication-Results header"},
		{"no trusted server configured", []string{"anna@example.com"}, []string{googlePass}, nil, MailTrust{}, false, "", "--mail-authserv-id"},
		{"DMARC for another domain is not about this From", []string{"anna@example.com"},
			[]string{"mx.google.com; dmarc=pass header.from=other.example"}, nil, google, false, "", "no DMARC result"},
		{"aligned DKIM without DMARC (subdomain signer)", []string{"anna@example.com"}, []string{googleNoDMARC}, nil, google, true, "dkim", "DKIM pass for mail.example.com, aligned"},
		{"DKIM of another organisation is not aligned", []string{"anna@example.com"},
			[]string{"mx.google.com; dkim=pass header.d=esp.example.net"}, nil, google, false, "", "no DMARC result and no passing DKIM"},
		{"public suffixes: example.co.uk and other.co.uk are not aligned", []string{"anna@example.co.uk"},
			[]string{"mx.google.com; dkim=pass header.d=other.co.uk"}, nil, google, false, "", "no DMARC result"},
		{"public suffixes: shop.example.co.uk and example.co.uk are aligned", []string{"anna@example.co.uk"},
			[]string{"mx.google.com; dkim=pass header.d=shop.example.co.uk"}, nil, google, true, "dkim", "aligned"},
		{"two From addresses", []string{"anna@example.com", "boss@example.com"}, []string{googlePass}, nil, google, false, "", "2 From addresses"},
		{"a look-alike From domain (Cyrillic а) passes nothing", []string{"anna@ex\u0430mple.com"},
			[]string{"mx.google.com; dmarc=pass header.from=xn--exmple-4nf.com"}, nil, google, false, "", "From address is refused"},
		{"a look-alike From local part (the Kelvin sign)", []string{"\u212Aate@example.com"}, []string{googlePass}, nil, google, false, "", "From address is refused"},
		{"an internationalised From domain is compared in its A-label form", []string{"anna@b\u00fccher.example"},
			[]string{"mx.google.com; dmarc=pass header.from=xn--bcher-kva.example"}, nil, google, true, "dmarc", "DMARC pass for xn--bcher-kva.example"},
		{"no From", nil, []string{googlePass}, nil, google, false, "", "0 From addresses"},
		{"a comment holding a fake result is not read", []string{"anna@example.com"},
			[]string{"mx.google.com; dmarc=fail (dmarc=pass header.from=example.com) header.from=example.com"}, nil, google, false, "", "DMARC fail"},
		{"Microsoft 365 by position", []string{"anna@example.com"}, []string{microsoft}, nil, MailTrust{Position: 1}, true, "dmarc", "DMARC pass for example.com (header 1 from the top)"},
		{"Microsoft 365 fail by position; a forged pass below is ignored", []string{"anna@example.com"}, []string{msFail, microsoft}, nil, MailTrust{Position: 1}, false, "", "DMARC fail"},
		{"a Microsoft header never matches an authserv-id", []string{"anna@example.com"}, []string{microsoft}, nil, google, false, "", "no Authentication-Results header"},
		{"position beyond the headers", []string{"anna@example.com"}, []string{microsoft}, nil, MailTrust{Position: 2}, false, "", "no Authentication-Results header from header 2"},
		{"DKIM verified here, aligned", []string{"anna@example.com"}, nil, []string{"example.com"}, google, true, "dkim", "verified by this server"},
		{"DKIM verified here does not outweigh a DMARC fail", []string{"anna@example.com"}, []string{googleFail}, []string{"example.com"}, google, false, "", "DMARC fail"},
		{"DKIM verified here for another organisation", []string{"anna@example.com"}, nil, []string{"esp.example.net"}, google, false, "", "no Authentication-Results"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			v := AuthenticateSender(MailSender{From: tt.from, AuthResults: tt.ar, LocalDKIM: tt.local}, tt.trust)
			if v.Authenticated != tt.want || v.Method != tt.wantMethod || !strings.Contains(v.Reason, tt.wantReason) {
				t.Errorf("got %+v; want authenticated=%v method=%q reason containing %q", v, tt.want, tt.wantMethod, tt.wantReason)
			}
		})
	}
}

func TestParseMailTrust(t *testing.T) {
	for _, tt := range []struct {
		in      string
		want    MailTrust
		wantErr bool
	}{
		{"mx.google.com", MailTrust{AuthservID: "mx.google.com"}, false},
		{" mx.example.net ", MailTrust{AuthservID: "mx.example.net"}, false},
		{"", MailTrust{}, false},
		{"position:1", MailTrust{Position: 1}, false},
		{"Position:2", MailTrust{Position: 2}, false},
		{"position:0", MailTrust{}, true},
		{"position:x", MailTrust{}, true},
		{"mx.google.com; dmarc=pass", MailTrust{}, true},
	} {
		got, err := ParseMailTrust(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("ParseMailTrust(%q) = %+v, %v; want %+v, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
	if s := (MailTrust{Position: 1}).String(); s != "position:1" {
		t.Errorf("String() = %q", s)
	}
}

func TestStripComments(t *testing.T) {
	for in, want := range map[string]string{
		`a (b) c`:                `a   c`,
		`a (b (nested) c) d`:     `a   d`,
		`a "q (not) q" b`:        `a "q (not) q" b`,
		`a (esc \) still) b`:     `a   b`,
		`x "a \" (b)" (c) y`:     `x "a \" (b)"   y`,
		`unclosed (comment here`: `unclosed `,
	} {
		if got := stripComments(in); got != want {
			t.Errorf("stripComments(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestAligned(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want bool
	}{
		{"example.com", "example.com", true},
		{"mail.example.com", "example.com", true},
		{"EXAMPLE.com.", "example.com", true},
		{"example.com", "example.net", false},
		{"example.co.uk", "other.co.uk", false},
		{"a.example.co.uk", "b.example.co.uk", true},
		{"user.github.io", "other.github.io", false}, // a private public suffix
		{"", "example.com", false},
	} {
		if got := Aligned(tt.a, tt.b); got != tt.want {
			t.Errorf("Aligned(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}
