package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Due times: each priority may have a first-response and a resolution
// target, counted in business hours (the Calendar) from when the ticket was
// opened or reopened. A ticket's due_at is the next of them that is still
// to meet, and nothing while it waits for the customer (pending) or is
// solved or closed. The store keeps due_at current inside the transaction
// of every change that moves it: a new ticket, the first staff reply,
// a status or priority change, new targets or new business hours.

// Calendar is the business clock due times count in (bot.Hours): Add
// returns when d of business time has passed since t (the zero time if
// never); String names the hours, so that a change of them recomputes
// every due time.
type Calendar interface {
	Add(t time.Time, d time.Duration) time.Time
	String() string
}

// DueTarget is one priority's targets; zero is no target.
type DueTarget struct {
	FirstResponse time.Duration `json:"first_response"`
	Resolution    time.Duration `json:"resolution"`
}

// DueTargets are the targets by priority (TicketPriorities); a priority
// left out has none.
type DueTargets map[string]DueTarget

// maxDueTarget bounds a target: a year of business time.
const maxDueTarget = 365 * 24 * time.Hour

// Validate refuses negative or overlong targets, unknown priorities, and a
// resolution target shorter than the first-response one, which could never
// be met in order. Fields are named "PRIORITY.first_response" and
// "PRIORITY.resolution".
func (t DueTargets) Validate() error {
	var v ValidationError
	for prio, d := range t {
		if !slices.Contains(TicketPriorities, prio) {
			v.add(prio, "Unknown priority.")
			continue
		}
		for _, x := range []struct {
			field string
			d     time.Duration
		}{{prio + ".first_response", d.FirstResponse}, {prio + ".resolution", d.Resolution}} {
			if x.d < 0 || x.d > maxDueTarget {
				v.add(x.field, "Use a time between 0 (no target) and 365 days.")
			}
		}
		if d.FirstResponse > 0 && d.Resolution > 0 && d.Resolution < d.FirstResponse {
			v.add(prio+".resolution", "The resolution target cannot be shorter than the first-response target.")
		}
	}
	return v.err()
}

// Setting keys of due times.
const (
	settingDueTargets  = "due_targets"
	settingDueCalendar = "due_calendar" // the Calendar's String when due times were last computed
)

// calendarBox holds the Calendar for an atomic swap.
type calendarBox struct{ c Calendar }

// calendar is the business clock, or nil for "always open".
func (db *DB) calendar() Calendar {
	if b := db.cal.Load(); b != nil {
		return b.c
	}
	return nil
}

// addBusiness is t plus d of business time.
func (db *DB) addBusiness(t time.Time, d time.Duration) time.Time {
	if c := db.calendar(); c != nil {
		return c.Add(t, d)
	}
	return t.Add(d)
}

// SetCalendar sets the business hours that due times count in (nil: always
// open). When they differ from those the stored due times were computed
// with, every due time is computed again, in one transaction.
func (db *DB) SetCalendar(ctx context.Context, c Calendar) error {
	db.cal.Store(&calendarBox{c})
	name := ""
	if c != nil {
		name = c.String()
	}
	old, err := db.GetSetting(ctx, settingDueCalendar, "")
	if err != nil || old == name {
		return err
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		if err := db.putSetting(ctx, tx, settingDueCalendar, name); err != nil {
			return err
		}
		_, err := db.refreshAllDue(ctx, tx)
		return err
	})
}

// GetDueTargets returns the targets; none are set until someone sets them.
func (db *DB) GetDueTargets(ctx context.Context) (DueTargets, error) {
	return dueTargets(ctx, db.read)
}

// dueTargets reads the targets with q (inside a transaction or not).
func dueTargets(ctx context.Context, q querier) (DueTargets, error) {
	var raw sql.NullString
	err := q.QueryRowContext(ctx, "SELECT value FROM settings WHERE key = ?", settingDueTargets).Scan(&raw)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("store: due targets: %w", err)
	}
	return parseDueTargets(raw)
}

// parseDueTargets reads the targets' setting; none when it is not set.
func parseDueTargets(raw sql.NullString) (DueTargets, error) {
	if !raw.Valid {
		return DueTargets{}, nil
	}
	var t DueTargets
	if err := json.Unmarshal([]byte(raw.String), &t); err != nil {
		return nil, fmt.Errorf("store: due targets: %w", err)
	}
	return t, nil
}

// SetDueTargets validates and saves the targets and computes every open
// ticket's due time again, with the audit entry, in one transaction. It
// returns how many tickets have a due time now.
func (db *DB) SetDueTargets(ctx context.Context, t DueTargets, a Actor) (int, error) {
	if err := t.Validate(); err != nil {
		return 0, err
	}
	b, err := json.Marshal(t)
	if err != nil {
		return 0, fmt.Errorf("store: due targets: %w", err)
	}
	var n int
	err = db.tx(ctx, func(tx *sql.Tx) error {
		if err := db.putSetting(ctx, tx, settingDueTargets, string(b)); err != nil {
			return err
		}
		if n, err = db.refreshAllDue(ctx, tx); err != nil {
			return err
		}
		return db.appendAudit(ctx, tx, a, "settings.changed", "setting:"+settingDueTargets, map[string]any{"tickets_due": n})
	})
	return n, err
}

