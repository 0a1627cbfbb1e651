package store

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"safedesk/security"
)

// AuditKeyPath is where the checkpoint signing key of the data folder dir
// lives: beside its master key (keyFile, or dir/master.key when empty).
func AuditKeyPath(dir, keyFile string) string {
	return filepath.Join(filepath.Dir(MasterKeyPath(dir, keyFile)), AuditKeyName)
}

// AuditSigningKey loads the checkpoint signing key of the data folder dir,
// creating it (mode 0600) on first use; a key file that group or others
// may read is refused with an error wrapping security.ErrKeyPermissions.
// The server signs its checkpoints with it, and backups sign one before
// each snapshot.
func AuditSigningKey(dir, keyFile string) (ed25519.PrivateKey, error) {
	key, err := security.LoadOrCreateSigningKey(AuditKeyPath(dir, keyFile))
	if err != nil {
		return nil, fmt.Errorf("audit signing key: %w", err)
	}
	return key, nil
}

// AuditPublicKey is the key that checks the audit checkpoints of the data
// folder dir: read from pubFile (PEM "PUBLIC KEY", as `safedesk audit
// public-key` prints it) when set, else derived from the signing key
// beside the master key; nil when neither exists.
func AuditPublicKey(dir, keyFile, pubFile string) (ed25519.PublicKey, error) {
	if pubFile != "" {
		return security.LoadPublicKey(pubFile)
	}
	path := AuditKeyPath(dir, keyFile)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	key, err := AuditSigningKey(dir, keyFile)
	if err != nil {
		return nil, err
	}
	return key.Public().(ed25519.PublicKey), nil
}

// AuditAnchors are the keys `safedesk audit verify` trusts: the public keys
// in files, kept off the server, each named by its file; or, when there
// are none, the signing key beside the master key of dir, if one exists.
func AuditAnchors(dir, keyFile string, files []string) ([]AuditAnchor, error) {
	var anchors []AuditAnchor
	for _, f := range files {
		pub, err := security.LoadPublicKey(f)
		if err != nil {
			return nil, err
		}
		anchors = append(anchors, AuditAnchor{Key: pub, Source: "--public-key " + f})
	}
	if len(files) > 0 {
		return anchors, nil
	}
	pub, err := AuditPublicKey(dir, keyFile, "")
	if err != nil || pub == nil {
		return nil, err
	}
	return []AuditAnchor{{Key: pub, Source: AuditKeyPath(dir, keyFile) + " (on this server)"}}, nil
}

// WriteAuditPublicKey writes the public half of the data folder's signing
// key as PEM: to keep off the server and give to `audit verify
// --public-key`. Unlike AuditSigningKey it never creates the key.
func WriteAuditPublicKey(dir, keyFile string, w io.Writer) error {
	path := AuditKeyPath(dir, keyFile)
	if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("no audit signing key at %s (safedesk serve creates it)", path)
	}
	key, err := AuditSigningKey(dir, keyFile)
	if err != nil {
		return err
	}
	return security.EncodePublicKey(w, key.Public().(ed25519.PublicKey))
}

// The audit entry that begins a signed range: from it on, checkpoints are
// signed by the key it names (StartSigningRange).
const (
	actionSigningKeyStarted = "audit.signing_key_started"
	targetSigningKey        = "audit:signing-key"
)

// AuditAnchor is a public key trusted to check audit checkpoints, and
// where it came from, as the verification names it: a --public-key file
// kept off the server anchors the log; the signing key on the server
// merely checks it.
type AuditAnchor struct {
	Key    ed25519.PublicKey
	Source string
}

// AuditRange is a stretch of the audit log whose checkpoints one signing
// key made. The first begins at seq 1 with the key of the first checkpoint;
// every later one at an audit.signing_key_started entry, written when a
// restore (or another reason) handed signing to a new key.
type AuditRange struct {
	Key         ed25519.PublicKey
	From        int64  // the first seq the range covers
	To          int64  // the seq of its newest checkpoint; 0 when it has none
	Checkpoints int    // checkpoints in the range, all of them verified
	Reason      string // why the range began: "" for the first, else "restore", …
	// Anchor is the Source of the trusted key that matches Key; "" when
	// the range was checked only with the key recorded in the database,
	// which an intruder able to rewrite the database could have replaced.
	Anchor string
}

