package backup

import (
	"context"
	"crypto/ed25519"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"filippo.io/age"

	"safedesk/security"
	"safedesk/store"
)

// Decrypt is how a backup is decrypted away from the server, and the key
// that checks its signed audit checkpoints: the flags of `safedesk backup
// verify` and `safedesk backup restore`.
type Decrypt struct {
	Identity       string // age identity file (backup-identity.txt)
	PassphraseFile string // for backups made in passphrase mode
	AuditPublicKey string // PEM public key; "" derives it from the signing key beside the master key
}

// Flags adds the flags of verify and restore.
func (d *Decrypt) Flags(fs *flag.FlagSet) {
	fs.StringVar(&d.Identity, "identity", "", "age identity file that decrypts the backup (backup-identity.txt)")
	fs.StringVar(&d.PassphraseFile, "passphrase-file", "", "file holding the passphrase, for backups made in passphrase mode")
	fs.StringVar(&d.AuditPublicKey, "audit-public-key", "", "public key (from safedesk audit public-key) that checks the backup's signed audit checkpoints (default: derived from the signing key beside the master key)")
}

// Validate checks that exactly one way to decrypt is given; its errors
// name the flags, on one line.
func (d Decrypt) Validate() error {
	switch {
	case d.Identity != "" && d.PassphraseFile != "":
		return errors.New("give --identity or --passphrase-file, not both")
	case d.Identity == "" && d.PassphraseFile == "":
		return errors.New("--identity FILE is required: the age identity that decrypts backups (backup-identity.txt)")
	}
	return nil
}

// identities loads what Validate accepted.
func (d Decrypt) identities() ([]age.Identity, error) {
	if d.Identity != "" {
		return LoadIdentities(d.Identity)
	}
	p, err := readPassphrase(d.PassphraseFile)
	if err != nil {
		return nil, err
	}
	return passphraseIdentities(p)
}

// VerifyReport is the outcome of VerifyFile.
type VerifyReport struct {
	Manifest
	// Checkpoints says whether the signed audit checkpoints were checked:
	// false when no public key was known.
	Checkpoints bool
}

// VerifyFile decrypts the backup at file with d and runs every check a
// restore runs, its data keys opened with the master key of the data folder
// dir (keyFile, or dir/master.key, and the one kept from before a
// rotation). When dir holds a database, the outcome is recorded there so
// that the admin page shows it; that is best effort, since a verify often
// runs away from the server.
func VerifyFile(ctx context.Context, file string, d Decrypt, dir, keyFile string) (VerifyReport, error) {
	ids, err := d.identities()
	if err != nil {
		return VerifyReport{}, err
	}
	keyFile = store.MasterKeyPath(dir, keyFile)
	rings, err := store.MasterKeys(keyFile)
	if err != nil {
		return VerifyReport{}, fmt.Errorf("%w (verify opens the backup's data keys with it; pass --data or --master-key-file)", err)
	}
	pub, err := store.AuditPublicKey(dir, keyFile, d.AuditPublicKey)
	if err != nil {
		return VerifyReport{}, err
	}
	started := time.Now()
	m, err := Verify(ctx, file, ids, checks(rings, pub)...)
	run := store.BackupRun{Kind: store.BackupKindVerify, Source: store.BackupSourceCLI, StartedAt: started,
		FinishedAt: time.Now(), OK: err == nil, File: filepath.Base(file), Bytes: m.EncryptedSize}
	if err != nil {
		run.Error = err.Error()
	}
	// Best effort, as documented: the verify's own outcome is what counts.
	_ = recordOffline(ctx, dir, keyFile, run)
	return VerifyReport{Manifest: m, Checkpoints: pub != nil}, err
}

// recordOffline records a command-line run in the database of dir, if it
// has one.
func recordOffline(ctx context.Context, dir, keyFile string, run store.BackupRun) error {
	if _, err := os.Stat(filepath.Join(dir, DBName)); err != nil {
		return nil // no database here: nothing to record in
	}
	db, err := store.OpenDir(ctx, dir, keyFile, false, nil)
	if err != nil {
		return err
	}
	_, err = db.RecordBackupRun(ctx, run, store.CLIActor)
	return errors.Join(err, db.Close())
}

