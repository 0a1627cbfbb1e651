package backup

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"filippo.io/age"

	"safedesk/store"
)

// BeforeMigrate is the hook that store.Options.BeforeMigrate takes, for the
// database of the data folder dataDir with the backup settings o: before a
// new binary migrates it from schema from to schema to, it writes a backup
// of the database as it is, like any other (to dataDir/backups and the
// copy folder, encrypted to the recipients the server has), and checks it:
// the database passed SQLite's integrity check before the snapshot, and
// the file on disk is what was written; when the server can decrypt its
// backups (o.Identity or a passphrase) it is decrypted and checked whole.
// Any failure refuses the migration, so the database stays as it was.
// keyFile is the master key ("" is dataDir/master.key), whose data keys
// the full check opens. The backup is the way back to the previous version
// (a downgrade): restore it with that version. log (nil discards) names
// the backup.
func BeforeMigrate(o Options, dataDir, keyFile string, log *slog.Logger) func(ctx context.Context, from, to int) error {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return func(ctx context.Context, from, to int) error {
		path, err := upgradeBackup(ctx, o, dataDir, keyFile, from)
		if err != nil {
			return fmt.Errorf("backup: the database was not upgraded from schema %d to %d, since no backup of it could be made first: %w", from, to, err)
		}
		log.Warn("database backed up before its upgrade; to go back to the previous safedesk, restore this backup with it",
			"file", path, "from_schema", from, "to_schema", to)
		return nil
	}
}

// upgradeBackup writes and checks the backup that BeforeMigrate takes, and
// returns its path.
func upgradeBackup(ctx context.Context, o Options, dataDir, keyFile string, schema int) (string, error) {
	recs, ids, err := upgradeKeys(o, dataDir)
	if err != nil {
		return "", err
	}
	copyTo := ""
	if o.CopyTo != "" {
		if copyTo, err = filepath.Abs(o.CopyTo); err != nil {
			return "", fmt.Errorf("--backup-copy-to: %w", err)
		}
	}
	src, err := store.SnapshotSource(filepath.Join(dataDir, DBName))
	if err != nil {
		return "", err
	}
	defer src.Close()
	if err := checkOpen(ctx, src, nil); err != nil {
		return "", err
	}
	dir := filepath.Join(dataDir, "backups")
	m, err := Create(ctx, src, CreateOptions{Dir: dir, Recipients: recs, CopyTo: copyTo, SchemaVersion: schema})
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, m.File)
	if ids == nil {
		return path, checkWritten(path, m.EncryptedSHA256)
	}
	rings, err := store.MasterKeys(store.MasterKeyPath(dataDir, keyFile))
	if err != nil {
		return "", err
	}
	_, err = Verify(ctx, path, ids, store.CheckWrappedKeys(rings...))
	return path, err
}

// upgradeKeys are the recipients of the backup and, when the server can
// decrypt its backups, the identities that check it (else nil).
func upgradeKeys(o Options, dataDir string) ([]age.Recipient, []age.Identity, error) {
	if o.PassphraseFile != "" {
		pass, err := readPassphrase(o.PassphraseFile)
		if err != nil {
			return nil, nil, err
		}
		r, err := PassphraseRecipient(pass)
		if err != nil {
			return nil, nil, err
		}
		ids, err := passphraseIdentities(pass)
		return []age.Recipient{r}, ids, err
	}
	recs, err := folderRecipients(dataDir)
	if err != nil || o.Identity == "" {
		return recs, nil, err
	}
	ids, err := LoadIdentities(o.Identity)
	return recs, ids, err
}

// checkWritten reads the file at path back and compares its SHA-256 with
// want (hex), the hash of what was written.
func checkWritten(path, want string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return fmt.Errorf("backup: read back %s: %w", filepath.Base(path), err)
	}
	if hex.EncodeToString(h.Sum(nil)) != want {
		return fmt.Errorf("backup: %s does not read back as written", filepath.Base(path))
	}
	return nil
}
