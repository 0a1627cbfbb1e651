package web

import (
	"context"
	"crypto/sha256"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"safedesk/security"
	"safedesk/store"
	"safedesk/web/api"
)

// Who the client of a request is, decided once per request by
// realClientIP and carried in its reqInfo: the address, the key under
// which every limiter and the abuse guard count the client, and whether
// the client is exempt from limits. Every limiter consults this one
// decision (allow), so that none can fail open or shared on its own.
//
//   - A peer that is not a trusted proxy is the client; it is exempt when
//     AbuseConfig.Exempt lists it (loopback by default).
//   - Behind a trusted proxy, X-Forwarded-For is walked from the right: the
//     first hop that is not a trusted proxy is the client. A hop written
//     ip:port or [ipv6] is read as its address. A hop that is no address
//     at all ("unknown", "", garbage) is a client of its own, keyed by its
//     text and never exempt.
//   - A request on which only trusted proxies appear is the proxies' own:
//     counted and limited like any client, never exempt, so that a
//     proxy that drops the header cannot make everyone exempt.

// forwardedKind is the security event recorded when requests arrive from
// loopback with X-Forwarded-For while loopback is no trusted proxy.
const forwardedKind = "proxy.untrusted_forwarding"

// forwardedEvery is how often that event is recorded again while it lasts.
const forwardedEvery = time.Hour

// maxHopText bounds the text of an unreadable hop kept as a client key.
const maxHopText = 64

// resolveClient decides who the client of r is (see the top of the file)
// and records it in ri.
func (s *Server) resolveClient(r *http.Request, ri *reqInfo) {
	peer := remoteAddr(r.RemoteAddr)
	f := forwarded{ip: peer}
	switch {
	case s.trusted(peer):
		f = s.forwardedClient(peer, r.Header["X-Forwarded-For"])
	case peer.IsLoopback() && len(r.Header["X-Forwarded-For"]) > 0:
		s.noteForwarded(r.Context(), peer)
	}
	a := s.abuse
	ri.ip, ri.hop, ri.unread = f.ip, f.hop, f.unread
	switch {
	case f.ip.IsValid():
		ri.key = clientKey(f.ip)
		ri.exempt = !f.proxyOnly && a.isExempt(f.ip)
	default: // an unreadable hop, or a connection without an address
		ri.key = hopKey(f.hop)
	}
}

// forwarded is a client as the forwarding header names it.
type forwarded struct {
	ip        netip.Addr
	hop       string // the text of an unreadable hop that stands for the client
	unread    bool   // the client is known only by such a hop
	proxyOnly bool   // no hop but trusted proxies: the client is the last proxy named
}

// remoteAddr is the address of the direct peer; invalid when the
// connection has none (which no limit exempts).
func remoteAddr(remote string) netip.Addr {
	if ap, err := netip.ParseAddrPort(remote); err == nil {
		return ap.Addr().Unmap()
	}
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		return netip.Addr{}
	}
	a, _ := netip.ParseAddr(host)
	return a.Unmap()
}

// forwardedClient walks the X-Forwarded-For hops from the right past the
// trusted proxies and returns the client: the first address that is not a
// trusted proxy, or the text of the first hop that is no address. With no
// such hop, the client is the last proxy named and proxyOnly is true.
// Headers are walked without splitting them (no allocation).
func (s *Server) forwardedClient(peer netip.Addr, headers []string) forwarded {
	client := peer
	for i := len(headers) - 1; i >= 0; i-- {
		for rest := headers[i]; ; {
			h := rest
			comma := strings.LastIndexByte(rest, ',')
			if comma >= 0 {
				h, rest = rest[comma+1:], rest[:comma]
			}
			a, ok := parseHop(h)
			if !ok {
				return forwarded{hop: clipHop(strings.TrimSpace(h)), unread: true}
			}
			if !s.trusted(a) {
				return forwarded{ip: a}
			}
			client = a
			if comma < 0 {
				break
			}
		}
	}
	return forwarded{ip: client, proxyOnly: true}
}

