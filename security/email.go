package security

import (
	"errors"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// Email addresses are compared the way mail systems deliver them, in one
// function (CanonicalEmail) that every comparison, blind index and sent
// mail goes through. Unicode case folding has no place in it: it maps the
// Kelvin sign (U+212A) to "k", so that a look-alike address would sign in
// as the real one while its code went to the look-alike mailbox.
//
//   - The local part (before the last @) must be ASCII; its letters are
//     lower-cased, ASCII only.
//   - The domain is lower-cased (ASCII) and must then be a valid domain
//     name as IDNA2008 registers it, which refuses anything that would
//     need mapping first (full-width letters, the Kelvin sign, upper-case
//     non-ASCII letters); it is kept in its ASCII (A-label, "xn--") form,
//     the form DNS and every relay use.
//   - A label of an internationalised domain that mixes Latin, Greek and
//     Cyrillic letters, or that is written entirely in letters that look
//     like Latin ones (Cyrillic "аре" for "ape"), is refused as a
//     confusable.

// Reasons CanonicalEmail refuses an address.
var (
	ErrEmailSyntax     = errors.New("security: not an email address")
	ErrEmailLocal      = errors.New("security: the local part of an email address must be ASCII")
	ErrEmailDomain     = errors.New("security: the domain of an email address is not a valid domain name")
	ErrEmailConfusable = errors.New("security: the domain of an email address mixes look-alike letters")
)

// Limits of an address (RFC 5321 §4.5.3.1).
const (
	maxEmailLocal = 64
	maxEmailLen   = 254
)

// CanonicalEmail validates addr (surrounding white space aside) and returns
// its canonical form: ASCII local part lower-cased, "@", the domain's
// lower-case A-label form. Two addresses are the same mailbox for safedesk
// exactly when their canonical forms are equal, and mail goes to that form.
func CanonicalEmail(addr string) (string, error) {
	addr = strings.TrimSpace(addr)
	at := strings.LastIndexByte(addr, '@')
	if at <= 0 || at == len(addr)-1 {
		return "", ErrEmailSyntax
	}
	local, domain := addr[:at], lowerASCII(addr[at+1:])
	if !isASCII(local) {
		return "", ErrEmailLocal
	}
	if !strings.Contains(domain, ".") || strings.HasSuffix(domain, ".") {
		return "", ErrEmailSyntax
	}
	ascii, err := idna.Registration.ToASCII(domain)
	if err != nil {
		return "", ErrEmailDomain
	}
	if !isASCII(domain) {
		for label := range strings.SplitSeq(domain, ".") {
			if confusable(label) {
				return "", ErrEmailConfusable
			}
		}
	}
	canonical := lowerASCII(local) + "@" + ascii
	a, err := mail.ParseAddress(canonical)
	if err != nil || a.Address != canonical || a.Name != "" || len(local) > maxEmailLocal || len(canonical) > maxEmailLen {
		return "", ErrEmailSyntax
	}
	return canonical, nil
}

// NormalizeEmail is the form of an address for lookups and storage: its
// CanonicalEmail, or for text that is no valid address, the text trimmed
// with ASCII letters lower-cased, which no valid address can equal.
func NormalizeEmail(addr string) string {
	if c, err := CanonicalEmail(addr); err == nil {
		return c
	}
	return lowerASCII(strings.TrimSpace(addr))
}

// confusable reports whether a domain label (its Unicode form) could pass
// for another: it mixes Latin, Greek and Cyrillic letters, or holds
// letters that look like Latin ones (lookAlikes) beside Latin letters, or
// consists of nothing else.
func confusable(label string) bool {
	var letters, lookalike int
	var latin, greek, cyrillic bool
	for _, r := range label {
		if !unicode.IsLetter(r) {
			continue
		}
		letters++
		latin = latin || unicode.Is(unicode.Latin, r)
		greek = greek || unicode.Is(unicode.Greek, r)
		cyrillic = cyrillic || unicode.Is(unicode.Cyrillic, r)
		if _, ok := lookAlikes[r]; ok {
			lookalike++
		}
	}
	scripts := 0
	for _, in := range []bool{latin, greek, cyrillic} {
		if in {
			scripts++
		}
	}
	return scripts > 1 || lookalike > 0 && (latin || lookalike == letters)
}

// lowerASCII lower-cases the ASCII letters of s and nothing else.
func lowerASCII(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
