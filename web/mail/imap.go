package mail

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"mime"
	"net"
	"slices"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-message/charset"
)

// The IMAP side, with go-imap v2's client: connect with implicit TLS,
// STARTTLS (required) or, on loopback only, in the clear; log in; select
// the mailbox; find the messages past the last UID done; fetch one at a
// time without setting \Seen (BODY.PEEK), and set it only after the
// message is committed. Nothing is ever deleted or moved.
//
// Libraries: go-imap v2 although it is a beta, because v1 is no longer
// maintained; only its settled core is used (imapclient's Dial*, Login,
// Select, UID SEARCH, FETCH of RFC822.SIZE and BODY.PEEK[], STORE +FLAGS,
// IDLE and the unilateral-data handler; the tests run its imapserver with
// imapmemserver). go-message, by the same maintainer, reads MIME as a
// stream (a 25 MiB attachment is never held twice) in every charset of
// golang.org/x/text; enmime would hold each part in memory. go-msgauth
// parses Authentication-Results (authres) and re-verifies DKIM (dkim).
// HTML-only mail becomes text with golang.org/x/net/html's tokenizer
// (html.go): no markup is ever kept.

// dialTimeout bounds connecting and the TLS handshake.
const dialTimeout = 20 * time.Second

// imapSession is a logged-in connection with the mailbox selected.
type imapSession struct {
	c        *imapclient.Client
	sel      *imap.SelectData
	security string // how the connection is protected, for doctor
	idle     bool   // the server offers IDLE
}

// connectIMAP dials s, logs in and selects its mailbox. handler receives
// the server's unsolicited updates (new messages while idling); ctx ending
// closes the connection.
func connectIMAP(ctx context.Context, s imapServer, roots *x509.CertPool, handler *imapclient.UnilateralDataHandler) (*imapSession, error) {
	tlsConfig := &tls.Config{ServerName: s.host, MinVersion: tls.VersionTLS12, RootCAs: roots}
	opts := &imapclient.Options{
		TLSConfig:             tlsConfig,
		WordDecoder:           &mime.WordDecoder{CharsetReader: charset.Reader},
		UnilateralDataHandler: handler,
	}
	dialer := &net.Dialer{Timeout: dialTimeout}
	conn, err := dialer.DialContext(ctx, "tcp", s.addr)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", s.addr, err)
	}
	var c *imapclient.Client
	security := "no TLS (loopback only)"
	switch s.scheme {
	case "imaps":
		tc := tls.Client(conn, tlsConfig)
		hctx, cancel := context.WithTimeout(ctx, dialTimeout)
		err = tc.HandshakeContext(hctx)
		cancel()
		if err != nil {
			conn.Close()
			return nil, fmt.Errorf("TLS with %s: %w", s.addr, err)
		}
		st := tc.ConnectionState()
		security = "implicit TLS (" + tls.VersionName(st.Version) + "), certificate verified for " + s.host
		c = imapclient.New(tc, opts)
	case "imap":
		conn.SetDeadline(time.Now().Add(dialTimeout))
		// Fails when the server offers no STARTTLS: never in the clear.
		if c, err = imapclient.NewStartTLS(conn, opts); err != nil {
			return nil, fmt.Errorf("STARTTLS with %s: %w", s.addr, err)
		}
		conn.SetDeadline(time.Time{})
		security = "STARTTLS, certificate verified for " + s.host
	default:
		c = imapclient.New(conn, opts)
	}
	stop := context.AfterFunc(ctx, func() { c.Close() })
	sess, err := login(c, s)
	if err != nil || ctx.Err() != nil {
		stop()
		c.Close()
		return nil, errors.Join(err, ctx.Err())
	}
	sess.security = security
	return sess, nil
}

