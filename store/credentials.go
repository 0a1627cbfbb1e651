package store

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"fmt"
	"hash/crc32"
	"net/netip"
	"slices"
	"strings"
)

// The parts of API credentials that need no database: scopes, the format
// of secrets, and address allow-lists.

// API scopes. A token or client holds a set of them; each API route needs one.
const (
	ScopeTicketsRead    = "tickets:read"
	ScopeTicketsWrite   = "tickets:write"
	ScopeCustomersRead  = "customers:read"
	ScopeCustomersErase = "customers:erase"
	ScopeKBRead         = "kb:read"
	ScopeKBWrite        = "kb:write"
	ScopeAuditRead      = "audit:read"
	ScopeSecurityRead   = "security:read"
	ScopeWebhooksWrite  = "webhooks:write"
)

// APIScopes lists every scope in its canonical order.
var APIScopes = []string{
	ScopeTicketsRead, ScopeTicketsWrite, ScopeCustomersRead, ScopeCustomersErase,
	ScopeKBRead, ScopeKBWrite, ScopeAuditRead, ScopeSecurityRead, ScopeWebhooksWrite,
}

// Token prefixes. Every secret safedesk issues is the prefix, 36 random
// base62 characters and a 6-character checksum, so secret scanners can
// recognise a leaked one and tell it from random text without asking us.
const (
	PrefixToken        = "sdk_"  // personal API token
	PrefixAccessToken  = "sdo_"  // OAuth2 access token (at most an hour)
	PrefixClientSecret = "sdcs_" // OAuth2 client secret
	PrefixClientID     = "sdc_"  // OAuth2 client id (public)
)

const (
	secretRandLen = 36 // 36 × log2(62) ≈ 214 bits
	checksumLen   = 6  // CRC-32 in base62
	base62        = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
)

// newSecret returns prefix + random base62 + checksum.
func newSecret(prefix string) string {
	b := make([]byte, 0, len(prefix)+secretRandLen+checksumLen)
	b = append(b, prefix...)
	var buf [64]byte
	for len(b) < len(prefix)+secretRandLen {
		rand.Read(buf[:])
		for _, c := range buf {
			// 248 = 4 × 62: rejecting the rest keeps every character uniform.
			if c < 248 && len(b) < len(prefix)+secretRandLen {
				b = append(b, base62[c%62])
			}
		}
	}
	return string(appendChecksum(b, b))
}

func appendChecksum(dst, body []byte) []byte {
	n := crc32.ChecksumIEEE(body)
	var c [checksumLen]byte
	for i := checksumLen - 1; i >= 0; i-- {
		c[i] = base62[n%62]
		n /= 62
	}
	return append(dst, c[:]...)
}

// SecretLooksValid reports whether s has the shape and checksum of a secret
// with this prefix. It lets the API refuse garbage without a database read.
func SecretLooksValid(s, prefix string) bool {
	if len(s) != len(prefix)+secretRandLen+checksumLen || !strings.HasPrefix(s, prefix) {
		return false
	}
	for i := len(prefix); i < len(s); i++ {
		if strings.IndexByte(base62, s[i]) < 0 {
			return false
		}
	}
	body := s[:len(s)-checksumLen]
	want := appendChecksum(nil, []byte(body))
	return subtle.ConstantTimeCompare(want, []byte(s[len(body):])) == 1
}

func secretHash(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

// ParseScopes reads scopes separated by spaces or commas, refusing unknown
// ones, and returns them deduplicated in canonical order.
func ParseScopes(s string) ([]string, error) {
	fields := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' })
	for _, f := range fields {
		if !slices.Contains(APIScopes, f) {
			if len(f) > 40 {
				f = f[:40] + "…"
			}
			return nil, fmt.Errorf("store: unknown scope %q", f)
		}
	}
	return canonicalScopes(fields), nil
}

func canonicalScopes(in []string) []string {
	var out []string
	for _, s := range APIScopes {
		if slices.Contains(in, s) {
			out = append(out, s)
		}
	}
	return out
}

func joinScopes(s []string) string { return strings.Join(canonicalScopes(s), " ") }

func splitScopes(s string) []string { return canonicalScopes(strings.Fields(s)) }

// ParseAllowFrom reads addresses and CIDRs separated by spaces or commas.
func ParseAllowFrom(s string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' }) {
		p, err := netip.ParsePrefix(f)
		if err != nil {
			a, aerr := netip.ParseAddr(f)
			if aerr != nil || a.Zone() != "" {
				return nil, fmt.Errorf("store: %q is not an address or CIDR", f)
			}
			p = netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen())
		}
		out = append(out, p.Masked())
	}
	if len(out) > MaxAllowFrom {
		return nil, fmt.Errorf("store: at most %d allowed addresses", MaxAllowFrom)
	}
	return out, nil
}

func joinPrefixes(ps []netip.Prefix) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, " ")
}

func splitPrefixes(s string) []netip.Prefix {
	var out []netip.Prefix
	for _, f := range strings.Fields(s) {
		if p, err := netip.ParsePrefix(f); err == nil {
			out = append(out, p)
		}
	}
	return out
}

// allowed reports whether ip is in the list; an empty list allows anyone.
func allowed(list string, ip netip.Addr) bool {
	if list == "" {
		return true
	}
	ip = ip.Unmap()
	for _, p := range splitPrefixes(list) {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}
