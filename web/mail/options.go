package mail

import (
	"cmp"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/mail"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"safedesk/security"
)

// InboundOptions are the email channel's settings: the mailbox read over
// IMAP, the support address customers write to, whose verdict on senders
// to trust, and the largest message imported.
type InboundOptions struct {
	IMAP           string        // --imap: imaps://user@host:993/INBOX
	PasswordFile   string        // --imap-password-file
	Interval       time.Duration // --imap-interval
	SupportAddress string        // --support-address; --mail-from's address when empty
	AuthservID     string        // --mail-authserv-id: mx.google.com, or position:1
	MaxSize        ByteSize      // --email-max-size
	VerifyDKIM     bool          // --mail-verify-dkim: check DKIM signatures against DNS here too

	// RootCAs are the certificates trusted for the mailbox's TLS; nil is
	// the system's (a test's own server sets its own).
	RootCAs *x509.CertPool

	server  imapServer
	trust   security.MailTrust
	support string
	from    string // --mail-from's address
}

// DefaultInboundOptions are the defaults: no mailbox, a poll every 30
// seconds (IDLE wakes it sooner), messages up to 25 MiB.
func DefaultInboundOptions() InboundOptions {
	return InboundOptions{Interval: 30 * time.Second, MaxSize: 25 << 20}
}

// PasswordEnv is the environment variable that may hold the mailbox
// password (never a flag: flags are visible in ps).
const PasswordEnv = "SAFEDESK_IMAP_PASSWORD"

// Flags binds the options to fs.
func (o *InboundOptions) Flags(fs *flag.FlagSet) {
	fs.StringVar(&o.IMAP, "imap", o.IMAP, "support mailbox to read: imaps://user@host:993/INBOX (TLS), imap://user@host/INBOX (STARTTLS required), imap+insecure://user@127.0.0.1:1143/INBOX (loopback only); the password comes from --imap-password-file or "+PasswordEnv)
	fs.StringVar(&o.PasswordFile, "imap-password-file", o.PasswordFile, "file holding the mailbox password")
	fs.DurationVar(&o.Interval, "imap-interval", o.Interval, "how often to read the mailbox (IDLE, where the server offers it, wakes it at once)")
	fs.StringVar(&o.SupportAddress, "support-address", o.SupportAddress, "the address customers write to, like support@example.com (default: --mail-from's); replies come back to support+TOKEN@ the same domain")
	fs.StringVar(&o.AuthservID, "mail-authserv-id", o.AuthservID, `the receiving server whose Authentication-Results header is trusted, like mx.google.com; "position:1" trusts the topmost header by position (Microsoft 365, which writes no authserv-id); empty: no sender is ever authenticated`)
	fs.Var(&o.MaxSize, "email-max-size", "largest message imported, like 25MiB; a larger one is left in the mailbox and the owners are alerted")
	fs.BoolVar(&o.VerifyDKIM, "mail-verify-dkim", o.VerifyDKIM, "also verify DKIM signatures here against DNS (needs outbound DNS); an aligned valid signature authenticates a sender unless the receiver's DMARC failed")
}

// Validate checks the options and reads the password; mailFrom is the
// --mail-from setting, the default support address.
func (o *InboundOptions) Validate(mailFrom string) error {
	trust, err := security.ParseMailTrust(o.AuthservID)
	if err != nil {
		return errors.New("mail: --mail-authserv-id: " + strings.TrimPrefix(err.Error(), "security: "))
	}
	o.trust = trust
	if o.MaxSize < 1<<20 {
		return errors.New("mail: --email-max-size must be at least 1MiB")
	}
	if o.Interval < 5*time.Second || o.Interval > 24*time.Hour {
		return errors.New("mail: --imap-interval must be between 5s and 24h")
	}
	if a, err := mail.ParseAddress(mailFrom); err == nil {
		o.from = a.Address
	}
	support := cmp.Or(o.SupportAddress, mailFrom)
	if support != "" {
		a, err := mail.ParseAddress(support)
		if err != nil || !strings.Contains(a.Address, "@") || strings.Contains(a.Address, "+") {
			return fmt.Errorf("mail: --support-address %q: want an address like support@example.com, without a +tag", support)
		}
		o.support = a.Address
	}
	if o.IMAP == "" {
		return nil
	}
	if o.support == "" {
		return errors.New("mail: --imap needs --support-address (or --mail-from): the address customers write to")
	}
	o.server, err = parseIMAP(o.IMAP)
	if err != nil {
		return err
	}
	return o.readPassword()
}

