package backup

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"filippo.io/age"

	"safedesk/security"
	"safedesk/store"
)

// readPassphrase reads a passphrase file, refusing one that others can read.
func readPassphrase(path string) (string, error) {
	info, err := os.Stat(path)
	if err != nil {
		return "", fmt.Errorf("backup passphrase: %w", err)
	}
	if !security.PrivateFile(path, info.Mode().Perm()) {
		return "", fmt.Errorf("backup passphrase: %s has mode %04o; run: chmod 600 %s", path, info.Mode().Perm(), path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("backup passphrase: %w", err)
	}
	p := strings.TrimRight(string(b), "\r\n")
	if len(p) < MinPassphraseLen {
		return "", fmt.Errorf("backup passphrase: %s holds fewer than %d characters", path, MinPassphraseLen)
	}
	return p, nil
}

// recipients are who backups are encrypted to, read at every backup so
// that recipients added to the file take effect without a restart.
func (s *Service) recipients() ([]age.Recipient, error) {
	if s.pass != "" {
		r, err := PassphraseRecipient(s.pass)
		if err != nil {
			return nil, err
		}
		if s.scryptWF > 0 {
			r.SetWorkFactor(s.scryptWF)
		}
		return []age.Recipient{r}, nil
	}
	return folderRecipients(s.dataDir)
}

// folderRecipients are the recipients in the data folder's recipients file.
func folderRecipients(dataDir string) ([]age.Recipient, error) {
	path := filepath.Join(dataDir, RecipientsName)
	recs, err := LoadRecipients(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("backup: no recipients file %s: safedesk serve creates it on first start; or write age1… recipients in it, one a line", path)
	}
	return recs, err
}

// identities decrypt backups, for verify and the drill.
func (s *Service) identities() ([]age.Identity, error) {
	if s.pass != "" {
		return passphraseIdentities(s.pass)
	}
	if s.opts.Identity == "" {
		return nil, ErrNoIdentity
	}
	return LoadIdentities(s.opts.Identity)
}

func passphraseIdentities(pass string) ([]age.Identity, error) {
	id, err := PassphraseIdentity(pass)
	if err != nil {
		return nil, err
	}
	return []age.Identity{id}, nil
}

// checks are what verify, restore and the drill run on a decrypted copy:
// the schema is one this binary opens, the audit chain verifies and holds
// against its signed checkpoints (when the public key is known), and every
// data key opens with the master key (or the one before a rotation).
func checks(rings []*security.Keyring, auditPub ed25519.PublicKey) []Check {
	return []Check{store.CheckSchema, store.CheckAuditLog(auditPub), store.CheckWrappedKeys(rings...)}
}
