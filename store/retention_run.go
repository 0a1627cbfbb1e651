package store

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"
)

// retentionActor names the retention job in the audit log.
var retentionActor = Actor{Type: ActorSystem, ID: "retention"}

// retentionRuns bounds the ApplyRetention calls of one ApplyAllRetention,
// so that a huge backlog is worked off over several scheduled runs.
const retentionRuns = 100

// ApplyAllRetention calls ApplyRetention until nothing due is left (or a
// bounded number of times) and returns the totals; each call is one
// transaction and one audit entry, in the name of the retention job.
func (db *DB) ApplyAllRetention(ctx context.Context, p Retention) (RetentionReport, error) {
	var total RetentionReport
	for range retentionRuns {
		rep, err := db.ApplyRetention(ctx, p, retentionActor)
		if err != nil {
			return total, err
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
	return total, nil
}

// Period is a retention period as a flag: a Go duration, whole days
// ("90d") or weeks ("26w"), or "off" (zero: kept until erased by hand).
type Period time.Duration

// String writes the period as Set reads it: "90d" for whole days.
func (p *Period) String() string {
	if p == nil || *p == 0 {
		return "off"
	}
	d := time.Duration(*p)
	if d%(24*time.Hour) == 0 {
		return strconv.Itoa(int(d/(24*time.Hour))) + "d"
	}
	return d.String()
}

// Set reads a period (flag.Value).
func (p *Period) Set(s string) error {
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
		return errPeriod
	}
	*p = Period(d)
	return nil
}

// errPeriod is the one-line answer to a period that does not parse.
var errPeriod = errors.New("want a period like 90d, 26w or 2160h, or off")

func (p *Period) setUnits(n string, unit time.Duration) error {
	v, err := strconv.Atoi(n)
	if err != nil || v < 0 || v > 100*366 {
		return errPeriod
	}
	*p = Period(time.Duration(v) * unit)
	return nil
}
