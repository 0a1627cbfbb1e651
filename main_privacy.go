package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"safedesk/store"
	"safedesk/web"
)

// privacyConfig is the retention schedule and periods, and what reply
// notifications may carry.
type privacyConfig struct {
	RetainTickets  period
	RetainSecurity period
	Schedule       string
	NotifyText     bool
}

func defaultPrivacy() privacyConfig {
	return privacyConfig{
		RetainTickets:  period(730 * 24 * time.Hour),
		RetainSecurity: period(90 * 24 * time.Hour),
		Schedule:       "30 3 * * *",
	}
}

func (c *privacyConfig) flags(fs *flag.FlagSet) {
	fs.Var(&c.RetainTickets, "retain-tickets", "delete solved and closed tickets this long after their last change, and customers with nothing left this long after they last confirmed their email (like 730d, 26w, 8760h; off keeps them)")
	fs.Var(&c.RetainSecurity, "retain-security-events", "delete security events and ended staff sessions (network addresses) after this long (like 90d; off keeps them)")
	fs.StringVar(&c.Schedule, "retention-schedule", c.Schedule, "when to apply retention, a cron spec in UTC; expired sessions and codes go then too")
	fs.BoolVar(&c.NotifyText, "notify-text", c.NotifyText, "put a staff reply's text into the email that announces it (off: emails only say there is a reply and link to the portal)")
}

func (c *privacyConfig) validate() error {
	if _, err := cron.ParseStandard(c.Schedule); err != nil {
		return usageError{fmt.Sprintf("--retention-schedule %q: %v", c.Schedule, err)}
	}
	if d := time.Duration(c.RetainTickets); d != 0 && d < 24*time.Hour {
		return usageError{"--retain-tickets: keep tickets at least a day (or off)"}
	}
	if d := time.Duration(c.RetainSecurity); d != 0 && d < 24*time.Hour {
		return usageError{"--retain-security-events: keep security events at least a day (or off)"}
	}
	return nil
}

// retention is the store's view of the periods.
func (c privacyConfig) retention() store.Retention {
	return store.Retention{ResolvedTickets: time.Duration(c.RetainTickets), SecurityEvents: time.Duration(c.RetainSecurity)}
}

// webConfig is what the web layer needs.
func (c privacyConfig) webConfig() web.PrivacyConfig {
	return web.PrivacyConfig{Retention: c.retention(), NotifyText: c.NotifyText}
}

// retentionActor names the retention job in the audit log.
var retentionActor = store.Actor{Type: store.ActorSystem, ID: "retention"}

// scheduleRetention applies retention on its schedule and once soon after
// start, so that a server restarted daily still does it.
func scheduleRetention(ctx context.Context, sched *cron.Cron, db *store.DB, c privacyConfig, log *slog.Logger) error {
	job := func() { applyRetention(ctx, db, c.retention(), log) }
	if _, err := sched.AddFunc(c.Schedule, job); err != nil {
		return fmt.Errorf("retention schedule: %w", err)
	}
	go func() {
		select {
		case <-ctx.Done():
		case <-time.After(time.Minute):
			job()
		}
	}()
	return nil
}

// applyRetention runs retention until nothing due is left; each call is
// one transaction and one audit entry. A backlog is bounded per run.
func applyRetention(ctx context.Context, db *store.DB, r store.Retention, log *slog.Logger) {
	var total store.RetentionReport
	for range 100 {
		rep, err := db.ApplyRetention(ctx, r, retentionActor)
		if err != nil {
			if ctx.Err() == nil {
				log.Error("retention", "err", err)
			}
			return
		}
		total.Tickets += rep.Tickets
		total.Customers += rep.Customers
		total.SecurityEvents += rep.SecurityEvents
		total.StaffSessions += rep.StaffSessions
		total.Sessions += rep.Sessions
		total.Codes += rep.Codes
		total.Ceremonies += rep.Ceremonies
		total.Invites += rep.Invites
		if !rep.More {
			break
		}
	}
	log.Info("retention applied", "tickets", total.Tickets, "customers", total.Customers, "security_events", total.SecurityEvents,
		"staff_sessions", total.StaffSessions, "sessions", total.Sessions, "codes", total.Codes)
}

// period is a retention period flag: a Go duration, or whole days ("90d")
// or weeks ("26w"), or "off" (0) to keep the data.
type period time.Duration

func (p *period) String() string {
	if p == nil || *p == 0 {
		return "off"
	}
	d := time.Duration(*p)
	if d%(24*time.Hour) == 0 {
		return strconv.Itoa(int(d/(24*time.Hour))) + "d"
	}
	return d.String()
}

func (p *period) Set(s string) error {
	s = strings.TrimSpace(s)
	if s == "off" || s == "0" {
		*p = 0
		return nil
	}
	if n, ok := strings.CutSuffix(s, "d"); ok {
		return p.setUnits(n, 24*time.Hour)
	}
	if n, ok := strings.CutSuffix(s, "w"); ok {
		return p.setUnits(n, 7*24*time.Hour)
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return fmt.Errorf("want a period like 90d, 26w or 2160h, or off")
	}
	*p = period(d)
	return nil
}

func (p *period) setUnits(n string, unit time.Duration) error {
	v, err := strconv.Atoi(n)
	if err != nil || v < 0 || v > 100*366 {
		return fmt.Errorf("want a period like 90d, 26w or 2160h, or off")
	}
	*p = period(time.Duration(v) * unit)
	return nil
}
