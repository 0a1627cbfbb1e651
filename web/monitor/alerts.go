package monitor

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"safedesk/security"
	"safedesk/store"
	"safedesk/templates"
	"safedesk/web/mail"
)

// Alerts: owners and admins get an email for every critical security
// event (a block, a cloned passkey, a broken audit chain, a leaked API
// token), deduplicated by kind and client for AlertDedup, and at most
// alertMailLimit mails: what the limit holds back goes out in the next
// mail. The mails say what happened and where, never any customer data.
// The feed is the security_events table, so events raised anywhere in the
// server are covered; a block sends at once, anything else within a
// minute (Minute).

// AlertDedup is how long an alert for the same kind of event from the same
// client is not repeated.
const AlertDedup = time.Hour

// alertMailLimit: three mails at once, then one every ten minutes.
var alertMailLimit = security.LimitConfig{Rate: 1.0 / 600, Burst: 3}

// maxAlertLines bounds the events listed in one mail.
const maxAlertLines = 30

// alertDedupEntries bounds the kinds and clients remembered for AlertDedup:
// a botnet that gets blocked from more addresses within the hour pushes
// out the least recently alerted, which may then alert again (the mail
// limit still holds).
const alertDedupEntries = 1024

// alerter is the state of the alert feed.
type alerter struct {
	mu      sync.Mutex                       // one sweep at a time
	cursor  int64                            // the newest event already considered
	sent    *security.LRU[string, time.Time] // kind and client → when last alerted
	pending []store.SecurityEvent
	held    int // events beyond maxAlertLines, counted only
	limit   *security.Limiter
	running atomic.Bool
}

// init makes the dedup LRU and the mail limiter, on the clock now.
func (a *alerter) init(now func() time.Time) {
	a.sent = security.NewLRU[string, time.Time](alertDedupEntries)
	a.limit = alertMailLimit.NewLimiter(now)
}

// startAlerts sets the cursor to the newest event, so that a restart does
// not mail old events again.
func (s *Service) startAlerts(ctx context.Context) error {
	id, err := s.db.LastSecurityEventID(ctx)
	if err != nil {
		return err
	}
	a := &s.alerts
	a.mu.Lock()
	a.cursor = id
	a.mu.Unlock()
	return nil
}

// AlertNow mails alerts for new critical security events now, in the
// background, rather than at the next Minute; it does nothing while a
// sweep is running. Call it after raising a critical event.
func (s *Service) AlertNow() {
	a := &s.alerts
	if !a.running.CompareAndSwap(false, true) {
		return
	}
	s.bg.Go(func() {
		defer a.running.Store(false)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := s.sweepAlerts(ctx); err != nil {
			s.log.Error("security alerts", "err", err)
		}
	})
}

// sweepAlerts reads the critical events since the last sweep and mails
// those not alerted recently, if the mail limit allows.
func (s *Service) sweepAlerts(ctx context.Context) error {
	a := &s.alerts
	a.mu.Lock()
	defer a.mu.Unlock()
	now := s.db.Now()
	for {
		evs, err := s.db.CriticalEventsAfter(ctx, a.cursor, 200)
		if err != nil {
			return err
		}
		for _, e := range evs {
			a.cursor = e.ID
			key := e.Kind + "\x00" + e.ClientIP
			if last, ok := a.sent.Get(key); ok && now.Sub(last) < AlertDedup {
				continue
			}
			a.sent.Put(key, now)
			if len(a.pending) < maxAlertLines {
				a.pending = append(a.pending, e)
			} else {
				a.held++
			}
		}
		if len(evs) < 200 {
			break
		}
	}
	if len(a.pending) == 0 {
		return nil
	}
	if ok, _ := a.limit.Allow("mail"); !ok {
		return nil // held for the next mail
	}
	to, err := s.alertRecipients(ctx)
	if err != nil {
		return err
	}
	if len(to) == 0 {
		s.log.Warn("security alert not mailed: no active owner or admin", "events", len(a.pending))
	}
	subject, text := s.alertMail(a.pending, a.held)
	for _, addr := range to {
		s.mail.Send(mail.Message{Kind: "security_alert", To: addr, Subject: subject, Text: text})
	}
	s.log.Warn("security alert", "subject", subject, "recipients", len(to))
	a.pending, a.held = nil, 0
	return nil
}

// alertRecipients are the addresses of the active owners and admins.
func (s *Service) alertRecipients(ctx context.Context) ([]string, error) {
	staff, err := s.db.ListStaff(ctx)
	if err != nil {
		return nil, err
	}
	var to []string
	for _, st := range staff {
		if st.Active() && (st.Role == security.RoleOwner || st.Role == security.RoleAdmin) {
			to = append(to, st.Email)
		}
	}
	return to, nil
}

// alertMail writes the subject and text of an alert about evs.
func (s *Service) alertMail(evs []store.SecurityEvent, held int) (string, string) {
	var b strings.Builder
	product := s.opts.Site.Name()
	subject := fmt.Sprintf("[%s] Security alert: %d events", product, len(evs)+held)
	if len(evs) == 1 && held == 0 {
		subject = fmt.Sprintf("[%s] Security alert: %s from %s", product, alertLabel(evs[0].Kind), orDash(evs[0].ClientIP))
	}
	fmt.Fprintf(&b, "Hello,\n\n%s raised these security alerts:\n\n", product)
	for _, e := range evs {
		fmt.Fprintf(&b, "  %s  %s  client %s", e.At.UTC().Format("2006-01-02 15:04:05 UTC"), alertLabel(e.Kind), orDash(e.ClientIP))
		keys := make([]string, 0, len(e.Details))
		for k := range e.Details {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(&b, "  %s=%v", k, e.Details[k])
		}
		b.WriteString("\n")
	}
	if held > 0 {
		fmt.Fprintf(&b, "  … and %d more.\n", held)
	}
	fmt.Fprintf(&b, "\nThe security dashboard shows them live, with the blocks in force: %s\n", s.opts.Site.Link("/admin/security"))
	fmt.Fprintf(&b, "Repeats of the same alert from the same client are not mailed again for %s.\n", templates.Duration(AlertDedup))
	b.WriteString("\nThis message holds no customer data. If in doubt about it, open the admin panel yourself rather than the link.\n")
	return subject, b.String()
}

// alertLabels name the kinds of critical events in alert mails.
var alertLabels = map[string]string{
	"abuse.blocked":                   "client blocked",
	"passkey.sign_count_regressed":    "possibly cloned passkey",
	"passkey.backup_eligible_changed": "passkey flags changed",
	"audit.chain_broken":              "audit log tampering",
	"token_address_refused":           "API token used from a refused address",
	"mail.mailbox_failing":            "the support mailbox cannot be read",
	"mail.too_large":                  "a customer's mail too large to import",
}

// alertLabel names an event kind for people.
func alertLabel(kind string) string {
	if l, ok := alertLabels[kind]; ok {
		return l
	}
	return kind
}

// orDash is s, or "-" when empty.
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
