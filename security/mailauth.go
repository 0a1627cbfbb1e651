package security

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/emersion/go-msgauth/authres"
	"golang.org/x/net/publicsuffix"
)

// Sender authentication of incoming mail. Anyone can write any From
// address; what a sender cannot forge is the verdict of the server that
// received the message for us, written at the top of the message as an
// Authentication-Results header (RFC 8601). A sender can add headers of
// their own below it, with any verdict, so only one header is believed:
// the topmost whose authserv-id is the receiving server's (MailTrust), or,
// for a provider that stamps no authserv-id at all (Microsoft 365), the
// header at a fixed position from the top.
//
// A message is authenticated when DMARC passed for its From domain, or,
// when the receiver wrote no DMARC result, when a DKIM signature passed
// whose domain is aligned with the From domain (relaxed alignment: the same
// organisational domain). A DKIM signature verified here (LocalDKIM) counts
// like one the receiver reported, unless the receiver's DMARC failed.

// MailTrust says which Authentication-Results header to believe.
type MailTrust struct {
	// AuthservID is the receiving server's authserv-id, like mx.google.com;
	// the topmost header with it is believed (compared case-insensitively).
	AuthservID string
	// Position, when set, believes the header at this position from the
	// top (1 is the topmost), whatever its authserv-id.
	Position int
}

// ParseMailTrust reads the --mail-authserv-id setting: an authserv-id such
// as "mx.google.com", or "position:N" to believe the Nth header from the
// top (Microsoft 365, which writes none). Empty trusts no header.
func ParseMailTrust(s string) (MailTrust, error) {
	s = strings.TrimSpace(s)
	if rest, ok := strings.CutPrefix(strings.ToLower(s), "position:"); ok {
		n, err := strconv.Atoi(rest)
		if err != nil || n < 1 || n > 20 {
			return MailTrust{}, fmt.Errorf("security: authserv-id %q: position:N takes a number from 1 to 20", s)
		}
		return MailTrust{Position: n}, nil
	}
	if strings.ContainsAny(s, " \t;=()\"") {
		return MailTrust{}, fmt.Errorf("security: authserv-id %q: want a host name like mx.google.com, or position:1", s)
	}
	return MailTrust{AuthservID: s}, nil
}

// Configured reports whether any header is believed at all.
func (t MailTrust) Configured() bool { return t.Position > 0 || t.AuthservID != "" }

// String is the setting as ParseMailTrust reads it.
func (t MailTrust) String() string {
	if t.Position > 0 {
		return "position:" + strconv.Itoa(t.Position)
	}
	return t.AuthservID
}

// MailSender is what AuthenticateSender looks at in one message.
type MailSender struct {
	// From holds every address of the From header (header fields, all of
	// them): authentication needs exactly one.
	From []string
	// AuthResults are the values of the Authentication-Results header
	// fields, topmost first.
	AuthResults []string
	// LocalDKIM are the domains (d=) of the DKIM signatures that verified
	// here against DNS; nil when this server does not verify.
	LocalDKIM []string
}

// SenderVerdict is whether a message's sender is authenticated, and why,
// in words for staff.
type SenderVerdict struct {
	Authenticated bool
	Method        string // "dmarc" or "dkim" when authenticated
	Domain        string // the From domain
	Reason        string // "DMARC pass for example.com (mx.google.com)"
}

// AuthenticateSender decides whether the From of a message is authentic
// under trust (see the comment at the top of this file).
func AuthenticateSender(m MailSender, trust MailTrust) SenderVerdict {
	if len(m.From) != 1 {
		return SenderVerdict{Reason: fmt.Sprintf("the message has %d From addresses, not one", len(m.From))}
	}
	from, err := CanonicalEmail(m.From[0])
	if err != nil {
		return SenderVerdict{Reason: "the From address is refused: " + strings.TrimPrefix(err.Error(), "security: ")}
	}
	_, domain, _ := strings.Cut(from, "@")
	v := SenderVerdict{Domain: domain}
	results, by, found := trustedResults(m.AuthResults, trust)
	dmarc, dmarcSeen := dmarcFor(results, domain)
	switch {
	case dmarcSeen && dmarc == authres.ResultPass:
		v.Authenticated, v.Method = true, "dmarc"
		v.Reason = "DMARC pass for " + domain + " (" + by + ")"
		return v
	case dmarcSeen:
		v.Reason = "DMARC " + string(dmarc) + " for " + domain + " (" + by + ")"
		return v
	}
	if d := alignedDKIM(results, domain); d != "" {
		v.Authenticated, v.Method = true, "dkim"
		v.Reason = "DKIM pass for " + d + ", aligned with the From domain " + domain + " (" + by + ", no DMARC result)"
		return v
	}
	for _, d := range m.LocalDKIM {
		if Aligned(d, domain) {
			v.Authenticated, v.Method = true, "dkim"
			v.Reason = "DKIM signature of " + d + " verified by this server, aligned with the From domain " + domain
			return v
		}
	}
	switch {
	case !trust.Configured():
		v.Reason = "no receiving server is trusted (--mail-authserv-id is not set)"
	case !found:
		v.Reason = "no Authentication-Results header from " + by
	default:
		v.Reason = "no DMARC result and no passing DKIM signature aligned with " + domain + " (" + by + ")"
	}
	return v
}

