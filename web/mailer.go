package web

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"time"

	gomail "github.com/wneessen/go-mail"

	"safedesk/security"
)

// Mail is one plain-text email.
type Mail struct {
	To      string
	Subject string
	Text    string
}

// Mailer sends mail. The interface lives here, at its consumer, because mail
// leaves the process: tests use a real SMTP server, development uses LogMailer.
type Mailer interface {
	Send(ctx context.Context, m Mail) error
	// Describe names the relay for the privacy page and the doctor.
	Describe() string
}

// SMTPMailer sends mail through an SMTP relay.
type SMTPMailer struct {
	from    string
	host    string
	opts    []gomail.Option
	display string
}

// NewMailer returns an SMTP mailer for an smtp://, smtps:// or
// smtp+insecure:// URL, or a LogMailer when rawURL is empty.
//
//	smtp://user:pass@host:587         STARTTLS required
//	smtps://user:pass@host:465        implicit TLS
//	smtp+insecure://127.0.0.1:2525    no TLS (loopback testing only)
func NewMailer(rawURL, from string, log *slog.Logger) (Mailer, error) {
	if rawURL == "" {
		return &LogMailer{log: log}, nil
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, fmt.Errorf("web: --smtp: %w", err)
	}
	host := u.Hostname()
	if host == "" {
		return nil, errors.New("web: --smtp needs a host, like smtp://user:pass@mail.example.com:587")
	}
	if from == "" {
		return nil, errors.New("web: --mail-from is required with --smtp")
	}
	m := &SMTPMailer{from: from, host: host, display: u.Scheme + "://" + u.Host}
	m.opts = []gomail.Option{gomail.WithTimeout(15 * time.Second), gomail.WithTLSConfig(&tls.Config{ServerName: host, MinVersion: tls.VersionTLS12})}
	port := 0
	if p := u.Port(); p != "" {
		if port, err = strconv.Atoi(p); err != nil {
			return nil, fmt.Errorf("web: --smtp port %q: %w", p, err)
		}
	}
	switch u.Scheme {
	case "smtp":
		m.opts = append(m.opts, gomail.WithTLSPortPolicy(gomail.TLSMandatory))
		if port == 0 {
			port = 587
		}
	case "smtps":
		m.opts = append(m.opts, gomail.WithSSL())
		if port == 0 {
			port = 465
		}
	case "smtp+insecure":
		ip := net.ParseIP(host)
		if host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return nil, errors.New("web: smtp+insecure:// is allowed only for a loopback address")
		}
		m.opts = append(m.opts, gomail.WithTLSPolicy(gomail.NoTLS))
		if port == 0 {
			port = 25
		}
	default:
		return nil, fmt.Errorf("web: --smtp scheme %q: use smtp://, smtps:// or smtp+insecure://", u.Scheme)
	}
	m.opts = append(m.opts, gomail.WithPort(port))
	if u.User != nil {
		pass, _ := u.User.Password()
		m.opts = append(m.opts, gomail.WithSMTPAuth(gomail.SMTPAuthPlain),
			gomail.WithUsername(u.User.Username()), gomail.WithPassword(pass))
	}
	return m, nil
}

// Send delivers m.
func (s *SMTPMailer) Send(ctx context.Context, m Mail) error {
	msg := gomail.NewMsg()
	if err := msg.From(s.from); err != nil {
		return fmt.Errorf("web: mail from: %w", err)
	}
	if err := msg.To(m.To); err != nil {
		return fmt.Errorf("web: mail to: %w", err)
	}
	msg.Subject(m.Subject)
	msg.SetDate()
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	c, err := gomail.NewClient(s.host, s.opts...)
	if err != nil {
		return fmt.Errorf("web: mail client: %w", err)
	}
	if err := c.DialAndSendWithContext(ctx, msg); err != nil {
		return fmt.Errorf("web: send mail: %w", err)
	}
	return nil
}

// Describe names the relay, without credentials.
func (s *SMTPMailer) Describe() string { return s.display }

// LogMailer writes mail to the log instead of sending it: development mode
// only. The recipient is masked; the text is shown so a developer can read a
// code.
type LogMailer struct {
	log *slog.Logger
}

// Send logs m.
func (l *LogMailer) Send(ctx context.Context, m Mail) error {
	l.log.WarnContext(ctx, "DEVELOPMENT MODE: no --smtp configured, mail written to the log instead of sent",
		"to", security.MaskEmail(m.To), "subject", m.Subject, "text", m.Text)
	return nil
}

// Describe says that mail stays in the log.
func (l *LogMailer) Describe() string { return "" }