// KeyID is a short, stable name of the range's key: the first 8 bytes of
// its SHA-256, in hex.
func (r AuditRange) KeyID() string { return KeyID(r.Key) }

// String describes the range on one line, for `safedesk audit verify`.
func (r AuditRange) String() string {
	noun := "signed checkpoints"
	if r.Checkpoints == 1 {
		noun = "signed checkpoint"
	}
	line := fmt.Sprintf("seq %d–%d: key %s, %d %s", r.From, r.To, r.KeyID(), r.Checkpoints, noun)
	if r.Reason != "" {
		line += ", begun by a " + r.Reason
	}
	if r.Anchor != "" {
		return line + ", verified with " + r.Anchor
	}
	return line + ", verified only with the key recorded in the database: NOT ANCHORED (pass its public key with --public-key)"
}

// KeyID is a short, stable name of an audit public key: the first 8 bytes
// of its SHA-256, in hex.
func KeyID(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:8])
}

// StartSigningRange hands the signing of audit checkpoints to key from the
// head of the log on. In one transaction it checks that the newest
// checkpoint's signature verifies with the key it records and that the
// entries since still chain on from it, appends an audit.signing_key_started
// entry naming key's public half and reason, and signs a checkpoint of that
// entry with key. A restore calls it: the checkpoints in the backup were
// signed by the server's earlier key, which backups never hold. A break is
// a *security.ChainError and changes nothing.
func (db *DB) StartSigningRange(ctx context.Context, key ed25519.PrivateKey, reason string, a Actor) (security.Checkpoint, error) {
	if len(key) != ed25519.PrivateKeySize {
		return security.Checkpoint{}, errors.New("store: signing range: no signing key")
	}
	pub := key.Public().(ed25519.PublicKey)
	var out security.Checkpoint
	err := db.tx(ctx, func(tx *sql.Tx) error {
		last, err := latestCheckpoint(ctx, tx)
		if err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		details := map[string]any{"public_key": hex.EncodeToString(pub), "reason": reason}
		if err == nil {
			if !security.VerifyCheckpoint(last.PublicKey, last.Checkpoint, last.Signature) {
				return &security.ChainError{Seq: last.Seq, Reason: "the newest checkpoint's signature does not verify with the key it records"}
			}
			details["previous_key"] = hex.EncodeToString(last.PublicKey)
		}
		if _, _, err := verifyTail(ctx, tx, last.Checkpoint); err != nil {
			return err
		}
		if err := db.appendAudit(ctx, tx, a, actionSigningKeyStarted, targetSigningKey, details); err != nil {
			return err
		}
		if err := tx.StmtContext(ctx, db.stmts.auditHead).QueryRowContext(ctx).Scan(&out.Seq, &out.Hash); err != nil {
			return fmt.Errorf("store: signing range: %w", err)
		}
		out.At = db.now().UTC()
		return insertCheckpoint(ctx, tx, out, CheckpointManual, key)
	})
	return out, err
}

// signingRanges returns the ranges of the log as its audit.signing_key_started
// entries divide it, in order, without their checkpoints yet: the first
// range begins at seq 1 and takes the key of its first checkpoint.
func signingRanges(ctx context.Context, q querier) ([]AuditRange, error) {
	rows, err := q.QueryContext(ctx, "SELECT seq, details FROM audit_log WHERE target = ? AND action = ? ORDER BY seq",
		targetSigningKey, actionSigningKeyStarted)
	if err != nil {
		return nil, fmt.Errorf("store: signing ranges: %w", err)
	}
	defer rows.Close()
	ranges := []AuditRange{{From: 1}}
	for rows.Next() {
		var seq int64
		var raw []byte
		if err := rows.Scan(&seq, &raw); err != nil {
			return nil, fmt.Errorf("store: signing ranges: %w", err)
		}
		var d struct {
			PublicKey string `json:"public_key"`
			Reason    string `json:"reason"`
		}
		var key []byte
		err := json.Unmarshal(raw, &d)
		if err == nil {
			key, err = hex.DecodeString(d.PublicKey)
		}
		if err != nil || len(key) != ed25519.PublicKeySize {
			return nil, &security.ChainError{Seq: seq, Reason: "the signing key handover names no valid key"}
		}
		ranges = append(ranges, AuditRange{Key: key, From: seq, Reason: d.Reason})
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: signing ranges: %w", err)
	}
	return ranges, nil
}
