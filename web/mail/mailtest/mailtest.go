// Package mailtest holds what the tests of the email channel share: a
// real IMAP server on loopback (go-imap v2's server with its in-memory
// backend) to deliver mail into, and the MIME fixtures of web/mail/testdata.
// It imports neither web nor web/mail, so both can use it.
package mailtest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"log"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"
)

// Mailbox credentials of the test IMAP server.
const (
	User     = "support@northwind.example"
	Password = "imap-s3cret-pass"
)

// IMAPServer is an IMAP server on loopback with one user and an INBOX.
type IMAPServer struct {
	Addr   string
	user   *imapmemserver.User
	scheme string
}

// NewIMAPServer starts an IMAP server (IMAP4rev1 with IDLE, plain text:
// use imap+insecure://) that the test's end closes.
func NewIMAPServer(tb testing.TB) *IMAPServer {
	tb.Helper()
	return newIMAPServer(tb, nil)
}

// NewIMAPSServer starts an IMAP server with implicit TLS (imaps://) under
// a certificate for localhost that only Roots trusts.
func NewIMAPSServer(tb testing.TB) (*IMAPServer, *x509.CertPool) {
	tb.Helper()
	cert, roots := localCert(tb)
	return newIMAPServer(tb, &tls.Config{Certificates: []tls.Certificate{cert}}), roots
}

func newIMAPServer(tb testing.TB, tlsConfig *tls.Config) *IMAPServer {
	tb.Helper()
	mem := imapmemserver.New()
	user := imapmemserver.NewUser(User, Password)
	if err := user.Create("INBOX", nil); err != nil {
		tb.Fatal(err)
	}
	mem.AddUser(user)
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return mem.NewSession(), nil, nil
		},
		Caps:         imap.CapSet{imap.CapIMAP4rev1: {}},
		InsecureAuth: true,
		Logger:       log.New(io.Discard, "", 0),
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	scheme := "imap+insecure"
	if tlsConfig != nil {
		ln, scheme = tls.NewListener(ln, tlsConfig), "imaps"
	}
	var wg sync.WaitGroup
	wg.Go(func() { _ = srv.Serve(ln) }) // returns when closed
	tb.Cleanup(func() {
		srv.Close()
		wg.Wait()
	})
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return &IMAPServer{Addr: "localhost:" + port, user: user, scheme: scheme}
}

// localCert makes a certificate for localhost and 127.0.0.1, and the pool
// that trusts it.
func localCert(tb testing.TB) (tls.Certificate, *x509.CertPool) {
	tb.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "localhost"},
		DNSNames: []string{"localhost"}, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		tb.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		tb.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(cert)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}, roots
}

// URL is the --imap URL of the INBOX (the password goes separately).
func (s *IMAPServer) URL() string {
	return s.scheme + "://" + strings.Replace(User, "@", "%40", 1) + "@" + s.Addr + "/INBOX"
}

// Deliver appends a message to the INBOX, unread, and returns its UID.
func (s *IMAPServer) Deliver(tb testing.TB, raw []byte) uint32 {
	tb.Helper()
	return s.deliver(tb, raw, nil)
}

// DeliverRead appends a message that someone has read already.
func (s *IMAPServer) DeliverRead(tb testing.TB, raw []byte) uint32 {
	tb.Helper()
	return s.deliver(tb, raw, []imap.Flag{imap.FlagSeen})
}

func (s *IMAPServer) deliver(tb testing.TB, raw []byte, flags []imap.Flag) uint32 {
	tb.Helper()
	data, err := s.user.Append("INBOX", bytes.NewReader(raw), &imap.AppendOptions{Flags: flags})
	if err != nil {
		tb.Fatal(err)
	}
	return uint32(data.UID)
}

// Seen reports whether the message uid has \Seen.
func (s *IMAPServer) Seen(tb testing.TB, uid uint32) bool {
	tb.Helper()
	sess := imapmemserver.NewUserSession(s.user)
	defer sess.Close()
	if _, err := sess.Select("INBOX", &imap.SelectOptions{ReadOnly: true}); err != nil {
		tb.Fatal(err)
	}
	data, err := sess.Search(imapserver.NumKindUID, &imap.SearchCriteria{UID: []imap.UIDSet{imap.UIDSetNum(imap.UID(uid))},
		Flag: []imap.Flag{imap.FlagSeen}}, &imap.SearchOptions{})
	if err != nil {
		tb.Fatal(err)
	}
	return len(data.AllUIDs()) == 1
}

// Count is the number of messages in the INBOX: nothing is ever deleted.
func (s *IMAPServer) Count(tb testing.TB) uint32 {
	tb.Helper()
	st, err := s.user.Status("INBOX", &imap.StatusOptions{NumMessages: true})
	if err != nil {
		tb.Fatal(err)
	}
	return *st.NumMessages
}

// Renumber deletes and makes the INBOX again with the same messages, as a
// server migration does: a new UIDVALIDITY, every message unread again.
func (s *IMAPServer) Renumber(tb testing.TB, raws ...[]byte) {
	tb.Helper()
	if err := s.user.Delete("INBOX"); err != nil {
		tb.Fatal(err)
	}
	if err := s.user.Create("INBOX", nil); err != nil {
		tb.Fatal(err)
	}
	for _, raw := range raws {
		s.Deliver(tb, raw)
	}
}

// Fixture reads web/mail/testdata/name with its placeholders replaced:
// pairs of {{KEY}} and value.
func Fixture(tb testing.TB, name string, pairs ...string) []byte {
	tb.Helper()
	_, file, _, _ := runtime.Caller(0)
	b, err := os.ReadFile(filepath.Join(filepath.Dir(file), "..", "testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	for i := 0; i+1 < len(pairs); i += 2 {
		b = bytes.ReplaceAll(b, []byte("{{"+pairs[i]+"}}"), []byte(pairs[i+1]))
	}
	return b
}
