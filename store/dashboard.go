package store

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"
)

// TicketChannels are the channels tickets come from, in the dashboard's
// order.
var TicketChannels = []string{"portal", "chat", "api", "email"}

// TeamStats are the owner dashboard's figures: tickets by channel and day,
// response and resolution times, the backlog by age, and the same per
// agent. Durations are wall-clock time, sorted.
type TeamStats struct {
	From, To time.Time
	Days     int
	// Volume is, per channel, the tickets created on each day of the
	// window (index 0 is From's day, in UTC).
	Volume map[string][]int
	// FirstResponse is, for the tickets created in the window that staff
	// answered, the time from opening to the first reply; Resolution, for
	// the tickets solved or closed in the window, the time from creation.
	FirstResponse, Resolution []time.Duration
	// Backlog is the tickets open or pending now, by age (BacklogAges).
	Backlog []int
	// Agents are the figures by assignee (0: nobody), sorted by id.
	Agents []AgentStats
}

// AgentStats are one assignee's figures in TeamStats.
type AgentStats struct {
	StaffID int64
	// Created is how many tickets created in the window are theirs;
	// Solved how many of theirs were solved or closed in it; Backlog how
	// many of theirs are open or pending now.
	Created, Solved, Backlog  int
	FirstResponse, Resolution []time.Duration
}

// BacklogAges are the upper bounds of the backlog's age groups; the last
// group is everything older.
var BacklogAges = []time.Duration{24 * time.Hour, 3 * 24 * time.Hour, 7 * 24 * time.Hour, 30 * 24 * time.Hour}

// Median is the middle of sorted durations (the mean of the two middle
// ones for an even count); 0 for none.
func Median(ds []time.Duration) time.Duration {
	n := len(ds)
	switch {
	case n == 0:
		return 0
	case n%2 == 1:
		return ds[n/2]
	}
	return (ds[n/2-1] + ds[n/2]) / 2
}

// TeamStats computes the figures of the days days up to now.
func (db *DB) TeamStats(ctx context.Context, days int) (TeamStats, error) {
	now := db.now().UTC()
	to := time.Date(now.Year(), now.Month(), now.Day()+1, 0, 0, 0, 0, time.UTC)
	st := TeamStats{From: to.AddDate(0, 0, -days), To: to, Days: days, Volume: map[string][]int{}, Backlog: make([]int, len(BacklogAges)+1)}
	for _, c := range TicketChannels {
		st.Volume[c] = make([]int, days)
	}
	agents := map[int64]*AgentStats{}
	agent := func(id int64) *AgentStats {
		if agents[id] == nil {
			agents[id] = &AgentStats{StaffID: id}
		}
		return agents[id]
	}
	for _, step := range []func(context.Context, *TeamStats, func(int64) *AgentStats, time.Time) error{db.statsCreated, db.statsSolved, db.statsBacklog} {
		if err := step(ctx, &st, agent, now); err != nil {
			return TeamStats{}, err
		}
	}
	slices.Sort(st.FirstResponse)
	slices.Sort(st.Resolution)
	for _, a := range agents {
		slices.Sort(a.FirstResponse)
		slices.Sort(a.Resolution)
		st.Agents = append(st.Agents, *a)
	}
	slices.SortFunc(st.Agents, func(a, b AgentStats) int { return cmp.Compare(a.StaffID, b.StaffID) })
	return st, nil
}

// statsCreated counts the tickets created in the window by day, channel and
// assignee, with their first-response times.
func (db *DB) statsCreated(ctx context.Context, st *TeamStats, agent func(int64) *AgentStats, _ time.Time) error {
	from := nanos(st.From)
	return db.eachRow(ctx, `SELECT channel, created_at, COALESCE(assignee_id, 0), first_response_at - opened_at FROM tickets
		WHERE created_at >= ? AND created_at < ?`, []any{from, nanos(st.To)}, func(scan func(...any) error) error {
		var channel string
		var created, assignee int64
		var first *int64
		if err := scan(&channel, &created, &assignee, &first); err != nil {
			return err
		}
		if v, ok := st.Volume[channel]; ok {
			v[int((created-from)/int64(24*time.Hour))]++
		}
		a := agent(assignee)
		a.Created++
		if first != nil {
			st.FirstResponse = append(st.FirstResponse, time.Duration(*first))
			a.FirstResponse = append(a.FirstResponse, time.Duration(*first))
		}
		return nil
	})
}

// statsSolved takes the tickets solved or closed in the window, with the
// time from their creation.
func (db *DB) statsSolved(ctx context.Context, st *TeamStats, agent func(int64) *AgentStats, _ time.Time) error {
	return db.eachRow(ctx, `SELECT COALESCE(assignee_id, 0), solved_at - created_at FROM tickets WHERE solved_at >= ? AND solved_at < ?`,
		[]any{nanos(st.From), nanos(st.To)}, func(scan func(...any) error) error {
			var assignee, took int64
			if err := scan(&assignee, &took); err != nil {
				return err
			}
			a := agent(assignee)
			a.Solved++
			st.Resolution, a.Resolution = append(st.Resolution, time.Duration(took)), append(a.Resolution, time.Duration(took))
			return nil
		})
}

// statsBacklog groups the tickets open or pending now by age.
func (db *DB) statsBacklog(ctx context.Context, st *TeamStats, agent func(int64) *AgentStats, now time.Time) error {
	return db.eachRow(ctx, "SELECT created_at, COALESCE(assignee_id, 0) FROM tickets WHERE status IN ('open', 'pending')", nil,
		func(scan func(...any) error) error {
			var created, assignee int64
			if err := scan(&created, &assignee); err != nil {
				return err
			}
			i, _ := slices.BinarySearch(BacklogAges, now.Sub(fromNanos(created)))
			st.Backlog[i]++
			agent(assignee).Backlog++
			return nil
		})
}

// eachRow runs q on the reader pool and calls fn with each row's scanner.
func (db *DB) eachRow(ctx context.Context, q string, args []any, fn func(scan func(...any) error) error) error {
	rows, err := db.read.QueryContext(ctx, q, args...)
	if err != nil {
		return fmt.Errorf("store: team stats: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := fn(rows.Scan); err != nil {
			return fmt.Errorf("store: team stats: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: team stats: %w", err)
	}
	return nil
}
