package security

import (
	"cmp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Kind is the kind of secret or personal data that Scan finds.
type Kind string

const (
	// KindCard is a payment card number: 13–19 digits, Luhn-valid, known issuer prefix.
	KindCard Kind = "card_number"
	// KindIBAN is an international bank account number with a valid mod-97 checksum.
	KindIBAN Kind = "iban"
	// KindSSN is a US Social Security number.
	KindSSN Kind = "ssn"
	// KindPassword is a password, passphrase or PIN given in context ("my password is …").
	KindPassword Kind = "password"
	// KindOTP is a one-time or verification code given in context ("the code is 123456").
	KindOTP Kind = "otp"
	// KindAPIKey is an API key or bearer token in a well-known format.
	KindAPIKey Kind = "api_key"
	// KindPrivateKey is a PEM private key block or an age secret key.
	KindPrivateKey Kind = "private_key"
	// KindEmail is an email address; only RedactLog masks it.
	KindEmail Kind = "email"
	// KindPhone is a phone number; only RedactLog masks it.
	KindPhone Kind = "phone"
)

// Finding is one secret or piece of personal data in a text: its kind and
// the byte offsets [Start, End) of the part to remove. For passwords and codes
// the span covers only the value, not the words around it.
type Finding struct {
	Kind       Kind
	Start, End int
}

// Scan finds secrets, email addresses and phone numbers in text. Findings are
// sorted and never overlap. Where candidates overlap, the finding covers all
// of them and takes the kind of the longest (ties go to the more specific
// kind), so no part of a secret is left outside it; a secret always wins over
// an overlapping email or phone number. Scan is safe for concurrent use.
//
// The detectors read the text as FoldText normalises it, so that numbers
// typed with full-width digits, no-break or thin spaces, tabs or zero-width
// characters between the groups are found; the offsets are those of the
// original text.
func Scan(text string) []Finding {
	f := FoldText(text)
	s := f.Text
	lower := piiLower(s)
	var c []Finding
	c = piiPrivateKeys(s, c)
	c = piiAPIKeys(s, lower, c)
	c = piiIBANs(s, c)
	c = piiNumbers(s, lower, c)
	c = piiCues(lower, c)
	c = piiEmails(s, c)
	return piiOriginal(f, piiResolve(c))
}

// piiOriginal maps findings in f.Text to the original text. Two findings
// that meet inside one normalisation segment become one; a secret keeps its
// kind.
func piiOriginal(f Folded, fs []Finding) []Finding {
	if f.from == nil || len(fs) == 0 {
		return fs
	}
	out := fs[:0]
	for _, x := range fs {
		x.Start, x.End = f.Span(x.Start, x.End)
		if n := len(out); n > 0 && x.Start < out[n-1].End {
			last := &out[n-1]
			last.End = max(last.End, x.End)
			if x.Kind.secret() && !last.Kind.secret() {
				last.Kind = x.Kind
			}
			continue
		}
		out = append(out, x)
	}
	return out
}

// Redact replaces every secret in text with a placeholder such as
// "[card number removed]" and returns the new text with the findings it
// replaced (offsets into the original text). Email addresses and phone
// numbers are kept: customers legitimately give them to support.
func Redact(text string) (string, []Finding) {
	all := Scan(text)
	secrets := all[:0]
	for _, f := range all {
		if f.Kind.secret() {
			secrets = append(secrets, f)
		}
	}
	if len(secrets) == 0 {
		return text, nil
	}
	return piiRewrite(text, secrets), secrets
}

// RedactAll replaces every finding of Scan, email addresses and phone
// numbers too, with its placeholder ("[email address removed]"): for text
// that leaves the server, such as a question sent to a language model.
func RedactAll(text string) string {
	var b strings.Builder
	last := 0
	for _, f := range Scan(text) {
		b.WriteString(text[last:f.Start])
		b.WriteString(piiPlaceholders[f.Kind])
		last = f.End
	}
	b.WriteString(text[last:])
	return b.String()
}

// RedactLog is Redact for log lines: it also masks email addresses
// (see MaskEmail) and all but the last two digits of phone numbers.
func RedactLog(text string) string {
	return piiRewrite(text, Scan(text))
}

// MaskEmail hides most of an email address: "e***@example.org" keeps the first
// character of the local part and the domain. Input without an '@' becomes
// "***"; the empty string stays empty.
func MaskEmail(addr string) string {
	addr = strings.TrimSpace(addr)
	at := strings.LastIndexByte(addr, '@')
	switch {
	case addr == "":
		return ""
	case at < 0:
		return "***"
	case at == 0:
		return "***" + addr
	}
	_, n := utf8.DecodeRuneInString(addr)
	return addr[:n] + "***" + addr[at:]
}

// Warning returns a friendly message for the visitor naming what Redact
// removed and saying that we never ask for it in chat, or "" when kinds holds
// no secret.
func Warning(kinds []Kind) string { return piiRemoved(kinds, "", " in chat") }

// piiRemoved names the secrets in kinds ("card numbers and password") in a
// sentence for the person who typed them.
func piiRemoved(kinds []Kind, when, where string) string {
	count := map[Kind]int{}
	for _, k := range kinds {
		count[k]++
	}
	var names []string
	for _, k := range piiSecrets {
		if n := count[k]; n > 0 {
			names = append(names, k.noun(n > 1))
		}
	}
	if len(names) == 0 {
		return ""
	}
	list := names[len(names)-1]
	if len(names) > 1 {
		list = strings.Join(names[:len(names)-1], ", ") + " and " + list
	}
	return "For your safety we removed the " + list + " you typed" + when + ". " +
		"We will never ask for card numbers or passwords" + where + "."
}

// KindSet is a set of kinds. It is a bit set, so that a struct holding one
// can still be compared with ==.
type KindSet uint16

// Add puts k in the set.
func (s *KindSet) Add(k Kind) { *s |= 1 << k.rank() }

// Has reports whether k is in the set.
func (s KindSet) Has(k Kind) bool { return s&(1<<k.rank()) != 0 }

// Kinds lists the secrets in the set, in the order Warning names them, then
// email and phone.
func (s KindSet) Kinds() []Kind {
	var out []Kind
	for _, k := range append(piiSecrets[:len(piiSecrets):len(piiSecrets)], KindEmail, KindPhone) {
		if s.Has(k) {
			out = append(out, k)
		}
	}
	return out
}

var (
	// piiSecrets are the kinds Redact removes, in the order Warning names them.
	piiSecrets      = []Kind{KindCard, KindIBAN, KindSSN, KindPassword, KindOTP, KindAPIKey, KindPrivateKey}
	piiRanks        = []Kind{KindPhone, KindEmail, KindOTP, KindPassword, KindSSN, KindCard, KindIBAN, KindAPIKey, KindPrivateKey}
	piiPlaceholders = map[Kind]string{
		KindCard: "[card number removed]", KindIBAN: "[IBAN removed]", KindSSN: "[SSN removed]",
		KindPassword: "[password removed]", KindOTP: "[code removed]", KindAPIKey: "[API key removed]",
		KindPrivateKey: "[private key removed]", KindEmail: "[email address removed]", KindPhone: "[phone number removed]",
	}
	piiNouns = map[Kind]string{
		KindCard: "card number", KindIBAN: "bank account number", KindSSN: "Social Security number",
		KindPassword: "password", KindOTP: "one-time code", KindAPIKey: "API key", KindPrivateKey: "private key",
	}
)

func (k Kind) secret() bool { return k != KindEmail && k != KindPhone }

// Placeholder is what Redact and RedactAll put in place of a finding of
// kind k ("[card number removed]"), "" for an unknown kind.
func Placeholder(k Kind) string { return piiPlaceholders[k] }

// rank breaks ties between overlapping findings of equal length: the more
// specific kind ranks higher.
func (k Kind) rank() int { return slices.Index(piiRanks, k) }

func (k Kind) noun(plural bool) string {
	if plural {
		return piiNouns[k] + "s"
	}
	return piiNouns[k]
}

// piiRewrite replaces findings with placeholders or, for emails and phone
// numbers, with masked values.
func piiRewrite(text string, fs []Finding) string {
	if len(fs) == 0 {
		return text
	}
	var b strings.Builder
	b.Grow(len(text))
	prev := 0
	for _, f := range fs {
		b.WriteString(text[prev:f.Start])
		v := text[f.Start:f.End]
		switch f.Kind {
		case KindEmail:
			b.WriteString(MaskEmail(v))
		case KindPhone:
			left := 0 // digits still to write; all but the last two are masked
			for _, r := range v {
				if unicode.IsDigit(r) {
					left++
				}
			}
			for _, r := range v {
				if unicode.IsDigit(r) {
					if left > 2 {
						r = '*'
					}
					left--
				}
				b.WriteRune(r)
			}
		default:
			b.WriteString(piiPlaceholders[f.Kind])
		}
		prev = f.End
	}
	b.WriteString(text[prev:])
	return b.String()
}

// piiResolve sorts candidates and merges overlapping ones (see Scan).
func piiResolve(c []Finding) []Finding {
	if len(c) < 2 {
		return c
	}
	slices.SortFunc(c, func(a, b Finding) int {
		if a.Kind.secret() != b.Kind.secret() {
			if a.Kind.secret() {
				return -1
			}
			return 1
		}
		return cmp.Compare(a.Start, b.Start)
	})
	out := make([]Finding, 0, len(c))
	secrets, bestLen := 0, 0
next:
	for _, f := range c {
		n := f.End - f.Start
		if len(out) > 0 {
			last := &out[len(out)-1]
			if last.Kind.secret() == f.Kind.secret() && f.Start < last.End {
				last.End = max(last.End, f.End)
				if n > bestLen || n == bestLen && f.Kind.rank() > last.Kind.rank() {
					last.Kind, bestLen = f.Kind, n
				}
				continue
			}
		}
		if !f.Kind.secret() {
			for _, s := range out[:secrets] {
				if f.Start < s.End && s.Start < f.End {
					continue next
				}
			}
		}
		out = append(out, f)
		bestLen = n
		if f.Kind.secret() {
			secrets = len(out)
		}
	}
	slices.SortFunc(out, func(a, b Finding) int { return cmp.Compare(a.Start, b.Start) })
	return out
}

// piiLower lower-cases ASCII and Latin-1 letters without changing any byte
// offset, so that matches in the result are matches in s.
func piiLower(s string) string {
	upper := func(i int) bool {
		c := s[i]
		return 'A' <= c && c <= 'Z' || c == 0xC3 && i+1 < len(s) && s[i+1] >= 0x80 && s[i+1] <= 0x9E && s[i+1] != 0x97
	}
	i := 0
	for i < len(s) && !upper(i) {
		i++
	}
	if i == len(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	done := 0 // s[:done] is written
	for ; i < len(s); i++ {
		if upper(i) {
			if s[i] < 0x80 {
				b.WriteString(s[done:i])
				b.WriteByte(s[i] + 32)
			} else {
				i++
				b.WriteString(s[done:i])
				b.WriteByte(s[i] + 0x20)
			}
			done = i + 1
		}
	}
	b.WriteString(s[done:])
	return b.String()
}

func piiDigit(c byte) bool  { return '0' <= c && c <= '9' }
func piiLetter(c byte) bool { return 'a' <= c|0x20 && c|0x20 <= 'z' }
func piiAlnum(c byte) bool  { return piiDigit(c) || piiLetter(c) }

// piiWordBefore reports whether the rune before s[i] is part of a word.
func piiWordBefore(s string, i int) bool {
	if i <= 0 {
		return false
	}
	r, _ := utf8.DecodeLastRuneInString(s[:i])
	return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r)
}

// piiWordAfter reports whether the rune at s[i] is part of a word.
func piiWordAfter(s string, i int) bool {
	if i >= len(s) {
		return false
	}
	r, _ := utf8.DecodeRuneInString(s[i:])
	return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r)
}
