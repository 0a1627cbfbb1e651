package store

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"time"

	"safedesk/security"
)

// Why a checkpoint was made.
const (
	CheckpointPeriodic = "periodic" // the server's schedule (hourly by default)
	CheckpointBackup   = "backup"   // just before a backup snapshot
	CheckpointShutdown = "shutdown" // the server stopping
	CheckpointManual   = "manual"   // someone asked for one
)

// ErrAuditEmpty is returned by Checkpoint when there is no entry to sign.
var ErrAuditEmpty = errors.New("store: the audit log is empty")

// StoredCheckpoint is a signed checkpoint as kept in audit_checkpoints.
type StoredCheckpoint struct {
	security.Checkpoint
	ID        int64
	Reason    string
	PublicKey ed25519.PublicKey
	Signature []byte
}

// Checkpoint signs the head of the audit log with key and stores the signed
// checkpoint, so that entries cut off the end of the log later are
// detected. Before signing, it checks in the same transaction that the
// entries written since the newest stored checkpoint still chain on from
// it: a checkpoint never vouches for a log that was altered. A break is
// returned as a *security.ChainError and nothing is stored. When the head
// has not moved since the newest checkpoint, that checkpoint is returned
// and nothing is stored. The backup engine calls it with CheckpointBackup
// just before each snapshot.
func (db *DB) Checkpoint(ctx context.Context, key ed25519.PrivateKey, reason string) (security.Checkpoint, error) {
	if len(key) != ed25519.PrivateKeySize {
		return security.Checkpoint{}, errors.New("store: checkpoint: no signing key")
	}
	switch reason {
	case CheckpointPeriodic, CheckpointBackup, CheckpointShutdown, CheckpointManual:
	default:
		return security.Checkpoint{}, fmt.Errorf("store: checkpoint reason %q", reason)
	}
	pub := key.Public().(ed25519.PublicKey)
	var out security.Checkpoint
	err := db.tx(ctx, func(tx *sql.Tx) error {
		last, err := latestCheckpoint(ctx, tx)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		from := security.Checkpoint{}
		if err == nil {
			if !bytes.Equal(last.PublicKey, pub) || !security.VerifyCheckpoint(pub, last.Checkpoint, last.Signature) {
				return &security.ChainError{Seq: last.Seq, Reason: "the newest checkpoint's signature does not verify with this server's key"}
			}
			from = last.Checkpoint
		}
		seq, hash, err := verifyTail(ctx, tx, from)
		if err != nil {
			return err
		}
		if seq == 0 {
			return ErrAuditEmpty
		}
		if seq == from.Seq {
			out = from
			return nil
		}
		out = security.Checkpoint{Seq: seq, Hash: hash, At: db.now().UTC()}
		return insertCheckpoint(ctx, tx, out, reason, key)
	})
	return out, err
}

