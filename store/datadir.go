package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"safedesk/security"
)

// Files of a data folder (see OpenDir).
const (
	// DBName is the database file.
	DBName = "safedesk.db"
	// MasterKeyName is the master key file, unless --master-key-file puts it elsewhere.
	MasterKeyName = "master.key"
	// AuditKeyName is the audit checkpoint signing key, beside the master key.
	AuditKeyName = "audit-signing.key"
	// LockName is the lock file that LockDir takes.
	LockName = ".safedesk.lock"
)

// CLIActor is the command line in the audit log: shell access to the
// server is the root of trust.
var CLIActor = Actor{Type: ActorSystem, ID: "cli"}

// ensureDir makes the data folder dir (mode 0700) when create is set.
func ensureDir(dir string, create bool) error {
	if !create {
		return nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("data folder: %w", err)
	}
	return nil
}

// MasterKeyPath is where the master key of the data folder dir lives:
// keyFile when set, else dir/master.key.
func MasterKeyPath(dir, keyFile string) string {
	if keyFile != "" {
		return keyFile
	}
	return filepath.Join(dir, MasterKeyName)
}

// MasterKeys loads the master key at keyFile and, when present, the one
// kept from before the last rotation (keyFile.prev): what opens the data
// keys of a backup taken on either side of a rotation.
func MasterKeys(keyFile string) ([]*security.Keyring, error) {
	ring, _, err := security.LoadMasterKey(keyFile, false)
	if err != nil {
		return nil, err
	}
	rings := []*security.Keyring{ring}
	prev, _, err := security.LoadMasterKey(keyFile+".prev", false)
	switch {
	case err == nil:
		rings = append(rings, prev)
	case !errors.Is(err, fs.ErrNotExist):
		return nil, err
	}
	return rings, nil
}
