package mail

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// relay is an SMTP relay from the --smtp URL.
type relay struct {
	from    string
	host    string
	opts    []gomail.Option
	display string
}

func newRelay(rawURL, from string) (*relay, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, parseError("--smtp", rawURL)
	}
	host := u.Hostname()
	if host == "" {
		return nil, errors.New("mail: --smtp needs a host, like smtp://user@mail.example.com:587")
	}
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "" {
		// A password with an unescaped / ? or # ends the host early.
		return nil, errors.New("mail: --smtp takes no path, query or fragment: percent-encode / ? # in the user name or password")
	}
	if from == "" {
		return nil, errors.New("mail: --mail-from is required with --smtp")
	}
	r := &relay{from: from, host: host, display: u.Scheme + "://" + u.Host}
	r.opts = []gomail.Option{gomail.WithTimeout(15 * time.Second), gomail.WithTLSConfig(&tls.Config{ServerName: host, MinVersion: tls.VersionTLS12})}
	port := 0
	if p := u.Port(); p != "" {
		if port, err = strconv.Atoi(p); err != nil {
			return nil, fmt.Errorf("mail: --smtp port %q: %w", p, err)
		}
	}
	switch u.Scheme {
	case "smtp":
		r.opts = append(r.opts, gomail.WithTLSPortPolicy(gomail.TLSMandatory))
		port = cmp.Or(port, 587)
	case "smtps":
		r.opts = append(r.opts, gomail.WithSSL())
		port = cmp.Or(port, 465)
	case "smtp+insecure":
		ip := net.ParseIP(host)
		if host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return nil, errors.New("mail: smtp+insecure:// is allowed only for a loopback address")
		}
		r.opts = append(r.opts, gomail.WithTLSPolicy(gomail.NoTLS))
		port = cmp.Or(port, 25)
	default:
		return nil, fmt.Errorf("mail: --smtp scheme %q: use smtp://, smtps:// or smtp+insecure://", u.Scheme)
	}
	r.opts = append(r.opts, gomail.WithPort(port))
	if u.User != nil {
		pass, _ := u.User.Password() // a user without a password authenticates with an empty one
		r.opts = append(r.opts, gomail.WithSMTPAuth(gomail.SMTPAuthPlain),
			gomail.WithUsername(u.User.Username()), gomail.WithPassword(pass))
	}
	return r, nil
}

// parseError explains a URL that does not parse without quoting its user
// name or password: url.Parse's error quotes the whole URL, and a typo in
// the port would otherwise print the password to the journal.
func parseError(flag, rawURL string) error {
	safe := withoutUserinfo(rawURL)
	if _, err := url.Parse(safe); err != nil {
		return fmt.Errorf("mail: %s: %w", flag, err)
	}
	return fmt.Errorf("mail: %s: the user name or password is malformed: percent-encode characters such as @ : / ? # %%", flag)
}

// withoutUserinfo replaces everything up to the last @ after the scheme
// with "***@". The last @, not the first: a password may hold one unescaped.
func withoutUserinfo(rawURL string) string {
	at := strings.LastIndex(rawURL, "@")
	if at < 0 {
		return rawURL
	}
	prefix := ""
	if i := strings.Index(rawURL, "://"); i >= 0 && i < at {
		prefix = rawURL[:i+3]
	}
	return prefix + "***@" + rawURL[at+1:]
}

// send delivers m; every error is an *Error.
func (r *relay) send(ctx context.Context, m Message) error {
	msg := gomail.NewMsg()
	if err := msg.From(r.from); err != nil {
		return &Error{Kind: m.Kind, Step: "sender address"}
	}
	if err := msg.To(m.To); err != nil { // go-mail's error quotes the address
		return &Error{Kind: m.Kind, Step: "recipient address"}
	}
	msg.Subject(m.Subject)
	msg.SetDate()
	if err := setThreading(msg, m); err != nil {
		return &Error{Kind: m.Kind, Step: "reply address"}
	}
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	c, err := gomail.NewClient(r.host, r.opts...)
	if err != nil {
		return &Error{Kind: m.Kind, Step: "client", Cause: err.Error()} // options only: no message in it
	}
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		return sendError(m.Kind, err)
	}
	return nil
}

// setThreading writes m's Message-ID, In-Reply-To, References, Reply-To and
// Auto-Submitted, where set.
func setThreading(msg *gomail.Msg, m Message) error {
	if m.MessageID != "" {
		msg.SetMessageIDWithValue(m.MessageID)
	}
	if m.InReplyTo != "" {
		msg.SetGenHeaderPreformatted(gomail.HeaderInReplyTo, "<"+m.InReplyTo+">")
	}
	if len(m.References) > 0 {
		msg.SetGenHeaderPreformatted(gomail.HeaderReferences, "<"+strings.Join(m.References, "> <")+">")
	}
	if m.AutoSubmitted != "" {
		msg.SetGenHeader("Auto-Submitted", m.AutoSubmitted)
	}
	if m.ReplyTo != "" {
		return msg.ReplyTo(m.ReplyTo)
	}
	return nil
}
