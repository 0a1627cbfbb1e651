package security

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Timeouts NewSafeClient uses where SafeClientOptions leaves them zero.
const (
	// DefaultDialTimeout bounds each TCP connection attempt.
	DefaultDialTimeout = 5 * time.Second
	// DefaultTLSHandshakeTimeout bounds the TLS handshake.
	DefaultTLSHandshakeTimeout = 5 * time.Second
	// DefaultResponseHeaderTimeout bounds the wait for response headers
	// once the request is written.
	DefaultResponseHeaderTimeout = 10 * time.Second
	// DefaultWebhookTimeout bounds a whole delivery, body included.
	DefaultWebhookTimeout = 30 * time.Second
)

// maxWebhookURL bounds the length of a webhook URL.
const maxWebhookURL = 2048

// ErrWebhookRefused is wrapped by every error that refuses a webhook URL or
// destination: a bad URL, a name that does not resolve, or an address that
// is not public. The message of such an error names only what the URL
// itself says (its host, or an address written in it), never an address a
// name resolved to, so it may be shown to the person who entered the URL
// without telling them where internal names point. RefusalDetail has the
// rest, for the server's log.
var ErrWebhookRefused = errors.New("security: webhook destination refused")

// webhookRefusedError is an error that matches ErrWebhookRefused.
type webhookRefusedError struct {
	msg    string
	detail string // for the server's log: the resolved address
	err    error  // the cause, if any
}

// RefusalDetail returns what a webhook refusal leaves out of its message
// for the server's log, such as "db.corp.internal resolves to 10.0.5.12",
// or "" when there is nothing more.
func RefusalDetail(err error) string {
	var e *webhookRefusedError
	if errors.As(err, &e) {
		return e.detail
	}
	return ""
}

func (e *webhookRefusedError) Error() string        { return e.msg }
func (e *webhookRefusedError) Unwrap() error        { return e.err }
func (e *webhookRefusedError) Is(target error) bool { return target == ErrWebhookRefused }

func webhookRefusedf(cause error, format string, args ...any) *webhookRefusedError {
	return &webhookRefusedError{msg: "security: " + fmt.Sprintf(format, args...), err: cause}
}

// LookupFunc resolves a host name to its IP addresses. Tests pass their own
// to map names to chosen addresses; nil means the system resolver.
type LookupFunc func(ctx context.Context, host string) ([]netip.Addr, error)

// SafeClientOptions configures NewSafeClient. Zero durations take the
// Default* values.
type SafeClientOptions struct {
	// AllowHosts lists destinations exempt from the address checks, each an
	// exact host name or IP ("hooks.internal", "10.0.0.7") or a host and
	// port ("hooks.internal:8443", "[fd00::7]:80"). It is matched against
	// the host name being dialled, before resolution; no wildcards.
	AllowHosts []string
	// Lookup resolves host names; nil means net.DefaultResolver.
	Lookup LookupFunc

	DialTimeout           time.Duration // per TCP connection attempt
	TLSHandshakeTimeout   time.Duration
	ResponseHeaderTimeout time.Duration // from request written to response headers
	Timeout               time.Duration // whole request, including reading the body
}

