package web

import (
	"context"
	"sync"
	"time"
)

// securityRetention is how long traffic counts and ended blocks are kept.
const securityRetention = 8 * 24 * time.Hour

// tickState remembers when Tick last did its hourly work.
type tickState struct {
	mu     sync.Mutex
	hourly time.Time
}

// Tick does the web layer's periodic security work: it stores the traffic
// counts of finished minutes, mails alerts for new critical security
// events, and once an hour verifies the whole audit log (alerting on a
// break) and prunes old traffic counts and blocks. main calls it every
// minute and once more at shutdown.
func (s *Server) Tick(ctx context.Context) {
	if err := s.flushTraffic(ctx); err != nil {
		s.log.Error("traffic counts not stored", "err", err)
	}
	if err := s.sweepAlerts(ctx); err != nil {
		s.log.Error("security alerts", "err", err)
	}
	now := s.db.Now()
	s.tick.mu.Lock()
	due := now.Sub(s.tick.hourly) >= time.Hour
	if due {
		s.tick.hourly = now
	}
	s.tick.mu.Unlock()
	if !due {
		return
	}
	if err := s.db.PruneSecurityData(ctx, securityRetention); err != nil {
		s.log.Error("security data not pruned", "err", err)
	}
	if _, err := s.auditVerdict(ctx, time.Hour); err != nil {
		s.log.Error("audit log verification", "err", err)
	}
}
