package security

import "net/netip"

// addrClass names a range of addresses a webhook may not reach. The name
// completes the sentence "webhook address X is ...".
type addrClass struct {
	prefix netip.Prefix
	name   string
}

// forbiddenV4 lists IPv4 ranges that are not public unicast destinations,
// most specific first (IANA IPv4 Special-Purpose Address Registry).
var forbiddenV4 = mustAddrClasses([]string{
	"0.0.0.0/32", "unspecified",
	"0.0.0.0/8", "in 0.0.0.0/8 (this network)",
	"10.0.0.0/8", "private",
	"100.64.0.0/10", "shared address space (CGNAT)",
	"127.0.0.0/8", "loopback",
	"168.63.129.16/32", "cloud metadata",
	"169.254.169.254/32", "link-local (cloud metadata)",
	"169.254.0.0/16", "link-local",
	"172.16.0.0/12", "private",
	"192.0.0.0/24", "reserved (IETF protocol assignments)",
	"192.0.2.0/24", "documentation",
	"192.88.99.0/24", "reserved (6to4 relay anycast)",
	"192.168.0.0/16", "private",
	"198.18.0.0/15", "benchmarking",
	"198.51.100.0/24", "documentation",
	"203.0.113.0/24", "documentation",
	"224.0.0.0/4", "multicast",
	"255.255.255.255/32", "broadcast",
	"240.0.0.0/4", "reserved",
})

// forbiddenV6 lists IPv6 ranges that are not public unicast destinations,
// most specific first (IANA IPv6 Special-Purpose Address Registry). Ranges
// that embed an IPv4 address are handled in addrClassOf.
var forbiddenV6 = mustAddrClasses([]string{
	"::/128", "unspecified",
	"::1/128", "loopback",
	"64:ff9b:1::/48", "reserved (local-use NAT64)",
	"100::/64", "reserved (discard-only)",
	"2001::/32", "reserved (Teredo)",
	"2001:2::/48", "benchmarking",
	"2001::/23", "reserved (IETF protocol assignments)",
	"2001:db8::/32", "documentation",
	"3fff::/20", "documentation",
	"fd00:ec2::254/128", "private (cloud metadata)",
	"fc00::/7", "private",
	"fe80::/10", "link-local",
	"fec0::/10", "site-local",
	"ff00::/8", "multicast",
})

// globalUnicastV6 is the only IPv6 block allocated for public unicast.
var globalUnicastV6 = netip.MustParsePrefix("2000::/3")

var (
	nat64Prefix = netip.MustParsePrefix("64:ff9b::/96")
	sixToFour   = netip.MustParsePrefix("2002::/16")
)

func mustAddrClasses(pairs []string) []addrClass {
	var out []addrClass
	for i := 0; i < len(pairs); i += 2 {
		out = append(out, addrClass{netip.MustParsePrefix(pairs[i]), pairs[i+1]})
	}
	return out
}

// addrClassOf returns why a webhook may not connect to a, or "" if a is a
// public unicast address. IPv6 forms that carry an IPv4 address (mapped,
// NAT64, 6to4) are judged by the IPv4 address they carry.
func addrClassOf(a netip.Addr) string {
	if !a.IsValid() {
		return "invalid"
	}
	a = a.WithZone("") // Prefix.Contains never matches a zoned address
	if a.Is4In6() {
		if c := addrClassOf(a.Unmap()); c != "" {
			return c + " (IPv4-mapped)"
		}
		return ""
	}
	if a.Is4() {
		return matchAddrClass(forbiddenV4, a)
	}
	b := a.As16()
	switch {
	case nat64Prefix.Contains(a):
		if c := matchAddrClass(forbiddenV4, netip.AddrFrom4([4]byte(b[12:16]))); c != "" {
			return c + " (NAT64)"
		}
		return ""
	case sixToFour.Contains(a):
		if c := matchAddrClass(forbiddenV4, netip.AddrFrom4([4]byte(b[2:6]))); c != "" {
			return c + " (6to4)"
		}
		return ""
	}
	if c := matchAddrClass(forbiddenV6, a); c != "" {
		return c
	}
	if !globalUnicastV6.Contains(a) {
		return "reserved"
	}
	return ""
}

func matchAddrClass(classes []addrClass, a netip.Addr) string {
	for _, c := range classes {
		if c.prefix.Contains(a) {
			return c.name
		}
	}
	return ""
}
