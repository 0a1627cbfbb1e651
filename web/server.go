// Package web is safedesk's HTTP layer: the server, one route table,
// middleware, and the handlers of the portal, chat, admin panel and API.
package web

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"sync/atomic"
	"time"

	"github.com/alexedwards/scs/v2"
	"github.com/go-webauthn/webauthn/webauthn"

	"safedesk/backup"
	"safedesk/bot"
	"safedesk/store"
	"safedesk/web/api"
	"safedesk/web/httpx"
	"safedesk/web/mail"
	"safedesk/web/monitor"
)

// Config is what the web layer needs from the command line.
type Config struct {
	BaseURL        *url.URL
	TrustedProxies []netip.Prefix
	Product        string
	MailFrom       string
	// MailRelay names the SMTP relay for the privacy and settings pages
	// (mail.Sender.Describe); "" when mail only goes to the log.
	MailRelay string

	// Session timeouts and the staff's concurrent-session policy
	// (web/options.go); zero fields take DefaultSessionOptions.
	SessionOptions

	// MaxFormBytes caps request bodies of forms; 1 MiB when zero. Files
	// (multipart bodies on the upload routes) have their own limits.
	MaxFormBytes int64
	// WriteTimeout bounds the writing of a response (httpx.WriteTimeout,
	// a minute, when zero); downloads that may take longer (backups,
	// exports, the audit CSV) get as long for each chunk instead
	// (longResponse).
	WriteTimeout time.Duration

	// Attachments limits files on tickets (web/upload.go).
	Attachments AttachmentOptions

	// TLS, when set, makes Run serve HTTPS itself (web/tls.go builds it:
	// TLS 1.2 at least, HTTP/2). Sessions are then Secure and __Host-
	// whatever the base URL says, and HSTS is sent.
	TLS *tls.Config
	// Privacy (web/me*.go): the retention periods that the privacy page
	// states and whether reply notifications carry the reply's text (off
	// by default).
	Privacy PrivacyConfig
	// Doctor runs the deployment checks of `safedesk doctor` for the
	// settings page (web/doctor.go); nil shows none.
	Doctor *Doctor

	// Abuse tunes rate limits and abuse detection (web/abuse.go).
	Abuse AbuseConfig

	// Backups runs and lists backups for the admin backups page; nil
	// when this process makes none.
	Backups *backup.Service

	// API configures the public API and its webhook delivery (web/api).
	API api.Config

	// Email is the email channel (web/admin_email.go); the zero value
	// reads no mailbox, and mail about tickets goes out as --mail-from.
	Email EmailConfig

	// Brand is the branding the flags set (web/brand.go); the admin
	// settings win over it.
	Brand BrandOptions
	// Site is what mail says about the sender; its Brand, shared with the
	// other services that mail customers, follows the admin settings. The
	// zero value makes one from Product and BaseURL.
	Site mail.Site

	// Chat (web/chat*.go, settings in web/options.go): hand-off timeout,
	// business hours, the assistant's vocabulary, transcript retention.
	ChatOptions
}

// Mailer sends mail without holding the request: *mail.Outbox.
type Mailer interface {
	Send(m mail.Message)
}

// Server is the HTTP handler with its dependencies.
type Server struct {
	cfg      Config
	db       *store.DB
	mail     Mailer
	site     mail.Site // what mail says about us
	mon      *monitor.Service
	log      *slog.Logger
	customer *scs.SessionManager
	staff    *scs.SessionManager
	wa       *webauthn.WebAuthn
	handler  http.Handler
	secure   bool // served over HTTPS (directly or behind a proxy)

	kbCache kbCache
	packed  packCache // compressed public pages (web/compress.go)
	banner  atomic.Pointer[string]
	brand   atomic.Pointer[brand] // the branding in force (web/brand.go)

	abuse    *abuse         // rate limits and the abuse guard (web/abuse*.go)
	api      *api.Handler   // the public API, mounted under /api/ and /oauth/
	webhooks *api.Deliverer // webhook delivery, scheduled by main
	chat     *chatState     // the assistant, chat limits and hand-off policy (web/chat*.go)
	threads  *mail.Threads  // mail about tickets, threaded both ways (web/admin_email.go)
	inbox    *mail.Inbox    // reads the support mailbox, scheduled by main; nil without --imap
	nav      []route        // the admin navigation: the labelled staff routes (web/routes.go)
	uploads  *http.ServeMux // the routes that take files (web/upload.go)
	presence *presence      // who views or writes on which ticket (web/presence.go)
}

