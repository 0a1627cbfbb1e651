package security

import (
	"strings"

	"golang.org/x/net/publicsuffix"
)

// Look-alike addresses. CanonicalEmail refuses an address written with
// letters of other alphabets that pass for Latin ones, but a forger can
// also register a plain ASCII domain that reads like a customer's
// (examp1e.com, exarnple.com, example.co) and pass DMARC for it: the mail
// is authenticated, as that other domain. LookalikeKey lets staff be
// warned: two different addresses with the same key read alike.

// lookalikeFolds are the ASCII letter groups that pass for another, in the
// order they are folded.
var lookalikeFolds = strings.NewReplacer("rn", "m", "vv", "w", "cl", "d", "0", "o", "1", "l", "i", "l", "|", "l", "5", "s",
	".", "", "-", "", "_", "")

// LookalikeKey is the form in which addresses that read alike are equal:
// of a canonical address (CanonicalEmail), the local part without its
// +tag and the organisational domain without its public suffix, lower
// case, with the letters and digits that pass for each other folded to one
// (rn and m, vv and w, cl and d, 0 and o, 1, i and l, 5 and s) and dots,
// dashes and underscores dropped. anna.berg@example.com,
// annaberg@examp1e.com and anna.berg@example.co share a key.
func LookalikeKey(canonical string) string {
	local, domain, ok := strings.Cut(canonical, "@")
	if !ok {
		return ""
	}
	local, _, _ = strings.Cut(local, "+")
	org := OrgDomain(domain)
	if suffix, _ := publicsuffix.PublicSuffix(org); suffix != org {
		org = strings.TrimSuffix(org, "."+suffix)
	}
	fold := func(s string) string { return lookalikeFolds.Replace(strings.ToLower(s)) }
	return fold(local) + "@" + fold(org)
}
