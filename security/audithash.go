package security

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"time"
)

// auditDomain separates audit record hashes from every other SHA-256 use.
const auditDomain = "safedesk-audit-v1"

// AuditHashSize is the length in bytes of an audit record hash.
const AuditHashSize = sha256.Size

// AuditRecord is one entry of the append-only audit log as it is hashed.
// Seq starts at 1 and grows by one per entry; PrevHash is the hash of the
// entry before it, or GenesisHash() for seq 1.
type AuditRecord struct {
	Seq       int64
	At        time.Time
	ActorType string
	ActorID   string
	Action    string
	Target    string
	// ClientIP names the client the action came from, as stored: a keyed
	// pseudonym of its address ("ip-" and 16 hex digits, see
	// store.DB.ClientPseudonym) in entries written since safedesk stopped
	// keeping addresses in the audit log, or the address itself in older
	// entries, which keep it as they were hashed; "" when there was none.
	// A target naming a client ("client:…") follows the same rule.
	ClientIP string
	Details  []byte
	PrevHash []byte
}

// GenesisHash returns the PrevHash of the record with seq 1: 32 zero bytes.
// It returns a fresh slice each time so no caller can change it for others.
func GenesisHash() []byte { return make([]byte, AuditHashSize) }

// HashAuditRecord returns the SHA-256 hash that chains r to its successor.
//
// The hash is SHA-256 over this byte string, with no separators:
//
//	field("safedesk-audit-v1")
//	u64(Seq)
//	u64(At as Unix nanoseconds, UTC)
//	field(ActorType) field(ActorID) field(Action) field(Target) field(ClientIP)
//	field(Details)
//	field(PrevHash)
//
// where u64(x) is x as 8 bytes big-endian (two's complement for negative
// values) and field(b) is u64(len(b)) followed by the bytes of b (strings as
// their UTF-8 bytes, unchanged). ClientIP is hashed as stored, pseudonym or
// (in older entries) address alike: the switch to pseudonyms changed what
// is written, not the encoding, so every older hash still verifies. Nil and empty Details hash alike. The time
// zone and monotonic reading of At do not matter, only the instant at
// nanosecond precision, so At must be stored and reloaded without losing
// precision, and must lie between the years 1678 and 2262.
func HashAuditRecord(r AuditRecord) []byte {
	n := 8*9 + len(auditDomain) + len(r.ActorType) + len(r.ActorID) + len(r.Action) +
		len(r.Target) + len(r.ClientIP) + len(r.Details) + len(r.PrevHash)
	b := make([]byte, 0, n)
	b = appendAuditField(b, auditDomain)
	b = binary.BigEndian.AppendUint64(b, uint64(r.Seq))
	b = binary.BigEndian.AppendUint64(b, uint64(r.At.UnixNano()))
	b = appendAuditField(b, r.ActorType)
	b = appendAuditField(b, r.ActorID)
	b = appendAuditField(b, r.Action)
	b = appendAuditField(b, r.Target)
	b = appendAuditField(b, r.ClientIP)
	b = appendAuditField(b, r.Details)
	b = appendAuditField(b, r.PrevHash)
	sum := sha256.Sum256(b)
	return sum[:]
}

// appendAuditField appends the length of s as 8 bytes big-endian, then s.
func appendAuditField[T string | []byte](b []byte, s T) []byte {
	b = binary.BigEndian.AppendUint64(b, uint64(len(s)))
	return append(b, s...)
}

// ChainError reports the first audit record that breaks the chain.
type ChainError struct {
	Seq    int64  // the seq at which the chain breaks
	Reason string // what is wrong there, for example "hash mismatch"
}

// Error returns the reason with the seq it applies to.
func (e *ChainError) Error() string {
	return fmt.Sprintf("security: audit chain broken at seq %d: %s", e.Seq, e.Reason)
}

// ChainVerifier checks an audit log one record at a time, in seq order,
// so a log of any size is verified in constant memory:
//
//	v := security.NewChainVerifier(checkpoints...)
//	for rows.Next() { ...; if err := v.Add(rec, storedHash); err != nil { return err } }
//	if err := rows.Err(); err != nil { return err }
//	return v.Finish()
//
// The first error is a *ChainError; it is sticky, so later calls return it
// again.
type ChainVerifier struct {
	lastSeq  int64
	lastHash []byte
	// checkpoints maps a seq to the hash a signed checkpoint recorded for it.
	checkpoints map[int64][]byte
	maxCP       int64
	err         error
}

// NewChainVerifier returns a verifier expecting seq 1 first. Each checkpoint
// given must already have passed VerifyCheckpoint; the verifier then
// requires the record at its seq to carry its hash, and Finish requires the
// log to reach the newest checkpoint's seq.
func NewChainVerifier(checkpoints ...Checkpoint) *ChainVerifier {
	v := &ChainVerifier{lastHash: GenesisHash(), checkpoints: make(map[int64][]byte)}
	for _, cp := range checkpoints {
		if prev, ok := v.checkpoints[cp.Seq]; ok && !bytes.Equal(prev, cp.Hash) {
			v.err = &ChainError{Seq: cp.Seq, Reason: "two checkpoints disagree on the hash"}
		}
		v.checkpoints[cp.Seq] = bytes.Clone(cp.Hash)
		v.maxCP = max(v.maxCP, cp.Seq)
	}
	return v
}

// Add checks the next record against the one before it: its seq must follow
// without a gap, its PrevHash must equal the previous stored hash, its
// stored hash must equal HashAuditRecord(r), and where a checkpoint covers
// its seq the hash must equal the checkpoint's.
func (v *ChainVerifier) Add(r AuditRecord, stored []byte) error {
	if v.err != nil {
		return v.err
	}
	want := v.lastSeq + 1
	switch {
	case r.Seq != want:
		v.err = &ChainError{Seq: want, Reason: fmt.Sprintf("missing or out of order (next record has seq %d)", r.Seq)}
	case !bytes.Equal(r.PrevHash, v.lastHash):
		v.err = &ChainError{Seq: r.Seq, Reason: "prev_hash does not match the previous record"}
	case !bytes.Equal(HashAuditRecord(r), stored):
		v.err = &ChainError{Seq: r.Seq, Reason: "hash mismatch (record altered)"}
	default:
		if cp, ok := v.checkpoints[r.Seq]; ok && !bytes.Equal(cp, stored) {
			v.err = &ChainError{Seq: r.Seq, Reason: "hash differs from the signed checkpoint"}
		}
	}
	if v.err != nil {
		return v.err
	}
	v.lastSeq = r.Seq
	v.lastHash = bytes.Clone(stored)
	return nil
}

// Finish reports an error if any record failed, or if the log ends before
// the newest checkpoint's seq, which means records were cut off its end.
func (v *ChainVerifier) Finish() error {
	if v.err != nil {
		return v.err
	}
	if v.maxCP > v.lastSeq {
		v.err = &ChainError{
			Seq:    v.lastSeq + 1,
			Reason: fmt.Sprintf("log truncated: it ends at seq %d but a signed checkpoint covers seq %d", v.lastSeq, v.maxCP),
		}
	}
	return v.err
}

// Head returns the seq and hash of the last record accepted so far: the
// number of verified records and the value to sign in the next checkpoint.
// For an empty log it is 0 and GenesisHash().
func (v *ChainVerifier) Head() (seq int64, hash []byte) {
	return v.lastSeq, bytes.Clone(v.lastHash)
}
