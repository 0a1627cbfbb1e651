package monitor

import (
	"context"
	"log/slog"
	"time"

	"github.com/robfig/cron/v3"

	"safedesk/store"
)

// NewScheduler is the one scheduler of background work, in UTC. Its
// messages go to log: a job that panics leaves an error with its stack, a
// job skipped because its last run still lasts a warning; the scheduler's
// own chatter is debug.
func NewScheduler(log *slog.Logger) *cron.Cron {
	return cron.New(cron.WithLocation(time.UTC), cron.WithLogger(cronLog{log, slog.LevelDebug}),
		cron.WithChain(cron.Recover(cronLog{log, slog.LevelError}), cron.SkipIfStillRunning(cronLog{log, slog.LevelWarn})))
}

// cronLog is a cron.Logger over slog: Info at level, Error as an error.
type cronLog struct {
	log   *slog.Logger
	level slog.Level
}

// Info logs the scheduler's message at the logger's level.
func (c cronLog) Info(msg string, kv ...any) {
	c.log.Log(context.Background(), c.level, "scheduler: "+msg, kv...)
}

// Error logs an error of the scheduler, such as a recovered panic.
func (c cronLog) Error(err error, msg string, kv ...any) {
	c.log.Error("scheduler: "+msg, append(kv, "err", err)...)
}

// Once is a cron schedule that fires once, at t.
func Once(t time.Time) cron.Schedule { return once(t) }

// once is the schedule Once returns.
type once time.Time

// Next is the fixed time until it has passed, then never.
func (o once) Next(t time.Time) time.Time {
	if t.Before(time.Time(o)) {
		return time.Time(o)
	}
	return time.Time{} // never again
}

// ApplyRetention deletes what Options.Retention says has been kept long
// enough, and expired sessions and codes, and logs what went. A run cut
// short by ctx logs nothing.
func (s *Service) ApplyRetention(ctx context.Context) {
	total, err := s.db.ApplyAllRetention(ctx, s.opts.Retention)
	if err != nil {
		if ctx.Err() == nil {
			s.log.Error("retention", "err", err)
		}
		return
	}
	s.log.Info("retention applied", "tickets", total.Tickets, "customers", total.Customers, "security_events", total.SecurityEvents,
		"staff_sessions", total.StaffSessions, "sessions", total.Sessions, "codes", total.Codes)
}

// ExpireSessions deletes expired customer sessions. main runs it every
// quarter hour.
func (s *Service) ExpireSessions(ctx context.Context) {
	if n, err := s.db.DeleteExpiredSessions(ctx); err != nil {
		s.log.Error("expire sessions", "err", err)
	} else if n > 0 {
		s.log.Info("expired sessions removed", "count", n)
	}
}

// PurgeUploads deletes files staged by uploads that never reached their
// message (a crash or a cut connection). main runs it hourly.
func (s *Service) PurgeUploads(ctx context.Context) {
	if n, err := s.db.PurgeStagedAttachments(ctx); err != nil {
		s.log.Error("purge staged attachments", "err", err)
	} else if n > 0 {
		s.log.Info("staged attachments purged", "count", n)
	}
}

// CheckpointWAL copies the database's write-ahead log into the database
// file, off the request path (store.(*DB).CheckpointWAL). main runs it
// every second.
func (s *Service) CheckpointWAL(ctx context.Context) {
	if _, err := s.db.CheckpointWAL(ctx); err != nil {
		s.log.Error("WAL checkpoint", "err", err)
	}
}

// PeriodicCheckpoint signs a periodic checkpoint; a failure is logged (and
// a broken log alerted, see Checkpoint).
func (s *Service) PeriodicCheckpoint(ctx context.Context) {
	if _, err := s.Checkpoint(ctx, store.CheckpointPeriodic); err != nil {
		s.log.Error("audit checkpoint", "err", err)
	}
}

// Shutdown is the last round, after the scheduler has stopped: the last
// traffic counts and alerts, a checkpoint of the audit log (within 30
// seconds), and the alert sweeps still running.
func (s *Service) Shutdown() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s.Minute(ctx)
	if _, err := s.Checkpoint(ctx, store.CheckpointShutdown); err != nil {
		s.log.Error("audit checkpoint at shutdown", "err", err)
	}
	s.Wait()
}
