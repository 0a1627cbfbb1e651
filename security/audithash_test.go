package security_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"testing"
	"time"

	"safedesk/security"
)

// auditTestTime is a fixed instant with a non-zero nanosecond part.
var auditTestTime = time.Date(2025, 3, 1, 12, 30, 45, 123456789, time.UTC)

func TestHashAuditRecordKnownAnswers(t *testing.T) {
	// The expected hashes were computed by an independent implementation of
	// the encoding documented on HashAuditRecord (a short Python script), so
	// a change here means outside verifiers would break.
	prev := make([]byte, 32)
	for i := range prev {
		prev[i] = byte(i + 1)
	}
	tests := []struct {
		name string
		rec  security.AuditRecord
		want string
	}{
		{
			name: "full record",
			rec: security.AuditRecord{
				Seq: 7, At: auditTestTime, ActorType: "staff", ActorID: "42",
				Action: "ticket.update", Target: "ticket:17", ClientIP: "203.0.113.9",
				Details: []byte(`{"status":"closed"}`), PrevHash: prev,
			},
			want: "76c47ac144c917ab3711510af40cdc65c6651453eec58c46a080f22d8a878612",
		},
		{
			name: "empty record at the Unix epoch after genesis",
			rec:  security.AuditRecord{Seq: 1, At: time.Unix(0, 0), PrevHash: security.GenesisHash()},
			want: "716771cc6581528b239833222305a24019796b29ccd54f79d5e0cd71e6745815",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := hex.EncodeToString(security.HashAuditRecord(tt.rec))
			if got != tt.want {
				t.Errorf("HashAuditRecord = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestHashAuditRecordCanonical(t *testing.T) {
	base := security.AuditRecord{
		Seq: 3, At: auditTestTime, ActorType: "staff", ActorID: "42", Action: "kb.publish",
		Target: "kb:9", ClientIP: "198.51.100.4", Details: []byte("{}"), PrevHash: security.GenesisHash(),
	}
	baseHash := security.HashAuditRecord(base)

	same := []struct {
		name   string
		change func(r *security.AuditRecord)
	}{
		{"same instant in another zone", func(r *security.AuditRecord) { r.At = r.At.In(time.FixedZone("X", 5*3600)) }},
		{"monotonic reading stripped", func(r *security.AuditRecord) { r.At = r.At.Round(0) }},
	}
	for _, tt := range same {
		t.Run(tt.name, func(t *testing.T) {
			r := base
			tt.change(&r)
			if !bytes.Equal(security.HashAuditRecord(r), baseHash) {
				t.Error("hash changed, want the same hash")
			}
		})
	}
	t.Run("nil and empty details", func(t *testing.T) {
		a, b := base, base
		a.Details, b.Details = nil, []byte{}
		if !bytes.Equal(security.HashAuditRecord(a), security.HashAuditRecord(b)) {
			t.Error("nil and empty Details hash differently, want the same")
		}
	})

	differ := []struct {
		name   string
		change func(r *security.AuditRecord)
	}{
		{"seq", func(r *security.AuditRecord) { r.Seq++ }},
		{"one nanosecond later", func(r *security.AuditRecord) { r.At = r.At.Add(time.Nanosecond) }},
		{"actor type", func(r *security.AuditRecord) { r.ActorType = "customer" }},
		{"actor id", func(r *security.AuditRecord) { r.ActorID = "43" }},
		{"action", func(r *security.AuditRecord) { r.Action = "kb.delete" }},
		{"target", func(r *security.AuditRecord) { r.Target = "kb:8" }},
		{"client ip", func(r *security.AuditRecord) { r.ClientIP = "198.51.100.5" }},
		{"details", func(r *security.AuditRecord) { r.Details = []byte(`{"x":1}`) }},
		{"prev hash", func(r *security.AuditRecord) { r.PrevHash = bytes.Repeat([]byte{1}, 32) }},
		{"byte moved across a field boundary", func(r *security.AuditRecord) { r.ActorType, r.ActorID = "staff4", "2" }},
		{"field content moved to the next field", func(r *security.AuditRecord) { r.Action, r.Target = "", "kb.publishkb:9" }},
	}
	for _, tt := range differ {
		t.Run(tt.name, func(t *testing.T) {
			r := base
			tt.change(&r)
			if bytes.Equal(security.HashAuditRecord(r), baseHash) {
				t.Error("hash unchanged, want a different hash")
			}
		})
	}
}

func TestGenesisHash(t *testing.T) {
	g := security.GenesisHash()
	if !bytes.Equal(g, make([]byte, 32)) {
		t.Fatalf("GenesisHash = %x, want 32 zero bytes", g)
	}
	g[0] = 1
	if security.GenesisHash()[0] != 0 {
		t.Error("changing one GenesisHash result changed the next")
	}
}

// auditEntry is a record with the hash the store would hold for it.
type auditEntry struct {
	rec  security.AuditRecord
	hash []byte
}

// buildAuditChain returns n correctly chained entries with seq 1..n.
func buildAuditChain(n int) []auditEntry {
	var chain []auditEntry
	prev := security.GenesisHash()
	for i := 1; i <= n; i++ {
		r := security.AuditRecord{
			Seq: int64(i), At: auditTestTime.Add(time.Duration(i) * time.Second),
			ActorType: "staff", ActorID: "1", Action: "ticket.update",
			Target: fmt.Sprintf("ticket:%d", i), ClientIP: "192.0.2.1", PrevHash: prev,
		}
		h := security.HashAuditRecord(r)
		chain = append(chain, auditEntry{r, h})
		prev = h
	}
	return chain
}

// auditRehash recomputes every hash and prev hash from index i on, as an
// attacker with write access to the database would.
func auditRehash(chain []auditEntry, i int) {
	for ; i < len(chain); i++ {
		if i > 0 {
			chain[i].rec.PrevHash = chain[i-1].hash
		}
		chain[i].hash = security.HashAuditRecord(chain[i].rec)
	}
}

func TestChainVerifier(t *testing.T) {
	honest := buildAuditChain(5)
	checkpointAt := func(seq int) security.Checkpoint {
		return security.Checkpoint{Seq: int64(seq), Hash: honest[seq-1].hash, At: auditTestTime}
	}
	tests := []struct {
		name        string
		tamper      func(c []auditEntry) []auditEntry
		checkpoints []security.Checkpoint
		wantBadSeq  int64 // 0: the chain verifies
	}{
		{"intact", nil, nil, 0},
		{"intact with checkpoints", nil, []security.Checkpoint{checkpointAt(2), checkpointAt(5)}, 0},
		{"empty log", func(c []auditEntry) []auditEntry { return nil }, nil, 0},
		{"details altered", func(c []auditEntry) []auditEntry { c[2].rec.Details = []byte("x"); return c }, nil, 3},
		{"stored hash altered", func(c []auditEntry) []auditEntry { c[3].hash = bytes.Repeat([]byte{9}, 32); return c }, nil, 4},
		{"record deleted from the middle", func(c []auditEntry) []auditEntry { return append(c[:2:2], c[3:]...) }, nil, 3},
		{"first record deleted", func(c []auditEntry) []auditEntry { return c[1:] }, nil, 1},
		{"records swapped", func(c []auditEntry) []auditEntry { c[1], c[2] = c[2], c[1]; return c }, nil, 2},
		{"record rewritten with its own hash recomputed", func(c []auditEntry) []auditEntry {
			c[2].rec.Action = "nothing"
			c[2].rec.PrevHash = bytes.Repeat([]byte{7}, 32)
			c[2].hash = security.HashAuditRecord(c[2].rec)
			return c
		}, nil, 3},
		{"wrong genesis", func(c []auditEntry) []auditEntry {
			c[0].rec.PrevHash = bytes.Repeat([]byte{1}, 32)
			auditRehash(c, 0)
			return c
		}, nil, 1},
		{"tail truncated, no checkpoint: undetectable", func(c []auditEntry) []auditEntry { return c[:3] }, nil, 0},
		{"tail truncated past a checkpoint", func(c []auditEntry) []auditEntry { return c[:3] }, []security.Checkpoint{checkpointAt(4)}, 4},
		{"tail truncated before a checkpoint", func(c []auditEntry) []auditEntry { return c[:4] }, []security.Checkpoint{checkpointAt(4)}, 0},
		{"whole chain rewritten consistently after a checkpoint", func(c []auditEntry) []auditEntry {
			c[1].rec.Target = "ticket:999"
			auditRehash(c, 1)
			return c
		}, []security.Checkpoint{checkpointAt(4)}, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			chain := buildAuditChain(5)
			if tt.tamper != nil {
				chain = tt.tamper(chain)
			}
			v := security.NewChainVerifier(tt.checkpoints...)
			var err error
			for _, e := range chain {
				if err = v.Add(e.rec, e.hash); err != nil {
					break
				}
			}
			if err == nil {
				err = v.Finish()
			}
			if tt.wantBadSeq == 0 {
				if err != nil {
					t.Fatalf("verify: %v, want no error", err)
				}
				seq, hash := v.Head()
				if seq != int64(len(chain)) {
					t.Errorf("Head seq = %d, want %d", seq, len(chain))
				}
				if len(chain) > 0 && !bytes.Equal(hash, chain[len(chain)-1].hash) {
					t.Errorf("Head hash = %x, want the last record's hash", hash)
				}
				return
			}
			var ce *security.ChainError
			if !errors.As(err, &ce) {
				t.Fatalf("verify error = %v, want a *ChainError", err)
			}
			if ce.Seq != tt.wantBadSeq {
				t.Errorf("bad seq = %d (%v), want %d", ce.Seq, err, tt.wantBadSeq)
			}
			if again := v.Finish(); again != err {
				t.Errorf("Finish after failure = %v, want the same error", again)
			}
		})
	}
}

func TestChainVerifierConflictingCheckpoints(t *testing.T) {
	chain := buildAuditChain(2)
	v := security.NewChainVerifier(
		security.Checkpoint{Seq: 2, Hash: chain[1].hash},
		security.Checkpoint{Seq: 2, Hash: chain[0].hash},
	)
	if err := v.Add(chain[0].rec, chain[0].hash); err == nil {
		t.Error("Add with two different checkpoints for seq 2 succeeded, want an error")
	}
}

func BenchmarkHashAuditRecord(b *testing.B) {
	r := security.AuditRecord{
		Seq: 123456, At: auditTestTime, ActorType: "staff", ActorID: "17",
		Action: "ticket.update", Target: "ticket:4242", ClientIP: "2001:db8::1",
		Details:  []byte(`{"field":"status","from":"open","to":"pending"}`),
		PrevHash: bytes.Repeat([]byte{0xab}, 32),
	}
	b.ReportAllocs()
	for b.Loop() {
		security.HashAuditRecord(r)
	}
}
