// Package monitor is safedesk's background work, one Service that main's
// cron scheduler drives and the web layer consults:
//
//   - Minute stores the request counts that the web middleware keeps in
//     memory (Traffic) and mails the owners and admins about new critical
//     security events (a block, a cloned passkey, a broken audit chain…);
//   - Hour verifies the whole audit log and prunes old traffic counts and
//     ended blocks;
//   - Checkpoint signs the head of the audit log (periodically, before a
//     backup, at shutdown);
//   - SweepChats settles chat hand-offs nobody answered in time and deletes
//     old transcripts;
//   - ApplyRetention and ExpireSessions delete what has outlived its
//     period; Shutdown does the last round when the server stops.
//
// NewScheduler makes main's one cron scheduler, whose messages (a job that
// panicked, a run skipped) go to the application's log.
//
// The security dashboard reads TrafficSince and AuditVerdict; chat handlers
// call SettleHandoff and ChatToTicket, the same steps the sweep takes.
package monitor

import (
	"context"
	"crypto/ed25519"
	"log/slog"
	"sync"
	"time"

	"safedesk/store"
	"safedesk/web/mail"
)

// Mailer sends mail without holding the caller: *mail.Outbox.
type Mailer interface {
	Send(m mail.Message)
}

// Options configures a Service.
type Options struct {
	// Site names the product and the base URL in alert and ticket mails.
	Site mail.Site
	// AuditKey signs audit checkpoints; its public half verifies them. Nil:
	// Checkpoint fails and verification checks no signatures.
	AuditKey ed25519.PrivateKey
	// ChatRetention is how long chat transcripts are kept after their last
	// message; DefaultChatRetention when zero.
	ChatRetention time.Duration
	// Retention is what ApplyRetention deletes (store.ApplyAllRetention).
	Retention store.Retention
}

// DefaultChatRetention is the default of Options.ChatRetention.
const DefaultChatRetention = 90 * 24 * time.Hour

// securityRetention is how long traffic counts and ended blocks are kept.
const securityRetention = 8 * 24 * time.Hour

// Service is the application's background work (see the package comment).
type Service struct {
	db   *store.DB
	mail Mailer
	log  *slog.Logger
	opts Options

	traffic Traffic
	alerts  alerter
	audit   auditWatch
	bg      sync.WaitGroup // alert sweeps started by AlertNow
}

// New returns the Service. Alerts start from the newest security event, so
// that a restart does not mail old events again.
func New(ctx context.Context, db *store.DB, m Mailer, log *slog.Logger, opts Options) (*Service, error) {
	if opts.ChatRetention <= 0 {
		opts.ChatRetention = DefaultChatRetention
	}
	s := &Service{db: db, mail: m, log: log, opts: opts}
	s.alerts.init(db.Now)
	if err := s.startAlerts(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// Minute stores the traffic counts of finished minutes and mails alerts
// for new critical security events. main runs it every minute and once
// more at shutdown.
func (s *Service) Minute(ctx context.Context) {
	if err := s.flushTraffic(ctx); err != nil {
		s.log.Error("traffic counts not stored", "err", err)
	}
	if err := s.sweepAlerts(ctx); err != nil {
		s.log.Error("security alerts", "err", err)
	}
}

// Hour verifies the whole audit log against its checkpoints (a break is
// raised as a critical event, and mailed) and prunes traffic counts and
// ended blocks older than eight days. main runs it @hourly.
func (s *Service) Hour(ctx context.Context) {
	if err := s.db.PruneSecurityData(ctx, securityRetention); err != nil {
		s.log.Error("security data not pruned", "err", err)
	}
	if _, err := s.AuditVerdict(ctx, 0); err != nil {
		s.log.Error("audit log verification", "err", err)
	}
}

// Wait blocks until the alert sweeps started by AlertNow have finished;
// the mail they send goes through the Mailer, which has its own Wait.
func (s *Service) Wait() { s.bg.Wait() }
