// Package web is safedesk's HTTP layer: the server, one route table,
// middleware, and the handlers of the portal, chat, admin panel and API.
package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"sync"
	"time"

	"github.com/alexedwards/scs/v2"

	"safedesk/store"
)

// Config is what the web layer needs from the command line.
type Config struct {
	BaseURL        *url.URL
	TrustedProxies []netip.Prefix
	Product        string
	MailFrom       string

	CustomerIdle     time.Duration
	CustomerLifetime time.Duration

	// MaxFormBytes caps request bodies of forms; 1 MiB when zero.
	MaxFormBytes int64
}

// Server is the HTTP handler with its dependencies.
type Server struct {
	cfg      Config
	db       *store.DB
	mail     Mailer
	log      *slog.Logger
	customer *scs.SessionManager
	handler  http.Handler
	secure   bool // served over HTTPS (directly or behind a proxy)

	kbCache kbCache
	bg      sync.WaitGroup // background mail sends
}

// New builds the server and its route table.
func New(cfg Config, db *store.DB, mailer Mailer, log *slog.Logger) (*Server, error) {
	if cfg.BaseURL == nil {
		return nil, errors.New("web: base URL is required")
	}
	if cfg.Product == "" {
		cfg.Product = "safedesk"
	}
	if cfg.CustomerIdle == 0 {
		cfg.CustomerIdle = 30 * time.Minute
	}
	if cfg.CustomerLifetime == 0 {
		cfg.CustomerLifetime = 24 * time.Hour
	}
	if cfg.MaxFormBytes == 0 {
		cfg.MaxFormBytes = 1 << 20
	}
	s := &Server{cfg: cfg, db: db, mail: mailer, log: log, secure: cfg.BaseURL.Scheme == "https"}
	s.customer = s.newSessionManager("safedesk_customer", cfg.CustomerIdle, cfg.CustomerLifetime)
	s.handler = s.routes()
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
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
}

// Run serves on ln until ctx is done, then shuts down gracefully.
func (s *Server) Run(ctx context.Context, ln net.Listener) error {
	srv := s.HTTPServer(ln.Addr().String())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("web: serve: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	err := srv.Shutdown(shutdownCtx)
	s.bg.Wait()
	if err != nil {
		return fmt.Errorf("web: shutdown: %w", err)
	}
	return nil
}

// Wait blocks until background work (mail being sent) has finished.
func (s *Server) Wait() { s.bg.Wait() }

// sendMail sends m in the background so a slow relay never holds a request;
// failures are logged without the recipient.
func (s *Server) sendMail(m Mail) {
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := s.mail.Send(ctx, m); err != nil {
			s.log.Error("mail not sent", "subject", m.Subject, "err", err)
		}
	}()
}

// absURL makes an absolute link under the base URL.
func (s *Server) absURL(path string) string {
	u := *s.cfg.BaseURL
	u.Path = path
	return u.String()
}
