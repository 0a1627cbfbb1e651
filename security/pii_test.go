package security

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

// Key-shaped test values are built at run time so that secret scanners do
// not mistake this file for a leak.
var (
	testGitHubToken = "ghp_" + strings.Repeat("a1B2", 9)
	testStripeKey   = "sk_live_" + strings.Repeat("4eC3", 6)
	testOpenAIKey   = "sk-proj-" + strings.Repeat("Xy9_", 10)
	testSlackToken  = "xoxb-" + "123456789012-" + strings.Repeat("AbCd", 6)
	testGoogleKey   = "AIza" + "SyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY"
	testSafedeskKey = "sdk_" + strings.Repeat("Zq7", 11)
	testJWT         = "eyJhbGciOiJIUzI1NiJ9" + ".eyJzdWIiOiIxMjM0NTY3ODkwIn0" + ".dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
	testAgeKey      = "AGE-SECRET-KEY-1" + strings.Repeat("QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L", 2)[:58]
	testPEM         = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmU=\n-----END OPENSSH PRIVATE KEY-----"
)

// found is a finding written as its kind and the text it covers.
type found struct {
	kind Kind
	text string
}

func scanned(text string) []found {
	var got []found
	for _, f := range Scan(text) {
		got = append(got, found{f.Kind, text[f.Start:f.End]})
	}
	return got
}