// New builds the server and its route table. mon is the background work
// that the dashboard, the abuse guard and the chat consult.
func New(cfg Config, db *store.DB, mailer Mailer, mon *monitor.Service, log *slog.Logger) (*Server, error) {
	if cfg.BaseURL == nil {
		return nil, errors.New("web: base URL is required")
	}
	if mon == nil {
		return nil, errors.New("web: the monitor is required")
	}
	if cfg.Product == "" {
		cfg.Product = "safedesk"
	}
	def := DefaultSessionOptions()
	cfg.CustomerIdle = cmp.Or(cfg.CustomerIdle, def.CustomerIdle)
	cfg.CustomerLifetime = cmp.Or(cfg.CustomerLifetime, def.CustomerLifetime)
	cfg.StaffIdle = cmp.Or(cfg.StaffIdle, def.StaffIdle)
	cfg.StaffLifetime = cmp.Or(cfg.StaffLifetime, def.StaffLifetime)
	if cfg.MaxFormBytes == 0 {
		cfg.MaxFormBytes = 1 << 20
	}
	if cfg.Attachments.MaxSize == 0 {
		cfg.Attachments.MaxSize = store.DefaultAttachmentMaxSize
	}
	cfg.StaffSessions = cmp.Or(cfg.StaffSessions, def.StaffSessions)
	if err := cfg.SessionOptions.Validate(); err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	wa, err := newWebAuthn(cfg)
	if err != nil {
		return nil, err
	}
	if cfg.Site.BaseURL == nil {
		cfg.Site = mail.Site{Product: cfg.Product, BaseURL: cfg.BaseURL}
	}
	if cfg.Site.Brand == nil {
		cfg.Site.Brand = new(mail.Brand)
	}
	s := &Server{cfg: cfg, db: db, mail: mailer, mon: mon, log: log, wa: wa, secure: cfg.BaseURL.Scheme == "https" || cfg.TLS != nil,
		site: cfg.Site}
	s.customer = s.newSessionManager("safedesk_customer", cfg.CustomerIdle, cfg.CustomerLifetime)
	// The staff idle timeout is enforced by checkStaffSession from
	// staff_sessions.last_seen_at, which only the person's own requests
	// move; scs would extend it on every request, polling included.
	s.staff = s.newSessionManager("safedesk_staff", 0, cfg.StaffLifetime)
	if err := s.initAbuse(context.Background()); err != nil {
		return nil, err
	}
	if err := s.initEmail(); err != nil {
		return nil, err
	}
	s.initAPI()
	if err := s.initChat(); err != nil {
		return nil, err
	}
	if err := s.initWorkday(context.Background()); err != nil {
		return nil, err
	}
	if err := s.loadBanner(context.Background()); err != nil {
		return nil, err
	}
	if err := s.loadBrand(context.Background()); err != nil {
		return nil, err
	}
	s.handler = s.routes()
	s.nav = s.adminNav()
	return s, nil
}

// ServeHTTP serves a request through the middleware chain.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// HTTPServer returns an http.Server for addr with timeouts that keep slow
// clients from holding connections.
func (s *Server) HTTPServer(addr string) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           s,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      s.writeTimeout(),
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
}

// writeTimeout is Config.WriteTimeout or its default.
func (s *Server) writeTimeout() time.Duration {
	if s.cfg.WriteTimeout > 0 {
		return s.cfg.WriteTimeout
	}
	return httpx.WriteTimeout
}

// longResponse is w for a download that may outlast the write timeout:
// each chunk gets the whole timeout (httpx.LongResponse).
func (s *Server) longResponse(w http.ResponseWriter) http.ResponseWriter {
	return httpx.LongResponse(w, s.writeTimeout())
}

// Webhooks is the webhook deliverer, for main's scheduler to run
// (Deliver every few seconds, Housekeep hourly). Run stops it.
func (s *Server) Webhooks() *api.Deliverer { return s.webhooks }

// initAPI builds the public API and its webhook deliverer; New calls it.
// Both answer to web's request context and abuse detection.
func (s *Server) initAPI() {
	s.webhooks = api.NewDeliverer(s.cfg.API, s.db, s.log, s.mon.AlertNow)
	apiCfg := s.cfg.API
	apiCfg.AttachmentMaxSize = s.cfg.Attachments.MaxSize
	s.api = api.New(apiCfg, s.db, s.webhooks, api.Hooks{
		Client:        apiClient,
		RequestID:     func(r *http.Request) string { return info(r).id },
		AuthFailed:    s.apiAuthFailure,
		Alerted:       s.mon.AlertNow,
		ExportSubject: s.exportDocument,
		Replied:       s.apiReplied,
		// The chat (and its bot) is made after the API: look it up per call.
		SearchKB: func(ctx context.Context, q string, n int) ([]bot.Hit, error) { return s.chat.bot.Search(ctx, q, n) },
	}, s.log)
}

// Run serves on ln until ctx is done, then shuts down gracefully and stops
// the webhook deliverer.
func (s *Server) Run(ctx context.Context, ln net.Listener) error {
	srv := s.HTTPServer(ln.Addr().String())
	errc := make(chan error, 1)
	go func() {
		if s.cfg.TLS != nil {
			srv.TLSConfig = s.cfg.TLS
			errc <- srv.ServeTLS(ln, "", "")
			return
		}
		errc <- srv.Serve(ln)
	}()
	select {
	case err := <-errc:
		s.webhooks.Stop()
		return fmt.Errorf("web: serve: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	err := srv.Shutdown(shutdownCtx)
	s.webhooks.Stop()
	if err != nil {
		return fmt.Errorf("web: shutdown: %w", err)
	}
	return nil
}