// login logs in and selects the mailbox. Its errors carry the server's
// answer, never the password.
func login(c *imapclient.Client, s imapServer) (*imapSession, error) {
	if err := c.Login(s.user, s.password).Wait(); err != nil {
		return nil, fmt.Errorf("log in as %s: %w", s.user, err)
	}
	sel, err := c.Select(s.mailbox, nil).Wait()
	if err != nil {
		return nil, fmt.Errorf("open mailbox %s: %w", s.mailbox, err)
	}
	if sel.UIDValidity == 0 {
		return nil, fmt.Errorf("mailbox %s: the server sent no UIDVALIDITY", s.mailbox)
	}
	return &imapSession{c: c, sel: sel, idle: c.Caps().Has(imap.CapIdle)}, nil
}

// close logs out and closes the connection.
func (s *imapSession) close() {
	if s == nil {
		return
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.c.Logout().Wait() // the connection closes either way
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
	}
	s.c.Close()
}

// newUIDs returns the UIDs after last, in order, and of them those that
// also match want (nil: all of them).
func (s *imapSession) newUIDs(last uint32, want *imap.SearchCriteria) (all, wanted []imap.UID, err error) {
	from := imap.UIDSet{imap.UIDRange{Start: imap.UID(last + 1), Stop: 0}} // last+1:*
	search := func(c imap.SearchCriteria) ([]imap.UID, error) {
		c.UID = []imap.UIDSet{from}
		data, err := s.c.UIDSearch(&c, nil).Wait()
		if err != nil {
			return nil, fmt.Errorf("search: %w", err)
		}
		var out []imap.UID
		// last+1:* also matches the newest message when it is older than last.
		for _, u := range data.AllUIDs() {
			if uint32(u) > last {
				out = append(out, u)
			}
		}
		slices.Sort(out)
		return out, nil
	}
	if all, err = search(imap.SearchCriteria{}); err != nil || want == nil {
		return all, all, err
	}
	wanted, err = search(*want)
	return all, wanted, err
}

// sizes returns the size of each message of uids.
func (s *imapSession) sizes(uids []imap.UID) (map[imap.UID]int64, error) {
	msgs, err := s.c.Fetch(imap.UIDSetNum(uids...), &imap.FetchOptions{UID: true, RFC822Size: true}).Collect()
	if err != nil {
		return nil, fmt.Errorf("fetch sizes: %w", err)
	}
	out := make(map[imap.UID]int64, len(msgs))
	for _, m := range msgs {
		out[m.UID] = m.RFC822Size
	}
	return out, nil
}

// fetch returns the whole message uid, without setting \Seen.
func (s *imapSession) fetch(uid imap.UID) ([]byte, error) {
	section := &imap.FetchItemBodySection{Peek: true}
	msgs, err := s.c.Fetch(imap.UIDSetNum(uid), &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{section}}).Collect()
	if err != nil {
		return nil, fmt.Errorf("fetch message %d: %w", uid, err)
	}
	if len(msgs) == 0 {
		return nil, errGone
	}
	return msgs[0].FindBodySection(section), nil
}

// errGone is a message deleted from the mailbox between search and fetch.
var errGone = errors.New("mail: the message is no longer in the mailbox")

// markSeen sets \Seen on uid.
func (s *imapSession) markSeen(uid imap.UID) error {
	return s.c.Store(imap.UIDSetNum(uid), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagSeen}}, nil).Close()
}

// CheckMailbox logs in to the mailbox of o and opens it, for doctor: it
// says how the connection is protected, what the mailbox holds and whether
// the server offers IDLE. Its error never holds the password.
func CheckMailbox(ctx context.Context, o InboundOptions) (string, error) {
	sess, err := connectIMAP(ctx, o.server, o.RootCAs, nil)
	if err != nil {
		return "", err
	}
	defer sess.close()
	idle := "no IDLE: read every " + o.Interval.String()
	if sess.idle {
		idle = "IDLE offered: new mail is read at once"
	}
	return fmt.Sprintf("logged in over %s; %s holds %d messages; %s", sess.security, o.server.mailbox, sess.sel.NumMessages, idle), nil
}