func TestScan(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []found
	}{
		{"visa spaced", "my card is 4111 1111 1111 1111 thanks", []found{{KindCard, "4111 1111 1111 1111"}}},
		{"visa plain", "4242424242424242", []found{{KindCard, "4242424242424242"}}},
		{"visa dashed", "card: 4111-1111-1111-1111.", []found{{KindCard, "4111-1111-1111-1111"}}},
		{"mastercard", "5555 5555 5555 4444 exp 12/27", []found{{KindCard, "5555 5555 5555 4444"}}},
		{"mastercard 2-series", "use 2223003122003222 please", []found{{KindCard, "2223003122003222"}}},
		{"amex", "amex 3782 822463 10005", []found{{KindCard, "3782 822463 10005"}}},
		{"discover", "(6011111111111117)", []found{{KindCard, "6011111111111117"}}},
		{"jcb", "3530111333300000", []found{{KindCard, "3530111333300000"}}},
		{"diners 14 digits", "30569309025904", []found{{KindCard, "30569309025904"}}},
		{"card then more digits", "4111 1111 1111 1111 123", []found{{KindCard, "4111 1111 1111 1111"}}},
		{"iban spaced", "IBAN: GB82 WEST 1234 5698 7654 32 and thanks", []found{{KindIBAN, "GB82 WEST 1234 5698 7654 32"}}},
		{"iban plain", "DE89370400440532013000", []found{{KindIBAN, "DE89370400440532013000"}}},
		{"iban with letter", "pay FR1420041010050500013M02606.", []found{{KindIBAN, "FR1420041010050500013M02606"}}},
		{"iban dutch", "NL91ABNA0417164300", []found{{KindIBAN, "NL91ABNA0417164300"}}},
		{"iban lower case", "nl91 abna 0417 1643 00", []found{{KindIBAN, "nl91 abna 0417 1643 00"}}},
		{"ssn dashed", "ssn 123-45-6789", []found{{KindSSN, "123-45-6789"}}},
		{"ssn without cue", "it is 123-45-6789.", []found{{KindSSN, "123-45-6789"}}},
		{"ssn undashed with cue", "my SSN is 123456789", []found{{KindSSN, "123456789"}}},
		{"ssn spaced with cue", "social security number 123 45 6789", []found{{KindSSN, "123 45 6789"}}},
		{"password is", "my password is hunter2", []found{{KindPassword, "hunter2"}}},
		{"password colon", "Password: Tr0ub4dor&3", []found{{KindPassword, "Tr0ub4dor&3"}}},
		{"password on next line", "Password:\nhunter22", []found{{KindPassword, "hunter22"}}},
		{"password is now", "my password is now S3cure!pass.", []found{{KindPassword, "S3cure!pass"}}},
		{"password quoted", `the password is "correct horse battery"`, []found{{KindPassword, "correct horse battery"}}},
		{"password json", `{"user":"bob","password": "hunter2"}`, []found{{KindPassword, "hunter2"}}},
		{"pw equals", "login with pw=s3cret", []found{{KindPassword, "s3cret"}}},
		{"passcode", "the passcode is 8812", []found{{KindPassword, "8812"}}},
		{"pin", "my PIN is 1234", []found{{KindPassword, "1234"}}},
		{"pin code", "pin code: 987654", []found{{KindPassword, "987654"}}},
		{"passwort", "Mein Passwort ist Sonnenblume7", []found{{KindPassword, "Sonnenblume7"}}},
		{"mot de passe", "mon mot de passe est soleil42", []found{{KindPassword, "soleil42"}}},
		{"contraseña", "mi contraseña es Mañana123", []found{{KindPassword, "Mañana123"}}},
		{"code is", "the code is 123456", []found{{KindOTP, "123456"}}},
		{"otp", "my otp 123456", []found{{KindOTP, "123456"}}},
		{"2fa code split", "2fa code 123 456", []found{{KindOTP, "123 456"}}},
		{"verification code short", "Verification code: 4821", []found{{KindOTP, "4821"}}},
		{"aws", "key AKIAIOSFODNN7EXAMPLE ok", []found{{KindAPIKey, "AKIAIOSFODNN7EXAMPLE"}}},
		{"github", "token " + testGitHubToken, []found{{KindAPIKey, testGitHubToken}}},
		{"github fine-grained", "github_pat_11ABCDEFG0123456789_abcdefghijklmnop", []found{{KindAPIKey, "github_pat_11ABCDEFG0123456789_abcdefghijklmnop"}}},
		{"stripe", testStripeKey + ".", []found{{KindAPIKey, testStripeKey}}},
		{"slack", testSlackToken, []found{{KindAPIKey, testSlackToken}}},
		{"google", testGoogleKey, []found{{KindAPIKey, testGoogleKey}}},
		{"openai", "OPENAI_KEY=" + testOpenAIKey, []found{{KindAPIKey, testOpenAIKey}}},
		{"bearer", "Authorization: Bearer abcdef0123456789abcdef0123", []found{{KindAPIKey, "abcdef0123456789abcdef0123"}}},
		{"jwt", "cookie " + testJWT, []found{{KindAPIKey, testJWT}}},
		{"safedesk token", testSafedeskKey, []found{{KindAPIKey, testSafedeskKey}}},
		{"pem block", "here:\n" + testPEM + "\nthanks", []found{{KindPrivateKey, testPEM}}},
		{"pem without end", "-----BEGIN RSA PRIVATE KEY-----\nMIIEow", []found{{KindPrivateKey, "-----BEGIN RSA PRIVATE KEY-----\nMIIEow"}}},
		{"age key", "# key\n" + testAgeKey + "\n", []found{{KindPrivateKey, testAgeKey}}},
		{"email", "write to jane.doe+help@example.co.uk.", []found{{KindEmail, "jane.doe+help@example.co.uk"}}},
		{"phone international", "call +44 20 7946 0958 now", []found{{KindPhone, "+44 20 7946 0958"}}},
		{"phone nanp", "(555) 123-4567 or 555.123.4567", []found{{KindPhone, "(555) 123-4567"}, {KindPhone, "555.123.4567"}}},
		{"phone national", "tel 06 12 34 56 78", []found{{KindPhone, "06 12 34 56 78"}}},
		{"several kinds in order", "pw: abc123 card 4242424242424242 mail a@b.io",
			[]found{{KindPassword, "abc123"}, {KindCard, "4242424242424242"}, {KindEmail, "a@b.io"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := scanned(tt.text); !slices.Equal(got, tt.want) {
				t.Errorf("Scan(%q)\n got %v\nwant %v", tt.text, got, tt.want)
			}
		})
	}
}

