package store_test

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"errors"
	"strings"
	"testing"
	"time"

	"safedesk/security"
	"safedesk/store"
)

// auditEntries appends n entries that record nothing else.
func auditEntries(t *testing.T, db *store.DB, n int) {
	t.Helper()
	for i := range n {
		if err := db.RecordAudit(context.Background(), editor, "test.entry", "test:"+string(rune('a'+i%26)), map[string]any{"i": i}); err != nil {
			t.Fatal(err)
		}
	}
}

// secondConn opens the database file beside the store, as an intruder with
// access to the file would: the store's triggers are all that stand in the way.
func secondConn(t *testing.T, path string) *sql.DB {
	t.Helper()
	conn, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

func signingKey(t *testing.T) ed25519.PrivateKey {
	t.Helper()
	k, err := security.GenerateSigningKey()
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func pubOf(k ed25519.PrivateKey) ed25519.PublicKey { return k.Public().(ed25519.PublicKey) }

// chainErrAt fails unless err is a chain error naming seq.
func chainErrAt(t *testing.T, err error, seq int64, reason string) {
	t.Helper()
	var chain *security.ChainError
	if !errors.As(err, &chain) {
		t.Fatalf("got %v, want a chain error at seq %d", err, seq)
	}
	if chain.Seq != seq || !strings.Contains(chain.Reason, reason) {
		t.Fatalf("got a chain error at seq %d (%s), want seq %d (%s)", chain.Seq, chain.Reason, seq, reason)
	}
}

func TestAuditCheckpoints(t *testing.T) {
	ctx := context.Background()

	t.Run("a checkpoint signs the head and a verifier holds the log to it", func(t *testing.T) {
		db, clk := newTestDB(t)
		key := signingKey(t)
		auditEntries(t, db, 5)
		head := int64(countRows(t, db, "audit_log"))
		cp, err := db.Checkpoint(ctx, key, store.CheckpointPeriodic)
		if err != nil {
			t.Fatal(err)
		}
		if cp.Seq != head || len(cp.Hash) != security.AuditHashSize || !cp.At.Equal(clk.Now()) {
			t.Fatalf("checkpoint %+v, want seq %d at %v", cp, head, clk.Now())
		}
		stored, err := db.ListCheckpoints(ctx, 10)
		if err != nil || len(stored) != 1 || !security.VerifyCheckpoint(pubOf(key), stored[0].Checkpoint, stored[0].Signature) ||
			stored[0].Reason != store.CheckpointPeriodic {
			t.Fatalf("stored %+v, %v", stored, err)
		}
		rep, err := db.VerifyAuditLog(ctx, pubOf(key))
		if err != nil {
			t.Fatal(err)
		}
		if rep.Entries != head || rep.Checkpoints != 1 || rep.Latest.Seq != head || rep.HeadSeq != head {
			t.Fatalf("report %+v", rep)
		}
	})

	t.Run("an unchanged head is not signed twice", func(t *testing.T) {
		db, clk := newTestDB(t)
		key := signingKey(t)
		auditEntries(t, db, 2)
		first, err := db.Checkpoint(ctx, key, store.CheckpointPeriodic)
		if err != nil {
			t.Fatal(err)
		}
		clk.Advance(time.Hour)
		again, err := db.Checkpoint(ctx, key, store.CheckpointShutdown)
		if err != nil || again.Seq != first.Seq || !again.At.Equal(first.At) {
			t.Fatalf("got %+v, %v; want the first checkpoint %+v", again, err, first)
		}
		if n := countRows(t, db, "audit_checkpoints"); n != 1 {
			t.Fatalf("%d checkpoints stored, want 1", n)
		}
		auditEntries(t, db, 1)
		if next, err := db.Checkpoint(ctx, key, store.CheckpointBackup); err != nil || next.Seq != first.Seq+1 {
			t.Fatalf("got %+v, %v; want a checkpoint at seq %d", next, err, first.Seq+1)
		}
	})

	t.Run("an empty log has nothing to sign", func(t *testing.T) {
		db, _ := newTestDB(t)
		// Should Open ever audit, this case needs another way to an empty
		// log; it must not quietly stop running.
		if n := countRows(t, db, "audit_log"); n != 0 {
			t.Fatalf("a fresh database holds %d audit entries, want none", n)
		}
		if _, err := db.Checkpoint(ctx, signingKey(t), store.CheckpointPeriodic); !errors.Is(err, store.ErrAuditEmpty) {
			t.Fatalf("got %v, want ErrAuditEmpty", err)
		}
	})

	t.Run("an entry edited through a second connection is named", func(t *testing.T) {
		db, _ := newTestDB(t)
		key := signingKey(t)
		auditEntries(t, db, 6)
		if _, err := db.Checkpoint(ctx, key, store.CheckpointPeriodic); err != nil {
			t.Fatal(err)
		}
		raw := secondConn(t, db.Path())
		if _, err := raw.Exec(`DROP TRIGGER audit_log_no_update; UPDATE audit_log SET target = 'test:forged' WHERE seq = 3`); err != nil {
			t.Fatal(err)
		}
		_, err := db.VerifyAuditLog(ctx, pubOf(key))
		chainErrAt(t, err, 3, "altered")
		if _, err := db.VerifyAudit(ctx); err == nil {
			t.Error("VerifyAudit (chain only) passed an edited entry")
		}
	})

	t.Run("a checkpoint refuses to vouch for an entry altered since the last one", func(t *testing.T) {
		db, _ := newTestDB(t)
		key := signingKey(t)
		auditEntries(t, db, 3)
		if _, err := db.Checkpoint(ctx, key, store.CheckpointPeriodic); err != nil {
			t.Fatal(err)
		}
		auditEntries(t, db, 3)
		head := int64(countRows(t, db, "audit_log"))
		raw := secondConn(t, db.Path())
		if _, err := raw.Exec(`DROP TRIGGER audit_log_no_update; UPDATE audit_log SET details = CAST('{"i":99}' AS BLOB) WHERE seq = ?`, head-1); err != nil {
			t.Fatal(err)
		}
		before := countRows(t, db, "audit_checkpoints")
		_, err := db.Checkpoint(ctx, key, store.CheckpointPeriodic)
		chainErrAt(t, err, head-1, "altered")
		if after := countRows(t, db, "audit_checkpoints"); after != before {
			t.Errorf("%d checkpoints after the refusal, want %d", after, before)
		}
	})

	t.Run("entries deleted from the end after a checkpoint are detected", func(t *testing.T) {
		db, _ := newTestDB(t)
		key := signingKey(t)
		auditEntries(t, db, 6)
		cp, err := db.Checkpoint(ctx, key, store.CheckpointShutdown)
		if err != nil {
			t.Fatal(err)
		}
		raw := secondConn(t, db.Path())
		if _, err := raw.Exec(`DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE seq >= ?`, cp.Seq-1); err != nil {
			t.Fatal(err)
		}
		if _, err := db.VerifyAudit(ctx); err != nil {
			t.Fatalf("the shortened chain no longer verifies by itself (%v): the test proves nothing", err)
		}
		_, err = db.VerifyAuditLog(ctx, pubOf(key))
		chainErrAt(t, err, cp.Seq-1, "truncated")
		_, err = db.Checkpoint(ctx, key, store.CheckpointPeriodic)
		chainErrAt(t, err, cp.Seq, "")
	})

	t.Run("checkpoints deleted too are caught by one the caller remembers", func(t *testing.T) {
		db, _ := newTestDB(t)
		key := signingKey(t)
		auditEntries(t, db, 4)
		cp, err := db.Checkpoint(ctx, key, store.CheckpointPeriodic)
		if err != nil {
			t.Fatal(err)
		}
		raw := secondConn(t, db.Path())
		if _, err := raw.Exec(`DROP TRIGGER audit_log_no_delete; DROP TRIGGER audit_checkpoints_no_delete;
			DELETE FROM audit_checkpoints; DELETE FROM audit_log WHERE seq = ?`, cp.Seq); err != nil {
			t.Fatal(err)
		}
		if _, err := db.VerifyAuditLog(ctx, pubOf(key)); err != nil {
			t.Fatalf("without a remembered checkpoint: %v", err)
		}
		_, err = db.VerifyAuditLog(ctx, pubOf(key), cp)
		chainErrAt(t, err, cp.Seq, "truncated")
	})

	t.Run("forged and foreign checkpoints are refused", func(t *testing.T) {
		db, _ := newTestDB(t)
		key, other := signingKey(t), signingKey(t)
		auditEntries(t, db, 4)
		if _, err := db.Checkpoint(ctx, other, store.CheckpointManual); err != nil {
			t.Fatal(err)
		}
		_, err := db.VerifyAuditLog(ctx, pubOf(key))
		chainErrAt(t, err, 4, "different key")
		if _, err := db.Checkpoint(ctx, key, store.CheckpointPeriodic); err == nil {
			t.Error("Checkpoint chained on from a checkpoint of another key")
		}

		db2, _ := newTestDB(t)
		auditEntries(t, db2, 4)
		if _, err := db2.Checkpoint(ctx, key, store.CheckpointPeriodic); err != nil {
			t.Fatal(err)
		}
		raw := secondConn(t, db2.Path())
		if _, err := raw.Exec(`DROP TRIGGER audit_checkpoints_no_update; UPDATE audit_checkpoints SET seq = 40`); err != nil {
			t.Fatal(err)
		}
		_, err = db2.VerifyAuditLog(ctx, pubOf(key))
		chainErrAt(t, err, 40, "signature")
	})

	t.Run("without a public key checkpoints are not trusted", func(t *testing.T) {
		db, _ := newTestDB(t)
		auditEntries(t, db, 2)
		if _, err := db.Checkpoint(ctx, signingKey(t), store.CheckpointPeriodic); err != nil {
			t.Fatal(err)
		}
		rep, err := db.VerifyAuditLog(ctx, nil)
		if err != nil || rep.Unchecked != 1 || rep.Checkpoints != 0 {
			t.Fatalf("report %+v, %v; want one unchecked checkpoint", rep, err)
		}
	})

	t.Run("checkpoints are append-only", func(t *testing.T) {
		db, _ := newTestDB(t)
		auditEntries(t, db, 1)
		if _, err := db.Checkpoint(ctx, signingKey(t), store.CheckpointPeriodic); err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{"UPDATE audit_checkpoints SET seq = 1", "DELETE FROM audit_checkpoints"} {
			if _, err := db.Writer().ExecContext(ctx, q); err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Errorf("%s: got %v, want the append-only error", q, err)
			}
		}
	})

	t.Run("VerifyAuditFile reads a file without writing", func(t *testing.T) {
		db, _ := newTestDB(t)
		key := signingKey(t)
		auditEntries(t, db, 3)
		if _, err := db.Checkpoint(ctx, key, store.CheckpointPeriodic); err != nil {
			t.Fatal(err)
		}
		rep, err := store.VerifyAuditFile(ctx, db.Path(), pubOf(key))
		if err != nil || rep.Checkpoints != 1 || rep.Entries != int64(countRows(t, db, "audit_log")) {
			t.Fatalf("report %+v, %v", rep, err)
		}
		if _, err := store.VerifyAuditFile(ctx, db.Path()+".missing", pubOf(key)); err == nil {
			t.Error("a missing file verified")
		}
	})
}

func TestAuditFilter(t *testing.T) {
	ctx := context.Background()
	db, clk := newTestDB(t)
	base := countRows(t, db, "audit_log")
	staff7 := store.Actor{Type: store.ActorStaff, ID: "7", ClientIP: "198.51.100.7"}
	visitor := store.Actor{Type: store.ActorVisitor, ID: "-", ClientIP: "203.0.113.9"}
	start := clk.Now()
	for i, e := range []struct {
		a              store.Actor
		action, target string
	}{
		{staff7, "staff.role_changed", "staff:8"},
		{visitor, "staff.sign_in_failed", "-"},
		{staff7, "ticket.updated", "ticket:12"},
		{store.SystemActor, "security.blocked", "client:203.0.113.9"},
		{staff7, "kb.updated", "kb:50%_off"},
	} {
		clk.Advance(time.Minute)
		if err := db.RecordAudit(ctx, e.a, e.action, e.target, map[string]any{"n": i}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name string
		f    store.AuditFilter
		want []string // actions, in order
	}{
		{"action exact", store.AuditFilter{Action: "ticket.updated"}, []string{"ticket.updated"}},
		{"action prefix", store.AuditFilter{Action: "staff.*"}, []string{"staff.role_changed", "staff.sign_in_failed"}},
		{"actor type", store.AuditFilter{ActorType: store.ActorVisitor}, []string{"staff.sign_in_failed"}},
		{"actor type and id, newest first", store.AuditFilter{ActorType: "staff", ActorID: "7", Newest: true},
			[]string{"kb.updated", "ticket.updated", "staff.role_changed"}},
		{"target prefix", store.AuditFilter{Target: "client:*"}, []string{"security.blocked"}},
		{"LIKE wildcards in a prefix are literal", store.AuditFilter{Target: "kb:50%*"}, []string{"kb.updated"}},
		{"LIKE wildcards do not match other text", store.AuditFilter{Target: "kb:5_%*"}, nil},
		{"time window", store.AuditFilter{Since: start.Add(2 * time.Minute), Until: start.Add(4 * time.Minute), ActorType: "staff"},
			[]string{"ticket.updated"}},
		{"seq window", store.AuditFilter{After: int64(base) + 1, Before: int64(base) + 3}, []string{"staff.sign_in_failed"}},
		{"limit", store.AuditFilter{After: int64(base), Limit: 2}, []string{"staff.role_changed", "staff.sign_in_failed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			es, err := db.ListAudit(ctx, tt.f)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, e := range es {
				got = append(got, e.Action)
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
	t.Run("ExportAudit streams every match with the stored details", func(t *testing.T) {
		var n int
		err := db.ExportAudit(ctx, store.AuditFilter{ActorType: "staff"}, func(e store.AuditEntry) error {
			n++
			if len(e.RawDetails) == 0 || e.Details["n"] == nil {
				t.Errorf("entry %d without details", e.Seq)
			}
			return nil
		})
		if err != nil || n != 3 {
			t.Fatalf("exported %d, %v; want 3", n, err)
		}
	})
}

// BenchmarkAppendAudit measures one audit entry in its own transaction:
// reading the head, hashing, inserting, committing.
func BenchmarkAppendAudit(b *testing.B) {
	db, _ := newTestDB(b)
	ctx := context.Background()
	a := store.Actor{Type: store.ActorStaff, ID: "3", ClientIP: "198.51.100.7"}
	details := map[string]any{"changed": []string{"status", "priority"}}
	b.ReportAllocs()
	for b.Loop() {
		if err := db.RecordAudit(ctx, a, "ticket.updated", "ticket:42", details); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyAuditLog measures verifying 10,000 entries against a
// checkpoint.
func BenchmarkVerifyAuditLog(b *testing.B) {
	db, _ := newTestDB(b)
	ctx := context.Background()
	key, _ := security.GenerateSigningKey()
	for i := range 10_000 {
		if err := db.RecordAudit(ctx, editor, "ticket.updated", "ticket:42", map[string]any{"i": i}); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := db.Checkpoint(ctx, key, store.CheckpointPeriodic); err != nil {
		b.Fatal(err)
	}
	pub := pubOf(key)
	for b.Loop() {
		if _, err := db.VerifyAuditLog(ctx, pub); err != nil {
			b.Fatal(err)
		}
	}
}