// parseHop reads one X-Forwarded-For hop: an address, or an address with a
// port (203.0.113.5:1234, [2001:db8::1]:443) or in brackets
// ([2001:db8::1]), as some proxies and load balancers write it.
func parseHop(h string) (netip.Addr, bool) {
	h = strings.TrimSpace(h)
	if a, err := netip.ParseAddr(h); err == nil {
		return a.Unmap().WithZone(""), true
	}
	if ap, err := netip.ParseAddrPort(h); err == nil {
		return ap.Addr().Unmap().WithZone(""), true
	}
	if len(h) > 2 && h[0] == '[' && h[len(h)-1] == ']' {
		if a, err := netip.ParseAddr(h[1 : len(h)-1]); err == nil && a.Is6() {
			return a.Unmap().WithZone(""), true
		}
	}
	return netip.Addr{}, false
}

// clipHop bounds an unreadable hop's text, at a character boundary.
func clipHop(h string) string {
	if len(h) <= maxHopText {
		return h
	}
	cut := maxHopText
	for cut > 0 && h[cut]&0xC0 == 0x80 {
		cut--
	}
	return h[:cut]
}

// hopKey is the limiters' key of a client known only by the text of an
// unreadable hop: a hash, which no address's key (clientKey) can equal
// but by a 2^-128 chance.
func hopKey(hop string) [16]byte {
	sum := sha256.Sum256([]byte("safedesk-forwarded-hop\x00" + hop))
	return [16]byte(sum[:16])
}

// hopLabel names a client known only by an unreadable hop in logs and
// records.
func hopLabel(hop string) string { return "forwarded:" + strconv.Quote(hop) }

// clientLabel names the client of ri in logs and records: its address, or
// what stands for it; "" when the connection has no address.
func (ri *reqInfo) clientLabel() string {
	switch {
	case ri.ip.IsValid():
		return ri.ip.String()
	case ri.unread:
		return hopLabel(ri.hop)
	}
	return ""
}

// allow takes a token from l for the client of ri. An exempt client is
// counted but never refused.
func (ri *reqInfo) allow(l *security.Limiter) (bool, time.Duration) {
	ok, wait := l.Allow(string(ri.key[:]))
	if ri.exempt {
		return true, 0
	}
	return ok, wait
}

// apiClient is the client decision as the API takes it (api.Hooks).
func apiClient(r *http.Request) api.Client {
	ri := info(r)
	return api.Client{Addr: ri.ip, Label: ri.clientLabel(), Key: string(ri.key[:]), Exempt: ri.exempt}
}

// forwardWatch notices a reverse proxy on this host that --trusted-proxies
// does not name: requests from loopback that carry X-Forwarded-For. Every
// visitor then arrives as loopback, one client, exempt from every limit.
// The server logs a warning and records a security event at the first such
// request and then at most hourly, which doctor reads.
type forwardWatch struct {
	requests atomic.Int64
	last     atomic.Int64 // Unix nanoseconds of the last record
}

// noteForwarded counts a request from the loopback address peer carrying
// X-Forwarded-For, and warns when it is time.
func (s *Server) noteForwarded(ctx context.Context, peer netip.Addr) {
	fw := &s.abuse.forwarded
	n := fw.requests.Add(1)
	now := s.db.Now()
	last := fw.last.Load()
	if last != 0 && now.Sub(time.Unix(0, last)) < forwardedEvery || !fw.last.CompareAndSwap(last, now.UnixNano()) {
		return
	}
	s.log.Warn("SECURITY WARNING: requests arrive from loopback with X-Forwarded-For, but loopback is not in --trusted-proxies: "+
		"every visitor shares the proxy's address and is exempt from rate limits and abuse blocks; "+
		"add --trusted-proxies 127.0.0.1/32,::1/128", "peer", peer.String(), "requests", n)
	err := s.db.RecordSecurityEvent(context.WithoutCancel(ctx), store.SecurityEvent{Kind: forwardedKind, Severity: store.SeverityWarning,
		ClientIP: peer.String(), Actor: "-", Details: map[string]any{"requests": n}})
	if err != nil {
		s.log.Error("security event not recorded", "kind", forwardedKind, "err", err)
	}
}