func TestScanIgnoresOrdinarySupportText(t *testing.T) {
	for _, text := range []string{
		"my order 100234 hasn't arrived",
		"I was charged $1,299.99 on 2024-03-15 at 10:30",
		"delivery between 12.05.2024 and 15/05/2024",
		"tracking number 1Z999AA10123456784",
		"USPS tracking 9400 1000 0000 0000 0000 00",
		"order 113-4567890-1234567 from the store",
		"ticket #48213, see also SD-1042",
		"card 4111 1111 1111 1112 was declined", // fails Luhn
		"number 1234 5678 9012 3456",            // no known issuer
		"IBAN GB82 WEST 1234 5698 7654 33",      // bad checksum
		"account DE89370400440532013001",        // bad checksum
		"serial 000-12-3456, 666-12-3456, 912-34-5678, 123-00-4567, 123-45-0000",
		"my number is 123456789", // nine digits without an SSN cue
		"I forgot my password",
		"what is the password policy?",
		"my password is not working",
		"the password is too short, it says",
		"Password reset link expired",
		"passwords must be 12 characters",
		"the pin is bent on my charger",
		"error code 500 and error code is 403123",
		"zip code is 90210",
		"use discount code SAVE20, or code 1234",
		"my code is not working",
		"the Bearer token expired",
		"version 10.2.3.4 and IP 192.168.100.200",
		"I paid 1,000,000 dollars",
		"Grüße aus München, Bestellung 4711",
		"-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8A\n-----END PUBLIC KEY-----",
		"-----BEGIN CERTIFICATE-----\nMIIDdzCCAl+gAwIBAgIEAgAAuTANBgkq\n-----END CERTIFICATE-----",
		"our task-force and desk_top files",
	} {
		if got := scanned(text); slices.ContainsFunc(got, func(f found) bool { return f.kind.secret() }) {
			t.Errorf("Scan(%q) = %v, want no secret", text, got)
		}
	}
}

