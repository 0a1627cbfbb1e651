package store

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"safedesk/security"
)

// TestAuditQueriesWalkSeq checks the plan of every kind of audit log query:
// with no index but the primary key (migration 0008), each must walk seq in
// order and stop at its limit, never sort the log.
func TestAuditQueriesWalkSeq(t *testing.T) {
	ring, err := security.NewKeyring(security.NewDataKey())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "safedesk.db"), ring, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	since := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	type query struct {
		sql  string
		args []any
	}
	queries := map[string]query{
		"subject records": {subjectRecordsSQL, []any{ActorCustomer, "3", `["ticket:1","chat:2"]`}},
	}
	for name, f := range map[string]AuditFilter{
		"all":                {},
		"after a seq":        {After: 10},
		"action, newest":     {Action: "ticket.created", Newest: true},
		"action prefix":      {Action: "staff.*"},
		"actor":              {ActorType: ActorStaff, ActorID: "7"},
		"target":             {Target: "ticket:5"},
		"time window, newer": {Since: since, Until: since.Add(time.Hour), Newest: true, Before: 100},
	} {
		q, args := f.query(100)
		queries[name] = query{q, args}
	}
	for name, c := range queries {
		rows, err := db.read.QueryContext(ctx, "EXPLAIN QUERY PLAN "+c.sql, c.args...)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var plan []string
		for rows.Next() {
			var id, parent, unused int
			var detail string
			if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			plan = append(plan, detail)
		}
		if err := rows.Close(); err != nil {
			t.Fatal(err)
		}
		p := strings.Join(plan, "; ")
		if strings.Contains(p, "TEMP B-TREE") || strings.Contains(p, "audit_log USING INDEX") || strings.Contains(p, "COVERING INDEX") {
			t.Errorf("%s: plan %q; want a walk of audit_log by seq", name, p)
		}
		if !strings.Contains(p, "audit_log") {
			t.Errorf("%s: plan %q does not read audit_log", name, p)
		}
	}
}
