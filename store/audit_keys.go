package store

import (
	"crypto/ed25519"
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