// NewSafeClient returns an HTTP client for delivering webhooks that cannot be
// pointed at the server's own network. Its dialer resolves the host itself,
// refuses the connection if any address is not public unicast (see
// CheckURL), and dials only the addresses it checked, so a DNS answer that
// changes between check and use gains nothing; a net.Dialer Control
// function checks the connected address once more. Hosts in AllowHosts
// skip both checks. The client follows no redirects (a 3xx is returned as
// the response), ignores proxy settings from the environment, and applies
// the timeouts in opts. Callers should still limit how much of the response
// body they read.
func NewSafeClient(opts SafeClientOptions) *http.Client {
	d := &safeDialer{
		allow:  newAllowList(opts.AllowHosts),
		lookup: opts.Lookup,
		dialer: net.Dialer{
			Timeout:   durationOr(opts.DialTimeout, DefaultDialTimeout),
			KeepAlive: 30 * time.Second,
		},
	}
	t := &http.Transport{
		Proxy:                  nil, // never from the environment
		DialContext:            d.DialContext,
		ForceAttemptHTTP2:      true,
		TLSClientConfig:        &tls.Config{MinVersion: tls.VersionTLS12},
		TLSHandshakeTimeout:    durationOr(opts.TLSHandshakeTimeout, DefaultTLSHandshakeTimeout),
		ResponseHeaderTimeout:  durationOr(opts.ResponseHeaderTimeout, DefaultResponseHeaderTimeout),
		ExpectContinueTimeout:  time.Second,
		MaxIdleConns:           16,
		MaxIdleConnsPerHost:    2,
		IdleConnTimeout:        90 * time.Second,
		MaxResponseHeaderBytes: 64 << 10,
	}
	return &http.Client{
		Transport: t,
		Timeout:   durationOr(opts.Timeout, DefaultWebhookTimeout),
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}

func durationOr(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// CheckURL validates a webhook URL when it is entered: the scheme must be
// http or https, it must name a host and carry no user name or password,
// and, unless its host is in allow (see SafeClientOptions.AllowHosts), every
// address the host resolves to must be public unicast. Refused are loopback,
// private (RFC 1918, fc00::/7), link-local (169.254/16 including cloud
// metadata, fe80::/10), multicast, unspecified, 0.0.0.0/8, CGNAT
// 100.64/10, broadcast, benchmarking 198.18/15, documentation and other
// reserved ranges, and IPv4-mapped, NAT64 and 6to4 addresses embedding any
// of those. Every error wraps ErrWebhookRefused and reads like
// "security: webhook address 10.0.0.1 is private". Passing the check does not
// make later deliveries safe by itself: DNS can change, so deliveries must
// use NewSafeClient, which checks again at every connection.
func CheckURL(ctx context.Context, raw string, allow []string, lookup LookupFunc) error {
	if len(raw) > maxWebhookURL {
		return webhookRefusedf(nil, "webhook url is longer than %d characters", maxWebhookURL)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return webhookRefusedf(nil, "webhook url is not a valid URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return webhookRefusedf(nil, "webhook url must start with http:// or https://")
	}
	if u.User != nil {
		return webhookRefusedf(nil, "webhook url must not contain a user name or password")
	}
	host := u.Hostname()
	if host == "" {
		return webhookRefusedf(nil, "webhook url must name a host")
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return webhookRefusedf(nil, "webhook url has an invalid port %q", u.Port())
	}
	if newAllowList(allow).allows(host, port) {
		return nil
	}
	addrs, err := resolveHost(ctx, lookup, host)
	if err != nil {
		return err
	}
	return checkAddrs(host, addrs)
}

// resolveHost returns the addresses of host: the host itself if it is an IP
// literal, otherwise what lookup (or the system resolver) returns.
func resolveHost(ctx context.Context, lookup LookupFunc, host string) ([]netip.Addr, error) {
	if a, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{a}, nil
	}
	if looksNumeric(host) {
		// Forms like 2130706433, 0x7f.1 or 127.1 are IPv4 addresses to some
		// resolvers and URL parsers; no real host name looks like them.
		return nil, webhookRefusedf(nil, "webhook host %s is not a valid host name or IP address", host)
	}
	if lookup == nil {
		lookup = func(ctx context.Context, host string) ([]netip.Addr, error) {
			return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		}
	}
	addrs, err := lookup(ctx, host)
	if err != nil {
		return nil, webhookRefusedf(err, "webhook host %s does not resolve", host)
	}
	if len(addrs) == 0 {
		return nil, webhookRefusedf(nil, "webhook host %s has no addresses", host)
	}
	return addrs, nil
}

// looksNumeric reports whether the last label of host is a number (decimal,
// octal or 0x hex), which makes the name an IPv4 address in disguise.
func looksNumeric(host string) bool {
	host = strings.TrimSuffix(host, ".")
	label := host[strings.LastIndexByte(host, '.')+1:]
	if l := strings.ToLower(label); strings.HasPrefix(l, "0x") {
		label = l[2:]
		if label == "" {
			return true
		}
		_, err := strconv.ParseUint(label, 16, 64)
		return err == nil
	}
	if label == "" {
		return false
	}
	_, err := strconv.ParseUint(label, 10, 64)
	return err == nil
}

// checkAddrs refuses the whole host if any of its addresses is forbidden,
// so that no retry or fallback can reach the forbidden one. The message
// names the address only when host is that address; otherwise it says what
// kind of address the host resolves to, and the address goes to the detail.
// An empty host is the address a connection is about to use.
func checkAddrs(host string, addrs []netip.Addr) error {
	for _, a := range addrs {
		class := addrClassOf(a)
		switch {
		case class == "":
			continue
		case normalHost(host) == a.String():
			return webhookRefusedf(nil, "webhook address %s is %s", a, class)
		case host == "":
			e := webhookRefusedf(nil, "webhook destination is an address that is %s", class)
			e.detail = "destination " + a.String()
			return e
		}
		e := webhookRefusedf(nil, "webhook host %s resolves to an address that is %s", host, class)
		e.detail = host + " resolves to " + a.String()
		return e
	}
	return nil
}

// refuseForbidden is the net.Dialer Control function: the last look at the
// address the socket is about to connect to.
func refuseForbidden(network, address string, _ syscall.RawConn) error {
	switch network {
	case "tcp", "tcp4", "tcp6":
	default:
		return webhookRefusedf(nil, "webhook network %s is not allowed", network)
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return webhookRefusedf(nil, "webhook address %s is not an IP address", address)
	}
	return checkAddrs("", []netip.Addr{ap.Addr()})
}

// safeDialer resolves, checks and dials, in that order, in one place.
type safeDialer struct {
	allow  allowList
	lookup LookupFunc
	dialer net.Dialer
}

// DialContext connects to address ("host:port") as described on NewSafeClient.
func (d *safeDialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	host, portStr, err := net.SplitHostPort(address)
	if err != nil {
		return nil, webhookRefusedf(err, "webhook address %s is not host:port", address)
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil {
		return nil, webhookRefusedf(err, "webhook address %s has an invalid port", address)
	}
	allowed := d.allow.allows(host, portStr)
	addrs, err := resolveHost(ctx, d.lookup, host)
	if err != nil {
		return nil, err
	}
	nd := d.dialer
	nd.Control = refuseForbidden
	if allowed {
		nd.Control = nil
	} else if err := checkAddrs(host, addrs); err != nil {
		return nil, err
	}
	var firstErr error
	for _, a := range addrs {
		conn, err := nd.DialContext(ctx, network, netip.AddrPortFrom(a.Unmap(), uint16(port)).String())
		if err == nil {
			return conn, nil
		}
		if firstErr == nil {
			firstErr = err
		}
		if ctx.Err() != nil {
			break
		}
	}
	return nil, firstErr
}

// allowList holds normalised AllowHosts entries.
type allowList struct {
	hosts     map[string]bool // "host"
	hostPorts map[string]bool // "host:port" as net.JoinHostPort writes it
}

func newAllowList(entries []string) allowList {
	l := allowList{hosts: map[string]bool{}, hostPorts: map[string]bool{}}
	for _, e := range entries {
		e = strings.TrimSpace(e)
		if h, p, err := net.SplitHostPort(e); err == nil {
			l.hostPorts[net.JoinHostPort(normalHost(h), p)] = true
		} else if e != "" {
			l.hosts[normalHost(e)] = true
		}
	}
	return l
}

// allows reports whether host, or host with port, was allow-listed.
func (l allowList) allows(host, port string) bool {
	h := normalHost(host)
	return l.hosts[h] || l.hostPorts[net.JoinHostPort(h, port)]
}

// normalHost lower-cases a host name, drops a final dot and brackets, and
// writes IP literals in their canonical form.
func normalHost(h string) string {
	h = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
	if a, err := netip.ParseAddr(h); err == nil {
		return a.String()
	}
	return strings.TrimSuffix(strings.ToLower(h), ".")
}
