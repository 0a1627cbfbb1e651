package store_test

import (
	"context"
	"encoding/hex"
	"testing"
	"time"

	"safedesk/security"
	"safedesk/store"
)

// TestSigningRanges: a restore hands checkpoint signing to a new key. The
// log then verifies with either key trusted, saying which range each one
// anchored and which was checked only with the key the database records,
// and it still refuses a key that took over without a handover.
func TestSigningRanges(t *testing.T) {
	ctx := context.Background()
	db, _ := newTestDB(t)
	old, restored, intruder := signingKey(t), signingKey(t), signingKey(t)
	auditEntries(t, db, 4)
	first, err := db.Checkpoint(ctx, old, store.CheckpointBackup)
	if err != nil {
		t.Fatal(err)
	}
	// What a server with the new key could not do before the handover.
	if _, err := db.Checkpoint(ctx, restored, store.CheckpointPeriodic); err == nil {
		t.Fatal("a new key chained on from the old key's checkpoint without a handover")
	}
	start, err := db.StartSigningRange(ctx, restored, "restore", store.CLIActor)
	if err != nil {
		t.Fatal(err)
	}
	if start.Seq != first.Seq+1 {
		t.Fatalf("the new range begins at seq %d, want %d (its handover entry)", start.Seq, first.Seq+1)
	}
	auditEntries(t, db, 2)
	newest, err := db.Checkpoint(ctx, restored, store.CheckpointPeriodic)
	if err != nil {
		t.Fatalf("the new key signs on after the handover: %v", err)
	}
	if _, err := db.Checkpoint(ctx, old, store.CheckpointPeriodic); err == nil {
		t.Error("the old key signed after the handover")
	}

	oldAnchor := store.AuditAnchor{Key: pubOf(old), Source: "--public-key old.pem"}
	newAnchor := store.AuditAnchor{Key: pubOf(restored), Source: "--public-key new.pem"}
	t.Run("the old public key anchors the old range", func(t *testing.T) {
		rep, err := db.VerifyAuditLogAnchored(ctx, []store.AuditAnchor{oldAnchor})
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.Ranges) != 2 || rep.Checkpoints != 1 || rep.Unchecked != 2 {
			t.Fatalf("report %+v", rep)
		}
		r0, r1 := rep.Ranges[0], rep.Ranges[1]
		if r0.From != 1 || r0.To != first.Seq || r0.Anchor != oldAnchor.Source || r0.KeyID() != store.KeyID(pubOf(old)) {
			t.Errorf("first range %+v", r0)
		}
		if r1.From != start.Seq || r1.Reason != "restore" || r1.Anchor != "" || r1.Checkpoints != 2 || r1.KeyID() != store.KeyID(pubOf(restored)) {
			t.Errorf("second range %+v: want it from the handover, checked only by the database's key", r1)
		}
	})
	t.Run("both public keys anchor everything", func(t *testing.T) {
		rep, err := db.VerifyAuditLogAnchored(ctx, []store.AuditAnchor{oldAnchor, newAnchor})
		if err != nil || rep.Unchecked != 0 || rep.Checkpoints != 3 {
			t.Fatalf("report %+v, %v", rep, err)
		}
	})
	t.Run("the restored server's own key verifies, the old range unanchored", func(t *testing.T) {
		rep, err := db.VerifyAuditLog(ctx, pubOf(restored))
		if err != nil || rep.Checkpoints != 2 || rep.Unchecked != 1 || rep.Ranges[0].Anchor != "" {
			t.Fatalf("report %+v, %v", rep, err)
		}
	})
	t.Run("a server whose key did not sign the newest range is refused", func(t *testing.T) {
		_, err := db.VerifyAuditLog(ctx, pubOf(intruder))
		chainErrAt(t, err, newest.Seq, "different key")
		_, err = db.VerifyAuditLog(ctx, pubOf(old))
		chainErrAt(t, err, newest.Seq, "different key")
		rep, err := db.VerifyAuditLogAnchored(ctx, []store.AuditAnchor{{Key: pubOf(intruder), Source: "elsewhere"}})
		if err != nil || rep.Checkpoints != 0 || rep.Unchecked != 3 {
			t.Errorf("a key that anchors nothing: %+v, %v; want every checkpoint unanchored", rep, err)
		}
	})
	t.Run("a key that takes over without a handover is refused", func(t *testing.T) {
		auditEntries(t, db, 1)
		if _, err := db.Checkpoint(ctx, intruder, store.CheckpointPeriodic); err == nil {
			t.Fatal("Checkpoint chained on from another key's checkpoint")
		}
		// Signed correctly, stored behind the store's back.
		seq, head, err := db.AuditHead(ctx)
		if err != nil {
			t.Fatal(err)
		}
		hash, err := hex.DecodeString(head)
		if err != nil {
			t.Fatal(err)
		}
		forged := security.Checkpoint{Seq: seq, Hash: hash, At: time.Now().UTC()}
		if _, err := secondConn(t, db.Path()).Exec(`INSERT INTO audit_checkpoints (seq, hash, at, reason, public_key, signature) VALUES (?, ?, ?, 'manual', ?, ?)`,
			seq, hash, forged.At.UnixNano(), []byte(pubOf(intruder)), security.SignCheckpoint(intruder, forged)); err != nil {
			t.Fatal(err)
		}
		_, err = db.VerifyAuditLogAnchored(ctx, []store.AuditAnchor{oldAnchor, newAnchor})
		chainErrAt(t, err, seq, "different key")
	})
}
