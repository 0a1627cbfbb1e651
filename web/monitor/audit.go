package monitor

import (
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"safedesk/security"
	"safedesk/store"
)

// auditWatch keeps the audit log's latest verdict for the dashboard, and
// the newest checkpoint this server has made or seen, which is held against
// every later verification: deleting checkpoints from the table, then
// entries from the log, is still caught while the server runs.
type auditWatch struct {
	mu      sync.Mutex
	report  store.AuditReport
	err     error
	done    bool
	highest security.Checkpoint
	raised  bool // the current break has been reported
}

// auditPublicKey verifies checkpoints; nil without a signing key.
func (s *Service) auditPublicKey() ed25519.PublicKey {
	if len(s.opts.AuditKey) != ed25519.PrivateKeySize {
		return nil
	}
	return s.opts.AuditKey.Public().(ed25519.PublicKey)
}

// AuditVerdict verifies the whole audit log against its checkpoints, or
// returns the last verdict when it is younger than maxAge (0: verify now).
// Verifications run one at a time. A broken chain is a *security.ChainError,
// raised once as a critical security event, which is mailed.
func (s *Service) AuditVerdict(ctx context.Context, maxAge time.Duration) (store.AuditReport, error) {
	w := &s.audit
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done && s.db.Now().Sub(w.report.At) < maxAge {
		return w.report, w.err
	}
	rep, err := s.db.VerifyAuditLog(ctx, s.auditPublicKey(), w.highest)
	if ctx.Err() != nil {
		return rep, err // cut short: keep the previous verdict
	}
	w.report, w.err, w.done = rep, err, true
	var chain *security.ChainError
	switch {
	case errors.As(err, &chain):
		if !w.raised {
			w.raised = true
			s.auditBroken(ctx, chain)
		}
	case err == nil:
		w.raised = false
		if rep.Latest.Seq > w.highest.Seq {
			w.highest = rep.Latest
		}
	}
	return rep, err
}

// auditBroken raises a critical security event, which mails the owners and
// admins.
func (s *Service) auditBroken(ctx context.Context, chain *security.ChainError) {
	s.log.Error("AUDIT LOG TAMPERING: the hash chain does not verify", "seq", chain.Seq, "reason", chain.Reason)
	err := s.db.RecordSecurityEvent(context.WithoutCancel(ctx), store.SecurityEvent{Kind: "audit.chain_broken", Severity: store.SeverityCritical,
		Actor: "-", Details: map[string]any{"seq": chain.Seq, "reason": chain.Reason}})
	if err != nil {
		s.log.Error("security event not recorded", "kind", "audit.chain_broken", "err", err)
	}
	s.AlertNow()
}

// Checkpoint signs the head of the audit log (store.Checkpoint) and logs
// it, so that a copy lives outside the database too. main calls it on a
// schedule and at shutdown, with store.CheckpointPeriodic or
// store.CheckpointShutdown. When the log no longer verifies, no checkpoint
// is made: the error names the first bad seq and the owners are alerted.
// An empty log needs none: the zero Checkpoint and no error.
func (s *Service) Checkpoint(ctx context.Context, reason string) (security.Checkpoint, error) {
	if s.auditPublicKey() == nil {
		return security.Checkpoint{}, errors.New("monitor: no audit signing key configured")
	}
	// While the last full verification failed, no checkpoint is signed
	// until a new one passes: the alarm stays up.
	w := &s.audit
	w.mu.Lock()
	broken := w.raised
	w.mu.Unlock()
	if broken {
		if _, err := s.AuditVerdict(ctx, 0); err != nil {
			return security.Checkpoint{}, err
		}
	}
	cp, err := s.db.Checkpoint(ctx, s.opts.AuditKey, reason)
	var chain *security.ChainError
	switch {
	case errors.Is(err, store.ErrAuditEmpty):
		return security.Checkpoint{}, nil
	case errors.As(err, &chain):
		w.mu.Lock()
		raise := !w.raised
		w.raised = true
		w.mu.Unlock()
		if raise {
			s.auditBroken(ctx, chain)
		}
		return cp, err
	case err != nil:
		return cp, fmt.Errorf("monitor: audit checkpoint: %w", err)
	}
	s.log.Info("audit checkpoint", "seq", cp.Seq, "hash", hex.EncodeToString(cp.Hash), "at", cp.At.Format(time.RFC3339Nano), "reason", reason)
	w.mu.Lock()
	if cp.Seq > w.highest.Seq {
		w.highest = cp
	}
	w.mu.Unlock()
	return cp, nil
}