// readPassword takes the password from the file (mode 0600, as the SMTP
// password's), else the environment, else the URL.
func (o *InboundOptions) readPassword() error {
	switch {
	case o.PasswordFile != "":
		pass, err := readPasswordFile("--imap-password-file", o.PasswordFile, "mailbox")
		if err != nil {
			return err
		}
		o.server.password = pass
	case os.Getenv(PasswordEnv) != "":
		o.server.password = os.Getenv(PasswordEnv)
	}
	if o.server.password == "" {
		return errors.New("mail: no mailbox password: use --imap-password-file or " + PasswordEnv)
	}
	return nil
}

// Enabled reports whether a mailbox is read.
func (o InboundOptions) Enabled() bool { return o.IMAP != "" }

// Mailbox names the mailbox without credentials, like
// imaps://support@imap.example.com:993/INBOX; "" when none is read.
func (o InboundOptions) Mailbox() string { return o.server.display }

// Trust is whose Authentication-Results header is believed.
func (o InboundOptions) Trust() security.MailTrust { return o.trust }

// Support is the support address (validated), "" when none is set.
func (o InboundOptions) Support() string { return o.support }

// PasswordInURL reports whether the password was written into --imap,
// where ps and the shell history show it.
func (o InboundOptions) PasswordInURL() bool { return o.server.passwordInURL }

// imapServer is the parsed --imap URL.
type imapServer struct {
	scheme        string // imaps, imap or imap+insecure
	addr          string // host:port
	host          string
	user          string
	password      string
	passwordInURL bool
	mailbox       string
	display       string
}

// parseIMAP reads an --imap URL. Its errors never repeat the password.
func parseIMAP(raw string) (imapServer, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return imapServer{}, parseError("--imap", raw)
	}
	s := imapServer{scheme: u.Scheme, host: u.Hostname(), mailbox: strings.TrimPrefix(u.Path, "/")}
	if s.host == "" {
		return imapServer{}, errors.New("mail: --imap needs a host, like imaps://support@imap.example.com/INBOX")
	}
	if u.User == nil || u.User.Username() == "" {
		return imapServer{}, errors.New("mail: --imap needs a user name, like imaps://support@imap.example.com/INBOX")
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return imapServer{}, errors.New("mail: --imap takes no query or fragment")
	}
	s.user = u.User.Username()
	s.password, s.passwordInURL = u.User.Password()
	s.mailbox = cmp.Or(s.mailbox, "INBOX")
	port := 0
	if p := u.Port(); p != "" {
		if port, err = strconv.Atoi(p); err != nil || port <= 0 || port > 65535 {
			return imapServer{}, fmt.Errorf("mail: --imap port %q", p)
		}
	}
	switch s.scheme {
	case "imaps":
		port = cmp.Or(port, 993)
	case "imap":
		port = cmp.Or(port, 143)
	case "imap+insecure":
		ip := net.ParseIP(s.host)
		if s.host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return imapServer{}, errors.New("mail: imap+insecure:// is allowed only for a loopback address")
		}
		port = cmp.Or(port, 143)
	default:
		return imapServer{}, fmt.Errorf("mail: --imap scheme %q: use imaps://, imap:// (STARTTLS) or imap+insecure:// (loopback)", s.scheme)
	}
	s.addr = net.JoinHostPort(s.host, strconv.Itoa(port))
	s.display = s.scheme + "://" + url.User(s.user).String() + "@" + s.addr + "/" + s.mailbox
	return s, nil
}

// ByteSize is a flag of bytes: a number, optionally with KiB, MiB or GiB
// (K, KB, M, MB, G, GB mean the same binary units), for --email-max-size
// and web's --attachment-max-size.
type ByteSize int64

// String writes the size in the largest whole binary unit.
func (b *ByteSize) String() string {
	if b == nil {
		return "0"
	}
	n := int64(*b)
	for _, u := range []struct {
		suffix string
		size   int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n >= u.size && n%u.size == 0 {
			return strconv.FormatInt(n/u.size, 10) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10)
}

// Set reads a size (flag.Value).
func (b *ByteSize) Set(s string) error {
	s = strings.TrimSpace(s)
	num := strings.TrimRight(s, "KMGiBkmgb")
	unit := strings.ToUpper(strings.TrimSpace(s[len(num):]))
	mult := map[string]int64{"": 1, "B": 1, "K": 1 << 10, "KB": 1 << 10, "KIB": 1 << 10, "M": 1 << 20, "MB": 1 << 20, "MIB": 1 << 20,
		"G": 1 << 30, "GB": 1 << 30, "GIB": 1 << 30}[unit]
	n, err := strconv.ParseInt(strings.TrimSpace(num), 10, 64)
	if err != nil || mult == 0 || n < 0 || n > 1<<40/mult {
		return errors.New("want a size like 20MiB, 512KiB or 1048576")
	}
	*b = ByteSize(n * mult)
	return nil
}