// insertCheckpoint signs cp with key and stores it, inside tx.
func insertCheckpoint(ctx context.Context, tx *sql.Tx, cp security.Checkpoint, reason string, key ed25519.PrivateKey) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO audit_checkpoints (seq, hash, at, reason, public_key, signature)
		VALUES (?, ?, ?, ?, ?, ?)`, cp.Seq, cp.Hash, nanos(cp.At), reason, []byte(key.Public().(ed25519.PublicKey)), security.SignCheckpoint(key, cp))
	if err != nil {
		return fmt.Errorf("store: checkpoint: %w", err)
	}
	return nil
}

const checkpointColumns = "id, seq, hash, at, reason, public_key, signature"

func scanCheckpoint(row rowScanner) (StoredCheckpoint, error) {
	var c StoredCheckpoint
	var at int64
	var pub []byte
	if err := row.Scan(&c.ID, &c.Seq, &c.Hash, &at, &c.Reason, &pub, &c.Signature); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return StoredCheckpoint{}, ErrNotFound
		}
		return StoredCheckpoint{}, fmt.Errorf("store: checkpoint: %w", err)
	}
	c.At, c.PublicKey = fromNanos(at), ed25519.PublicKey(pub)
	return c, nil
}

func latestCheckpoint(ctx context.Context, q querier) (StoredCheckpoint, error) {
	return scanCheckpoint(q.QueryRowContext(ctx, "SELECT "+checkpointColumns+" FROM audit_checkpoints ORDER BY seq DESC, id DESC LIMIT 1"))
}

// ListCheckpoints returns the newest checkpoints, newest first.
func (db *DB) ListCheckpoints(ctx context.Context, limit int) ([]StoredCheckpoint, error) {
	if limit <= 0 || limit > 1000 {
		limit = 20
	}
	rows, err := db.read.QueryContext(ctx, "SELECT "+checkpointColumns+" FROM audit_checkpoints ORDER BY id DESC LIMIT ?", limit)
	if err != nil {
		return nil, fmt.Errorf("store: list checkpoints: %w", err)
	}
	defer rows.Close()
	var out []StoredCheckpoint
	for rows.Next() {
		c, err := scanCheckpoint(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// verifyTail checks the log from the checkpoint from on: the entry at
// from.Seq must still hash to from.Hash, and every later entry must follow
// it without a gap and chain to the one before. A zero from checks the
// whole log. It returns the head: the last entry's seq and hash.
func verifyTail(ctx context.Context, tx *sql.Tx, from security.Checkpoint) (int64, []byte, error) {
	lastSeq, lastHash := from.Seq, from.Hash
	if from.Seq == 0 {
		lastHash = security.GenesisHash()
	}
	rows, err := tx.QueryContext(ctx, "SELECT "+auditColumns+" FROM audit_log WHERE seq >= ? ORDER BY seq", max(from.Seq, 1))
	if err != nil {
		return 0, nil, fmt.Errorf("store: checkpoint: %w", err)
	}
	defer rows.Close()
	first := true
	for rows.Next() {
		r, stored, err := scanAuditRecord(rows)
		if err != nil {
			return 0, nil, fmt.Errorf("store: checkpoint: %w", err)
		}
		anchor := first && from.Seq > 0
		first = false
		switch {
		case anchor && r.Seq != from.Seq:
			return 0, nil, &security.ChainError{Seq: from.Seq, Reason: "missing, though a signed checkpoint covers it"}
		case anchor && !bytes.Equal(stored, from.Hash):
			return 0, nil, &security.ChainError{Seq: r.Seq, Reason: "hash differs from the signed checkpoint"}
		case anchor && !bytes.Equal(security.HashAuditRecord(r), stored):
			return 0, nil, &security.ChainError{Seq: r.Seq, Reason: "hash mismatch (record altered)"}
		case anchor:
			continue
		case r.Seq != lastSeq+1:
			return 0, nil, &security.ChainError{Seq: lastSeq + 1, Reason: fmt.Sprintf("missing or out of order (next record has seq %d)", r.Seq)}
		case !bytes.Equal(r.PrevHash, lastHash):
			return 0, nil, &security.ChainError{Seq: r.Seq, Reason: "prev_hash does not match the previous record"}
		case !bytes.Equal(security.HashAuditRecord(r), stored):
			return 0, nil, &security.ChainError{Seq: r.Seq, Reason: "hash mismatch (record altered)"}
		}
		lastSeq, lastHash = r.Seq, stored
	}
	if err := rows.Err(); err != nil {
		return 0, nil, fmt.Errorf("store: checkpoint: %w", err)
	}
	if first && from.Seq > 0 {
		return 0, nil, &security.ChainError{Seq: from.Seq, Reason: "log truncated: a signed checkpoint covers this seq"}
	}
	return lastSeq, lastHash, nil
}

// AuditReport is the outcome of VerifyAuditLog.
type AuditReport struct {
	Entries     int64               // entries verified
	HeadSeq     int64               // the last entry's seq
	HeadHash    []byte              // and its hash
	Checkpoints int                 // signed checkpoints verified by a trusted key and held against the log
	Unchecked   int                 // checkpoints verified only with the key the database records for them
	Latest      security.Checkpoint // the newest checkpoint held against the log
	Ranges      []AuditRange        // which key signed which stretch of the log, oldest first
	At          time.Time           // when the verification ran
}

// Summary is the one line that says an intact log was verified: how many
// entries, its head, and the newest signed checkpoint.
func (r AuditReport) Summary() string {
	line := fmt.Sprintf("audit log intact: %d entries", r.Entries)
	if r.Entries > 0 {
		line += fmt.Sprintf(", head seq %d hash %s", r.HeadSeq, hex.EncodeToString(r.HeadHash))
	}
	if r.Checkpoints == 0 {
		return line + "; no signed checkpoint yet"
	}
	line += fmt.Sprintf("; %d signed checkpoints verified, the newest at seq %d (%s)", r.Checkpoints, r.Latest.Seq, r.Latest.At.UTC().Format(time.RFC3339))
	if r.Unchecked > 0 {
		line += fmt.Sprintf("; %d more only with keys the database records", r.Unchecked)
	}
	return line
}

// VerifyAuditLog is the running server's verification: VerifyAuditLogAnchored
// with pub, this server's own signing key, as the one trusted key, and the
// log's newest signed range must be pub's, since this server signs it. A
// nil pub trusts no key, and then nothing is anchored.
func (db *DB) VerifyAuditLog(ctx context.Context, pub ed25519.PublicKey, extra ...security.Checkpoint) (AuditReport, error) {
	rep, err := db.VerifyAuditLogAnchored(ctx, serverAnchor(pub), extra...)
	if err == nil {
		err = ownsNewestRange(rep, pub)
	}
	return rep, err
}

// serverAnchor is the server's own key as the one trusted key; none when nil.
func serverAnchor(pub ed25519.PublicKey) []AuditAnchor {
	if pub == nil {
		return nil
	}
	return []AuditAnchor{{Key: pub, Source: AuditKeyName}}
}

// ownsNewestRange fails with a *security.ChainError unless the newest
// signed range of the log is pub's (or nothing is signed, or pub is nil).
func ownsNewestRange(rep AuditReport, pub ed25519.PublicKey) error {
	if pub == nil || len(rep.Ranges) == 0 {
		return nil
	}
	if last := rep.Ranges[len(rep.Ranges)-1]; !bytes.Equal(last.Key, pub) {
		return &security.ChainError{Seq: last.To, Reason: "checkpoint signed by a different key"}
	}
	return nil
}

// VerifyAuditLogAnchored recomputes the whole hash chain and holds it
// against every stored checkpoint and against extra checkpoints the caller
// trusts (such as the newest one a running server has seen, which catches
// checkpoints deleted since).
//
// The log is divided into signed ranges (AuditRange): every checkpoint must
// be signed by the key of the range it falls in, and its signature must
// verify. A range whose key is one of anchors is anchored; the others are
// checked only with the key the database records, which proves their
// checkpoints consistent but not genuine (Report.Unchecked): a caller that
// needs the log anchored checks Report.Checkpoints.
//
// The first problem is returned as a *security.ChainError naming its seq:
// an altered or missing entry, a forged checkpoint or one signed by a key
// that is not its range's, or a log that ends before a checkpoint's seq
// (truncation).
func (db *DB) VerifyAuditLogAnchored(ctx context.Context, anchors []AuditAnchor, extra ...security.Checkpoint) (AuditReport, error) {
	rep := AuditReport{At: db.now().UTC()}
	ranges, err := signingRanges(ctx, db.read)
	if err != nil {
		return rep, err
	}
	checked, err := db.rangeCheckpoints(ctx, ranges)
	if err != nil {
		return rep, err
	}
	cps, bad := checked.cps, checked.bad
	for i := range ranges {
		r := &ranges[i]
		for _, a := range anchors {
			if r.Checkpoints > 0 && bytes.Equal(a.Key, r.Key) {
				r.Anchor = a.Source
				break
			}
		}
		if r.Anchor != "" {
			rep.Checkpoints += r.Checkpoints
		} else {
			rep.Unchecked += r.Checkpoints
		}
		if r.Checkpoints > 0 {
			rep.Ranges = append(rep.Ranges, *r)
		}
	}
	for _, c := range extra {
		if c.Seq > 0 {
			cps = append(cps, c)
		}
	}
	for _, c := range cps {
		if c.Seq > rep.Latest.Seq {
			rep.Latest = c
		}
	}
	v := security.NewChainVerifier(cps...)
	rep.Entries, err = db.verifyChain(ctx, v)
	rep.HeadSeq, rep.HeadHash = v.Head()
	return rep, firstChainError(bad, err)
}

// rangeChecked is what rangeCheckpoints found.
type rangeChecked struct {
	cps []security.Checkpoint // the checkpoints that verify with their range's key
	bad error                 // the first that does not, as a *security.ChainError
}

// rangeCheckpoints reads every checkpoint, in seq order, assigns each to
// the range it falls in and checks it with the range's key, counting it
// there when it verifies.
func (db *DB) rangeCheckpoints(ctx context.Context, ranges []AuditRange) (rangeChecked, error) {
	var out rangeChecked
	rows, err := db.read.QueryContext(ctx, "SELECT "+checkpointColumns+" FROM audit_checkpoints ORDER BY seq, id")
	if err != nil {
		return out, fmt.Errorf("store: verify audit: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		c, err := scanCheckpoint(rows)
		if err != nil {
			return out, err
		}
		i := len(ranges) - 1
		for i > 0 && ranges[i].From > c.Seq {
			i--
		}
		r := &ranges[i]
		if r.Key == nil {
			r.Key = c.PublicKey // the first range: the key of its first checkpoint
		}
		switch {
		case !bytes.Equal(c.PublicKey, r.Key):
			out.bad = firstChainError(out.bad, &security.ChainError{Seq: c.Seq, Reason: "checkpoint signed by a different key"})
			continue
		case !security.VerifyCheckpoint(c.PublicKey, c.Checkpoint, c.Signature):
			out.bad = firstChainError(out.bad, &security.ChainError{Seq: c.Seq, Reason: "checkpoint signature does not verify (forged or altered)"})
			continue
		}
		r.Checkpoints++
		r.To = max(r.To, c.Seq)
		out.cps = append(out.cps, c.Checkpoint)
	}
	if err := rows.Err(); err != nil {
		return out, fmt.Errorf("store: verify audit: %w", err)
	}
	return out, nil
}

// firstChainError returns whichever of two errors names the earlier seq,
// preferring a on a tie; a non-chain error wins over both.
func firstChainError(a, b error) error {
	var ca, cb *security.ChainError
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	case !errors.As(a, &ca):
		return a
	case !errors.As(b, &cb):
		return b
	case cb.Seq < ca.Seq:
		return b
	}
	return a
}

// CheckAuditLog returns a check of a database copy (a decrypted backup)
// in the form backup.Check takes: its hash chain must verify and hold
// against its checkpoints, each signed by its range's key
// (VerifyAuditLogAnchored), and when pub is given and its range is in the
// copy, pub's signatures must verify. A backup may be older than the key
// that checks it (one taken before a restore), so pub need not sign any.
func CheckAuditLog(pub ed25519.PublicKey) func(ctx context.Context, snap *sql.DB) error {
	return func(ctx context.Context, snap *sql.DB) error {
		_, err := (&DB{read: snap, now: time.Now}).VerifyAuditLogAnchored(ctx, serverAnchor(pub))
		return err
	}
}

// VerifyAuditFile verifies the audit log of the live database file at
// path, opened read-only, as VerifyAuditLog does with this server's key
// pub: `safedesk doctor`.
func VerifyAuditFile(ctx context.Context, path string, pub ed25519.PublicKey) (AuditReport, error) {
	rep, err := VerifyAuditFileAnchored(ctx, path, serverAnchor(pub))
	if err == nil {
		err = ownsNewestRange(rep, pub)
	}
	return rep, err
}

// VerifyAuditFileAnchored verifies the audit log of the database file at
// path, opened read-only, as VerifyAuditLogAnchored does: `safedesk audit
// verify`, on the live file or a copy. No master key is needed, and
// nothing is written.
func VerifyAuditFileAnchored(ctx context.Context, path string, anchors []AuditAnchor) (AuditReport, error) {
	if _, err := os.Stat(path); err != nil {
		return AuditReport{}, fmt.Errorf("store: verify audit: %w", err)
	}
	v := url.Values{}
	v.Add("_pragma", "busy_timeout(5000)")
	v.Add("_pragma", "query_only(ON)")
	v.Set("mode", "ro")
	conn, err := sql.Open("sqlite", "file:"+path+"?"+v.Encode())
	if err != nil {
		return AuditReport{}, fmt.Errorf("store: verify audit: %w", err)
	}
	defer conn.Close()
	return (&DB{read: conn, now: time.Now}).VerifyAuditLogAnchored(ctx, anchors)
}