func TestScanOverlaps(t *testing.T) {
	tests := []struct {
		name string
		text string
		want []found
	}{
		{"card after password cue", "password: 4111 1111 1111 1111", []found{{KindCard, "4111 1111 1111 1111"}}},
		{"api key as password", "my password is " + testStripeKey, []found{{KindAPIKey, testStripeKey}}},
		{"jwt after bearer", "Bearer " + testJWT, []found{{KindAPIKey, testJWT}}},
		{"secret beats email", "4111111111111111@example.com", []found{{KindCard, "4111111111111111"}}},
		{"cue inside a key block", "-----BEGIN PRIVATE KEY-----\npassword: abc\n-----END PRIVATE KEY-----",
			[]found{{KindPrivateKey, "-----BEGIN PRIVATE KEY-----\npassword: abc\n-----END PRIVATE KEY-----"}}},
		{"iban not read as card", "DE89 3704 0044 0532 0130 00", []found{{KindIBAN, "DE89 3704 0044 0532 0130 00"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := scanned(tt.text); !slices.Equal(got, tt.want) {
				t.Errorf("Scan(%q)\n got %v\nwant %v", tt.text, got, tt.want)
			}
		})
	}
}

func TestScanOffsetsInMultiByteText(t *testing.T) {
	text := "İİ Grüße — 卡号 4111 1111 1111 1111 ✓ Passwort: Schlüssel99 日本 ÀÉÎ pin is 4321"
	got := Scan(text)
	want := []Finding{
		{KindCard, strings.Index(text, "4111"), strings.Index(text, " ✓")},
		{KindPassword, strings.Index(text, "Schlüssel99"), strings.Index(text, " 日本")},
		{KindPassword, strings.Index(text, "4321"), len(text)},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("Scan = %v, want %v", got, want)
	}
	redacted, _ := Redact(text)
	if want := "İİ Grüße — 卡号 [card number removed] ✓ Passwort: [password removed] 日本 ÀÉÎ pin is [password removed]"; redacted != want {
		t.Errorf("Redact = %q, want %q", redacted, want)
	}
}

func TestRedact(t *testing.T) {
	tests := []struct {
		text, want string
	}{
		{"my card is 4111 1111 1111 1111, exp 12/27", "my card is [card number removed], exp 12/27"},
		{"IBAN GB82WEST12345698765432 pls", "IBAN [IBAN removed] pls"},
		{"SSN: 123-45-6789", "SSN: [SSN removed]"},
		{"my password is hunter2!", "my password is [password removed]"},
		{"pw=s3cret and pin is 1234", "pw=[password removed] and pin is [password removed]"},
		{"the code is 654321.", "the code is [code removed]."},
		{"Authorization: Bearer abcdef0123456789abcdef0123", "Authorization: Bearer [API key removed]"},
		{"key:\n" + testPEM + "\nbye", "key:\n[private key removed]\nbye"},
		{"mail jane@example.org or call +1 555-123-4567", "mail jane@example.org or call +1 555-123-4567"},
		{"nothing to see", "nothing to see"},
	}
	for _, tt := range tests {
		got, fs := Redact(tt.text)
		if got != tt.want {
			t.Errorf("Redact(%q) = %q, want %q", tt.text, got, tt.want)
		}
		if changed := got != tt.text; changed != (len(fs) > 0) {
			t.Errorf("Redact(%q) changed the text: %v, but returned %d findings", tt.text, changed, len(fs))
		}
		if again, fs := Redact(got); again != got || len(fs) != 0 {
			t.Errorf("Redact(%q) again = %q, %v; want it unchanged", got, again, fs)
		}
	}
}

func TestRedactLog(t *testing.T) {
	tests := []struct {
		text, want string
	}{
		{"login jane.doe@example.org from +1 555-123-4567", "login j***@example.org from +* ***-***-**67"},
		{"customer (555) 123-4567 sent 4242424242424242", "customer (***) ***-**67 sent [card number removed]"},
		{"otp 123456 for bob@x.io", "otp [code removed] for b***@x.io"},
		{"GET /tickets/42 200", "GET /tickets/42 200"},
	}
	for _, tt := range tests {
		if got := RedactLog(tt.text); got != tt.want {
			t.Errorf("RedactLog(%q) = %q, want %q", tt.text, got, tt.want)
		}
	}
}

func TestMaskEmail(t *testing.T) {
	tests := []struct {
		addr, want string
	}{
		{"erin@example.org", "e***@example.org"},
		{"  Bob.Smith@Example.COM ", "B***@Example.COM"},
		{"émile@exemple.fr", "é***@exemple.fr"},
		{"a@b@example.org", "a***@example.org"},
		{"@example.org", "***@example.org"},
		{"a@", "a***@"},
		{"nobody", "***"},
		{"", ""},
		{"\xff@x.org", "\xff***@x.org"},
	}
	for _, tt := range tests {
		if got := MaskEmail(tt.addr); got != tt.want {
			t.Errorf("MaskEmail(%q) = %q, want %q", tt.addr, got, tt.want)
		}
	}
}

func TestWarning(t *testing.T) {
	const never = " We will never ask for card numbers or passwords in chat."
	tests := []struct {
		kinds []Kind
		want  string
	}{
		{[]Kind{KindCard}, "For your safety we removed the card number you typed." + never},
		{[]Kind{KindPassword, KindCard, KindCard}, "For your safety we removed the card numbers and password you typed." + never},
		{[]Kind{KindOTP, KindIBAN, KindSSN}, "For your safety we removed the bank account number, Social Security number and one-time code you typed." + never},
		{[]Kind{KindPrivateKey, KindAPIKey}, "For your safety we removed the API key and private key you typed." + never},
		{[]Kind{KindEmail, KindPhone}, ""},
		{nil, ""},
	}
	for _, tt := range tests {
		if got := Warning(tt.kinds); got != tt.want {
			t.Errorf("Warning(%v) = %q, want %q", tt.kinds, got, tt.want)
		}
	}
}

// benchMessage is a 300-byte chat message with nothing to remove.
var benchMessage = strings.Repeat("Hi, my order 100234 from 2024-03-15 still hasn't arrived. "+
	"Tracking says 1Z999AA10123456784. Can you check? Thanks, Jane ", 3)[:300]

func BenchmarkScan(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		Scan(benchMessage)
	}
}

func BenchmarkRedact(b *testing.B) {
	msg := benchMessage[:220] + " my card is 4111 1111 1111 1111 and my password is hunter2, thanks!"
	b.ReportAllocs()
	for b.Loop() {
		Redact(msg)
	}
}

func (f found) String() string { return fmt.Sprintf("%s:%q", f.kind, f.text) }

// TestRedactAll: text leaving the server keeps no address or phone number
// either, only placeholders; Redact keeps both for staff.
func TestRedactAll(t *testing.T) {
	in := "I am anna@example.com, +49 30 1234567, card 4111 1111 1111 1111"
	want := "I am [email address removed], [phone number removed], card [card number removed]"
	if got := RedactAll(in); got != want {
		t.Errorf("RedactAll = %q, want %q", got, want)
	}
	if got, _ := Redact(in); !strings.Contains(got, "example.com") {
		t.Errorf("Redact = %q: it keeps the address for staff", got)
	}
}