// putSetting writes a site setting inside tx.
func (db *DB) putSetting(ctx context.Context, tx *sql.Tx, key, value string) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`, key, value, nanos(db.now())); err != nil {
		return fmt.Errorf("store: set %s: %w", key, err)
	}
	return nil
}

// dueInput is what a ticket's due time depends on.
type dueInput struct {
	status, priority string
	opened           int64
	responded        bool
}

// dueAt is in's due time in Unix nanoseconds, or nil when nothing is due.
func (db *DB) dueAt(targets DueTargets, in dueInput) any {
	if in.status != "open" {
		return nil
	}
	t := targets[in.priority]
	d := t.FirstResponse
	if in.responded || d == 0 {
		d = t.Resolution
	}
	if d == 0 {
		return nil
	}
	due := db.addBusiness(fromNanos(in.opened), d)
	if due.IsZero() {
		return nil
	}
	return nanos(due)
}

// refreshDue computes ticket id's due time again inside tx.
func (db *DB) refreshDue(ctx context.Context, tx *sql.Tx, id int64) error {
	targets, err := dueTargets(ctx, tx)
	if err != nil {
		return err
	}
	var in dueInput
	if err := tx.QueryRowContext(ctx, "SELECT status, priority, opened_at, first_response_at IS NOT NULL FROM tickets WHERE id = ?", id).
		Scan(&in.status, &in.priority, &in.opened, &in.responded); err != nil {
		return fmt.Errorf("store: due time: %w", notFound(err))
	}
	if _, err := tx.ExecContext(ctx, "UPDATE tickets SET due_at = ? WHERE id = ?", db.dueAt(targets, in), id); err != nil {
		return fmt.Errorf("store: due time: %w", err)
	}
	return nil
}

// refreshAllDue computes the due time of every open ticket again inside
// tx (the others have none) and returns how many have one.
func (db *DB) refreshAllDue(ctx context.Context, tx *sql.Tx) (int, error) {
	targets, err := dueTargets(ctx, tx)
	if err != nil {
		return 0, err
	}
	rows, err := tx.QueryContext(ctx, "SELECT id, status, priority, opened_at, first_response_at IS NOT NULL FROM tickets WHERE status = 'open'")
	if err != nil {
		return 0, fmt.Errorf("store: due times: %w", err)
	}
	type due struct {
		id int64
		at any
	}
	var all []due
	for rows.Next() {
		var id int64
		var in dueInput
		if err := rows.Scan(&id, &in.status, &in.priority, &in.opened, &in.responded); err != nil {
			rows.Close()
			return 0, fmt.Errorf("store: due times: %w", err)
		}
		all = append(all, due{id, db.dueAt(targets, in)})
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return 0, fmt.Errorf("store: due times: %w", err)
	}
	n := 0
	for _, d := range all {
		if _, err := tx.ExecContext(ctx, "UPDATE tickets SET due_at = ? WHERE id = ?", d.at, d.id); err != nil {
			return 0, fmt.Errorf("store: due times: %w", err)
		}
		if d.at != nil {
			n++
		}
	}
	return n, nil
}

// ticketMoved records inside tx what a status change means for due times
// and the dashboard: solving or closing notes when; reopening a solved or
// closed ticket restarts its targets (opened now, no response yet).
func (db *DB) ticketMoved(ctx context.Context, tx *sql.Tx, id int64, from, to string) error {
	done := func(s string) bool { return s == "solved" || s == "closed" }
	now := nanos(db.now())
	var q string
	switch {
	case done(to) && !done(from):
		q = "UPDATE tickets SET solved_at = ? WHERE id = ?"
	case done(from) && !done(to):
		q = "UPDATE tickets SET opened_at = ?, first_response_at = NULL, solved_at = NULL WHERE id = ?"
	default:
		return nil
	}
	if _, err := tx.ExecContext(ctx, q, now, id); err != nil {
		return fmt.Errorf("store: ticket status: %w", err)
	}
	return nil
}

// staffResponded notes the first staff reply since the ticket was opened
// inside tx.
func (db *DB) staffResponded(ctx context.Context, tx *sql.Tx, id int64) error {
	if _, err := tx.ExecContext(ctx, "UPDATE tickets SET first_response_at = COALESCE(first_response_at, ?) WHERE id = ?", nanos(db.now()), id); err != nil {
		return fmt.Errorf("store: first response: %w", err)
	}
	return nil
}

// FormatTarget writes a target for a form field: "4h", "90m", "2d", or
// "" for none.
func FormatTarget(d time.Duration) string {
	switch {
	case d <= 0:
		return ""
	case d%(24*time.Hour) == 0:
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	case d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	}
	return fmt.Sprintf("%dm", d/time.Minute)
}

// ParseTarget reads a target as FormatTarget writes it, or a Go duration
// ("1h30m"); "" is no target.
func ParseTarget(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" || s == "0" {
		return 0, nil
	}
	if n, ok := strings.CutSuffix(s, "d"); ok {
		var days int
		if _, err := fmt.Sscanf(n, "%d", &days); err != nil || fmt.Sprint(days) != n {
			return 0, fmt.Errorf("store: target %q: use minutes, hours or days, like 90m, 4h or 2d", s)
		}
		return time.Duration(days) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d%time.Minute != 0 {
		return 0, fmt.Errorf("store: target %q: use minutes, hours or days, like 90m, 4h or 2d", s)
	}
	return d, nil
}
