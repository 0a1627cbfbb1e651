package monitor

import (
	"context"
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	"safedesk/security"
	"safedesk/store"
)

func TestCheckpointNeedsKey(t *testing.T) {
	f := newFixture(t, Options{})
	if _, err := f.mon.Checkpoint(context.Background(), store.CheckpointManual); err == nil {
		t.Error("a checkpoint without a signing key")
	}
}

// TestAuditWatch: checkpoints are signed and held against verification;
// tampering found by the hourly verification is raised once, mailed, and
// stops further checkpoints.
func TestAuditWatch(t *testing.T) {
	key, err := security.GenerateSigningKey()
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, Options{AuditKey: key})
	ctx := context.Background()
	f.staff(security.RoleOwner, "olive@northwind.example") // audited
	for range 3 {
		if err := f.db.RecordAudit(ctx, store.SystemActor, "test.entry", "-", nil); err != nil {
			t.Fatal(err)
		}
	}
	cp, err := f.mon.Checkpoint(ctx, store.CheckpointPeriodic)
	if err != nil || cp.Seq < 4 {
		t.Fatalf("checkpoint %+v, %v", cp, err)
	}
	rep, err := f.mon.AuditVerdict(ctx, 0)
	if err != nil || rep.Checkpoints != 1 || rep.Latest.Seq != cp.Seq {
		t.Fatalf("verdict %+v, %v: want one checkpoint at seq %d", rep, err, cp.Seq)
	}

	raw, err := sql.Open("sqlite", "file:"+f.db.Path()+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec(`DROP TRIGGER audit_log_no_update; UPDATE audit_log SET actor_id = '99' WHERE seq = 2`); err != nil {
		t.Fatal(err)
	}
	if _, err := f.mon.AuditVerdict(ctx, time.Hour); err != nil {
		t.Fatalf("a fresh verdict was not reused: %v", err)
	}
	f.mon.Hour(ctx)
	f.mon.Wait()
	var chain *security.ChainError
	if _, err := f.mon.AuditVerdict(ctx, time.Hour); !errors.As(err, &chain) || chain.Seq != 2 {
		t.Fatalf("verdict after Hour: %v, want entry 2 named", err)
	}
	if n := f.events("audit.chain_broken"); n != 1 {
		t.Errorf("%d audit.chain_broken events, want 1", n)
	}
	if msgs := f.mail.take(); len(msgs) != 1 || !strings.Contains(msgs[0].Subject, "audit log tampering") {
		t.Errorf("alert mail %+v", msgs)
	}
	f.mon.Hour(ctx)
	f.mon.Wait()
	if n := f.events("audit.chain_broken"); n != 1 {
		t.Errorf("%d audit.chain_broken events after a second hour, want 1 (raised once)", n)
	}
	if _, err := f.mon.Checkpoint(ctx, store.CheckpointPeriodic); err == nil {
		t.Error("a checkpoint was signed over a tampered log")
	}
}

// TestHourPrunes: traffic counts older than eight days go.
func TestHourPrunes(t *testing.T) {
	f := newFixture(t, Options{})
	ctx := context.Background()
	now := f.now()
	old, recent := now.Add(-9*24*time.Hour).Unix()/60, now.Add(-time.Hour).Unix()/60
	if err := f.db.AddTraffic(ctx, []store.TrafficMinute{{Minute: old, Requests: 1}, {Minute: recent, Requests: 2}}); err != nil {
		t.Fatal(err)
	}
	f.mon.Hour(ctx)
	ms, err := f.db.ListTraffic(ctx, now.Add(-10*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 1 || ms[0].Minute != recent {
		t.Errorf("traffic after Hour: %+v, want only the recent minute", ms)
	}
}
