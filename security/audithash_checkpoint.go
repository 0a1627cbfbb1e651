package security

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"time"
)

// checkpointDomain separates checkpoint signatures from every other Ed25519 use.
const checkpointDomain = "safedesk-audit-checkpoint-v1"

// Checkpoint states that the audit record with Seq had hash Hash at time At.
//
// A signed checkpoint makes truncation detectable. Deleting records from the
// end of a hash chain leaves a chain that still verifies, so the verifier
// also takes the newest checkpoint it trusts and checks that the log reaches
// its Seq and that the record at that Seq has its Hash (NewChainVerifier
// and ChainVerifier.Finish do this). That only helps against someone who can
// also delete or rewrite checkpoints if a copy of a recent checkpoint lives
// beyond their reach (the server log, an auditor's notes, a backup) and the
// signing key does too; the signature lets that copy be checked by anyone
// holding the public key.
type Checkpoint struct {
	Seq  int64
	Hash []byte
	At   time.Time
}

// checkpointMessage is the byte string that is signed:
//
//	field("safedesk-audit-checkpoint-v1") u64(Seq) u64(At as Unix nanoseconds) field(Hash)
//
// with u64 and field as in HashAuditRecord.
func checkpointMessage(cp Checkpoint) []byte {
	b := make([]byte, 0, 8*4+len(checkpointDomain)+len(cp.Hash))
	b = appendAuditField(b, checkpointDomain)
	b = binary.BigEndian.AppendUint64(b, uint64(cp.Seq))
	b = binary.BigEndian.AppendUint64(b, uint64(cp.At.UnixNano()))
	return appendAuditField(b, cp.Hash)
}

// SignCheckpoint returns the Ed25519 signature (pure Ed25519, RFC 8032) of
// the canonical encoding of cp: field("safedesk-audit-checkpoint-v1"),
// u64(Seq), u64(At as Unix nanoseconds), field(Hash), with u64 and field as
// documented on HashAuditRecord. Like ed25519.Sign it panics if key is not
// ed25519.PrivateKeySize bytes long.
func SignCheckpoint(key ed25519.PrivateKey, cp Checkpoint) []byte {
	return ed25519.Sign(key, checkpointMessage(cp))
}

// VerifyCheckpoint reports whether sig is a valid signature of cp by pub.
// A key of the wrong size is reported as false rather than a panic.
func VerifyCheckpoint(pub ed25519.PublicKey, cp Checkpoint, sig []byte) bool {
	if len(pub) != ed25519.PublicKeySize {
		return false
	}
	return ed25519.Verify(pub, checkpointMessage(cp), sig)
}

// GenerateSigningKey returns a new random Ed25519 key for signing checkpoints.
func GenerateSigningKey() (ed25519.PrivateKey, error) {
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("security: generate signing key: %w", err)
	}
	return key, nil
}

// LoadOrCreateSigningKey reads the Ed25519 checkpoint signing key at path,
// or creates it with mode 0600 if no file exists there. The file is a PEM
// "PRIVATE KEY" block (PKCS #8), so `openssl pkey -in FILE -pubout` prints
// the public key an outside verifier needs. Like the master key, a file
// that group or others may read or write is refused with an error wrapping
// ErrKeyPermissions.
func LoadOrCreateSigningKey(path string) (ed25519.PrivateKey, error) {
	key, err := loadSigningKey(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return key, err
	}
	key, err = GenerateSigningKey()
	if err != nil {
		return nil, err
	}
	if err := writeSigningKey(path, key); err != nil {
		if errors.Is(err, fs.ErrExist) {
			// Another process created it first; use theirs.
			return loadSigningKey(path)
		}
		return nil, err
	}
	return key, nil
}

// LoadPublicKey reads an Ed25519 public key from a PEM "PUBLIC KEY" file,
// as EncodePublicKey (or `openssl pkey -pubout`) writes it. Its errors
// name the file, for the command line to show as they are.
func LoadPublicKey(path string) (ed25519.PublicKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "PUBLIC KEY" {
		return nil, fmt.Errorf("%s: no PEM PUBLIC KEY block", path)
	}
	k, err := x509.ParsePKIXPublicKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	pub, ok := k.(ed25519.PublicKey)
	if !ok {
		return nil, fmt.Errorf("%s: not an Ed25519 key", path)
	}
	return pub, nil
}

// EncodePublicKey writes pub as a PEM "PUBLIC KEY" block (PKIX), for an
// outside verifier of checkpoints.
func EncodePublicKey(w io.Writer, pub ed25519.PublicKey) error {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return fmt.Errorf("security: encode public key: %w", err)
	}
	return pem.Encode(w, &pem.Block{Type: "PUBLIC KEY", Bytes: der})
}

// loadSigningKey reads and checks the key file at path. A missing file is
// returned as an error that wraps fs.ErrNotExist.
func loadSigningKey(path string) (ed25519.PrivateKey, error) {
	fi, err := os.Stat(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, err
		}
		return nil, fmt.Errorf("security: signing key: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("security: signing key %s is not a regular file", path)
	}
	if err := checkKeyFileMode(path, fi.Mode()); err != nil {
		return nil, err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("security: signing key: %w", err)
	}
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, fmt.Errorf("security: signing key %s: no PEM PRIVATE KEY block", path)
	}
	parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("security: signing key %s: %w", path, err)
	}
	key, ok := parsed.(ed25519.PrivateKey)
	if !ok {
		return nil, fmt.Errorf("security: signing key %s is %T, not Ed25519", path, parsed)
	}
	return key, nil
}

// checkKeyFileMode refuses a key file that group or others can read or
// write, with the same error the master key gets.
func checkKeyFileMode(path string, mode fs.FileMode) error {
	if runtime.GOOS == "windows" {
		return nil // permission bits mean nothing there
	}
	if !PrivateFile(path, mode.Perm()) {
		return fmt.Errorf("%w: %s has mode %04o; run: chmod 600 %s", ErrKeyPermissions, path, mode.Perm(), path)
	}
	return nil
}

// writeSigningKey writes key to path without ever replacing an existing
// file: the temporary file is hard-linked into place, which fails with
// fs.ErrExist if path appeared meanwhile. A crash leaves either no key file
// or a complete one.
func writeSigningKey(path string, key ed25519.PrivateKey) error {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("security: encode signing key: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("security: signing key: %w", err)
	}
	return writeAtomic(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600, os.Link)
}