// RestoreInto restores the backup at file, decrypted with d, into the data
// folder dir, which must exist and hold the master.key that was in use when
// the backup was taken. It takes the data-folder lock, so it never runs
// beside a server, verifies the backup as VerifyFile does before touching
// anything, keeps a database it replaces (force) as a safety copy, then
// opens the restored database as the server will (running newer
// migrations), erases again every customer that the data folder's erasure
// journal (or, in a folder without one, the copy beside the backup)
// records as erased after the backup was taken (RestoreResult.Reerased),
// and records the restore in its audit log. keyFile is the
// --master-key-file setting, which locates the audit signing key. The
// result's DB is set once the database is in place, even when recording
// the restore then fails.
func RestoreInto(ctx context.Context, file string, d Decrypt, dir, keyFile string, force bool) (RestoreResult, error) {
	ids, err := d.identities()
	if err != nil {
		return RestoreResult{}, err
	}
	if info, err := os.Stat(dir); err != nil || !info.IsDir() {
		return RestoreResult{}, fmt.Errorf("target folder %s does not exist: create it (mkdir -m 700) and put the master key in it", dir)
	}
	release, err := store.LockDir(dir, false)
	if err != nil {
		return RestoreResult{}, err
	}
	defer release()
	masterKey := filepath.Join(dir, MasterKeyName)
	if _, err := os.Stat(masterKey); errors.Is(err, os.ErrNotExist) {
		return RestoreResult{}, ErrNoMasterKey
	}
	rings, err := store.MasterKeys(masterKey)
	if err != nil {
		return RestoreResult{}, err
	}
	pub, err := store.AuditPublicKey(dir, keyFile, d.AuditPublicKey)
	if err != nil {
		return RestoreResult{}, err
	}
	res, err := Restore(ctx, file, ids, dir, force, checks(rings, pub)...)
	if err != nil {
		return RestoreResult{}, err
	}
	if res.JournalFrom, err = adoptJournal(file, dir); err != nil {
		return res, err
	}
	err = recordRestore(ctx, file, &res, rings, store.AuditKeyPath(dir, keyFile))
	return res, err
}

// adoptJournal copies the erasure journal kept beside the backup at file
// into the data folder dir when dir has none, as on a new server, and
// returns where it came from ("" when it copied nothing).
func adoptJournal(file, dir string) (string, error) {
	dst := filepath.Join(dir, store.ErasureJournalName)
	if _, err := os.Stat(dst); !errors.Is(err, os.ErrNotExist) {
		return "", nil // the folder's own journal: it knows best
	}
	src := filepath.Join(filepath.Dir(file), store.ErasureJournalName)
	b, err := os.ReadFile(src)
	if errors.Is(err, os.ErrNotExist) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("restored, but the erasure journal beside the backup: %w", err)
	}
	if err := security.WriteFileAtomic(dst, b, 0o600); err != nil {
		return "", fmt.Errorf("restored, but the erasure journal beside the backup: %w", err)
	}
	return src, nil
}

// recordRestore opens the restored database as the server will, erases
// again the customers the erasure journal says were erased after the
// backup was taken, records the restore in its audit log, and begins a
// new signed range of audit checkpoints with the signing key at keyPath
// (made there when missing: backups never hold it).
func recordRestore(ctx context.Context, file string, res *RestoreResult, rings []*security.Keyring, keyPath string) error {
	i, err := store.MasterKeyInUse(ctx, res.DB, rings...)
	if err != nil {
		return err
	}
	if i > 0 {
		return fmt.Errorf("restored, but its data keys open with master.key.prev, not master.key: in %s, first keep master.key elsewhere, then rename master.key.prev to master.key", filepath.Dir(res.DB))
	}
	db, err := store.Open(ctx, res.DB, rings[i], store.Options{})
	if err != nil {
		return fmt.Errorf("restored, but the database does not open: %w", err)
	}
	if _, err := os.Stat(db.ErasureJournal()); err == nil {
		res.Journal = db.ErasureJournal()
	}
	res.Reerased, err = db.ReplayErasures(ctx, store.CLIActor)
	if err != nil {
		return errors.Join(fmt.Errorf("restored, but the erasure journal was not replayed (safedesk serve replays it at start): %w", err), db.Close())
	}
	err = db.RecordAudit(ctx, store.CLIActor, "backup.restored", "backup:"+filepath.Base(file),
		map[string]any{"schema": res.Manifest.SchemaVersion, "safety_copy": filepath.Base(res.SafetyCopy), "reerased": len(res.Reerased)})
	if err == nil {
		err = startSigningRange(ctx, db, res, keyPath)
	}
	return errors.Join(err, db.Close())
}

// startSigningRange begins the restored log's new signed range with the
// signing key at keyPath, which it makes when missing.
func startSigningRange(ctx context.Context, db *store.DB, res *RestoreResult, keyPath string) error {
	_, err := os.Stat(keyPath)
	res.SigningKeyMade = errors.Is(err, os.ErrNotExist)
	key, err := security.LoadOrCreateSigningKey(keyPath)
	if err != nil {
		return fmt.Errorf("restored, but the audit signing key: %w", err)
	}
	res.SigningKey = key.Public().(ed25519.PublicKey)
	res.SigningFrom, err = db.StartSigningRange(ctx, key, "restore", store.CLIActor)
	if err != nil {
		return fmt.Errorf("restored, but no new signed range of the audit log began: %w", err)
	}
	return nil
}