// trustedResults parses the one header that trust believes and returns its
// results, the name of who wrote it, and whether it was there at all.
func trustedResults(headers []string, trust MailTrust) ([]authres.Result, string, bool) {
	if trust.Position > 0 {
		by := "header " + strconv.Itoa(trust.Position) + " from the top"
		if trust.Position > len(headers) {
			return nil, by, false
		}
		_, results, err := parseAuthResults(headers[trust.Position-1])
		return results, by, err == nil
	}
	by := trust.AuthservID
	if by == "" {
		return nil, "nobody", false
	}
	for _, h := range headers {
		id, results, err := parseAuthResults(h)
		if !strings.EqualFold(id, trust.AuthservID) {
			continue
		}
		// The topmost header of the receiving server decides, even when
		// it is unreadable: a header further down may be the sender's.
		return results, by, err == nil
	}
	return nil, by, false
}

// parseAuthResults parses one Authentication-Results value. Comments are
// removed first (authres does not skip them), and a value that starts with
// a result rather than an authserv-id (Microsoft 365) gets an empty id.
func parseAuthResults(v string) (string, []authres.Result, error) {
	parts := strings.Split(stripComments(v), ";")
	if tok := strings.Fields(parts[0]); len(tok) > 0 && strings.Contains(tok[0], "=") {
		parts = append([]string{""}, parts...)
	}
	for i, p := range parts[1:] {
		parts[i+1] = withSigningDomain(p)
	}
	id, results, err := authres.Parse(strings.Join(parts, ";"))
	if err != nil {
		return id, nil, fmt.Errorf("security: Authentication-Results: %w", err)
	}
	return id, results, nil
}

// withSigningDomain adds header.d to a dkim result that names its signer
// only by header.i (Google writes header.i=@example.com), since authres
// keeps header.d alone.
func withSigningDomain(result string) string {
	f := strings.Fields(result)
	if len(f) == 0 || !strings.HasPrefix(strings.ToLower(f[0]), "dkim=") {
		return result
	}
	var ident string
	for _, kv := range f[1:] {
		k, v, _ := strings.Cut(kv, "=")
		switch strings.ToLower(k) {
		case "header.d":
			return result
		case "header.i":
			ident = v
		}
	}
	if _, d, ok := strings.Cut(strings.Trim(ident, `"`), "@"); ok && d != "" {
		return result + " header.d=" + d
	}
	return result
}

// stripComments removes RFC 5322 comments (parenthesised, possibly nested,
// with backslash escapes) outside quoted strings, replacing each with a
// space.
func stripComments(s string) string {
	var b strings.Builder
	depth, quoted := 0, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && (depth > 0 || quoted):
			if depth == 0 && i+1 < len(s) {
				b.WriteByte(c)
				b.WriteByte(s[i+1])
			}
			i++
		case quoted:
			b.WriteByte(c)
			quoted = c != '"'
		case c == '(':
			depth++
		case c == ')' && depth > 0:
			depth--
			if depth == 0 {
				b.WriteByte(' ')
			}
		case depth > 0:
		default:
			b.WriteByte(c)
			quoted = c == '"'
		}
	}
	return b.String()
}

// dmarcFor returns the DMARC result for domain among results, and whether
// there was one. A result that names another header.from is not about this
// message's From.
func dmarcFor(results []authres.Result, domain string) (authres.ResultValue, bool) {
	for _, r := range results {
		d, ok := r.(*authres.DMARCResult)
		if !ok {
			continue
		}
		if d.From != "" && !strings.EqualFold(strings.TrimSuffix(d.From, "."), domain) {
			continue
		}
		return authres.ResultValue(strings.ToLower(string(d.Value))), true
	}
	return "", false
}

// alignedDKIM returns the domain of a passing DKIM result aligned with
// domain, or "".
func alignedDKIM(results []authres.Result, domain string) string {
	for _, r := range results {
		d, ok := r.(*authres.DKIMResult)
		if ok && strings.EqualFold(string(d.Value), authres.ResultPass) && d.Domain != "" && Aligned(d.Domain, domain) {
			return strings.ToLower(d.Domain)
		}
	}
	return ""
}

// OrgDomain is the organisational domain of a host name (RFC 7489 §3.2):
// the public suffix plus one label, from the public suffix list built into
// golang.org/x/net (no network). A name that is itself a public suffix is
// its own.
func OrgDomain(domain string) string {
	domain = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(domain)), ".")
	org, err := publicsuffix.EffectiveTLDPlusOne(domain)
	if err != nil {
		return domain
	}
	return org
}

// Aligned reports whether two domains are aligned in DMARC's relaxed mode:
// they share their organisational domain.
func Aligned(a, b string) bool {
	oa, ob := OrgDomain(a), OrgDomain(b)
	return oa != "" && oa == ob
}
