package backup

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"filippo.io/age"

	"safedesk/security"
	"safedesk/store"
)

// safetyInfix names the copy of a database that a restore replaced:
// safedesk.db.pre-restore-YYYYMMDDTHHMMSSZ.
const safetyInfix = ".pre-restore-"

// RestoreResult reports what Restore did.
type RestoreResult struct {
	// Manifest describes the restored backup, as Verify returns it.
	Manifest Manifest
	// SafetyCopy is the path the replaced database was kept at
	// (safedesk.db.pre-restore-YYYYMMDDTHHMMSSZ, with its -wal if it had
	// one), or "" when the folder held no database. The next successful
	// backup of the folder removes it.
	SafetyCopy string
	// DB is the restored database, set once the restore has succeeded.
	DB string
	// Journal is the erasure journal RestoreInto replayed; "" when the
	// folder has none. JournalFrom is the copy beside the backup it was
	// taken from, when the folder had none of its own.
	Journal, JournalFrom string
	// Reerased are the customers RestoreInto erased again because the
	// erasure journal records them as erased after the backup was taken.
	Reerased []store.JournalEntry
	// SigningKey is the public half of the key that signs the audit
	// checkpoints from SigningFrom, the checkpoint that begins the signed
	// range RestoreInto started; SigningKeyMade says the key was made by
	// the restore, since the folder had none.
	SigningKey     ed25519.PublicKey
	SigningFrom    security.Checkpoint
	SigningKeyMade bool
}

// WriteReport writes what a restore of file did, for the command line:
// where the database is, where the one it replaced was kept, and which
// erasures it applied again.
func (r RestoreResult) WriteReport(w io.Writer, file string) error {
	var b strings.Builder
	fmt.Fprintf(&b, "restored %s into %s\n", filepath.Base(file), r.DB)
	if r.SafetyCopy != "" {
		fmt.Fprintf(&b, "the database it replaced is kept as %s; the next successful backup removes it\n", r.SafetyCopy)
	}
	if r.JournalFrom != "" {
		fmt.Fprintf(&b, "erasure journal copied from beside the backup: %s\n", r.JournalFrom)
	}
	switch {
	case r.Journal == "":
		fmt.Fprintf(&b, "no erasure journal (%s) in %s or beside the backup: if the old data folder survives, copy its journal here before starting the server, which then erases again whoever was erased after this backup\n",
			store.ErasureJournalName, filepath.Dir(r.DB))
	case len(r.Reerased) == 0:
		fmt.Fprintf(&b, "erasure journal %s: no customer erased after this backup was left to erase\n", r.Journal)
	default:
		fmt.Fprintf(&b, "erased again %s that %s records as erased after this backup was taken:\n", plural(len(r.Reerased), "customer"), r.Journal)
		for _, e := range r.Reerased {
			fmt.Fprintf(&b, "  customer %d, erased %s\n", e.CustomerID, e.Erased.UTC().Format(time.RFC3339))
		}
	}
	switch {
	case r.SigningFrom.Seq == 0:
	case r.SigningKeyMade:
		fmt.Fprintf(&b, "audit: checkpoints from seq %d on are signed by a new %s (key %s; backups never hold the signing key): keep its public key off the server with the old one:\n  safedesk audit public-key --data %s > audit-public-key-%s.pem\n",
			r.SigningFrom.Seq, store.AuditKeyName, store.KeyID(r.SigningKey), filepath.Dir(r.DB), store.KeyID(r.SigningKey))
	default:
		fmt.Fprintf(&b, "audit: a new signed range of checkpoints begins at seq %d, signed by %s (key %s)\n",
			r.SigningFrom.Seq, store.AuditKeyName, store.KeyID(r.SigningKey))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Restore replaces targetDir/safedesk.db with the backup at file. The server
// must be stopped first.
//
// It refuses a folder without master.key (ErrNoMasterKey) and, unless force
// is set, a folder that holds a database (ErrLiveDatabase). It decrypts the
// backup inside targetDir and verifies it exactly as Verify does, checks
// included, before touching anything. Then it keeps the existing database as
// a safety copy, moves a stale -wal and -journal aside with it and deletes
// the -shm (SQLite would otherwise replay them onto the restored file), and
// renames the restored file into place.
func Restore(ctx context.Context, file string, identities []age.Identity, targetDir string, force bool, checks ...Check) (RestoreResult, error) {
	if !running.TryLock() {
		return RestoreResult{}, ErrBusy
	}
	defer running.Unlock()

	if info, err := os.Stat(targetDir); err != nil {
		return RestoreResult{}, fmt.Errorf("backup: target folder: %w", err)
	} else if !info.IsDir() {
		return RestoreResult{}, fmt.Errorf("backup: target %s is not a folder", targetDir)
	}
	if ok, err := exists(filepath.Join(targetDir, MasterKeyName)); err != nil {
		return RestoreResult{}, err
	} else if !ok {
		return RestoreResult{}, ErrNoMasterKey
	}
	dbPath := filepath.Join(targetDir, DBName)
	live, err := exists(dbPath)
	if err != nil {
		return RestoreResult{}, err
	}
	if live && !force {
		return RestoreResult{}, ErrLiveDatabase
	}

	removeStaleTemps(targetDir)
	t, m, err := decryptTo(ctx, file, identities, targetDir)
	if err != nil {
		return RestoreResult{}, err
	}
	defer t.remove()
	if err := checkDB(ctx, t.Name(), checks); err != nil {
		return RestoreResult{}, err
	}

	res := RestoreResult{Manifest: m}
	safety := dbPath + safetyInfix + time.Now().UTC().Format(stampLayout)
	if live {
		if err := keepCopy(dbPath, safety); err != nil {
			return RestoreResult{}, err
		}
		res.SafetyCopy = safety
	}
	// From here on the old database is safe in the copy; a failure leaves
	// the folder as it was, minus the side files moved aside.
	if err := moveSideFiles(dbPath, safety); err != nil {
		return res, err
	}
	if err := os.Rename(t.Name(), dbPath); err != nil {
		return res, fmt.Errorf("backup: %w", err)
	}
	t.committed = true
	if err := security.SyncDir(targetDir); err != nil {
		return res, err
	}
	res.DB = dbPath
	return res, nil
}

// moveSideFiles moves a stale -wal and -journal of the database at dbPath
// beside its safety copy, and deletes its -shm: SQLite would otherwise
// replay them onto the restored file.
func moveSideFiles(dbPath, safety string) error {
	for _, side := range []string{"-wal", "-journal"} {
		if ok, err := exists(dbPath + side); err != nil {
			return err
		} else if ok {
			if err := noClobberRename(dbPath+side, safety+side); err != nil {
				return err
			}
		}
	}
	if err := os.Remove(dbPath + "-shm"); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("backup: %w", err)
	}
	return nil
}

// keepCopy makes dst a second name for the file at path (a hard link, or a
// synced byte copy where links are not supported). It never replaces dst.
func keepCopy(path, dst string) error {
	err := os.Link(path, dst)
	if err == nil {
		return nil
	}
	if errors.Is(err, os.ErrExist) {
		return fmt.Errorf("backup: %s already exists", dst)
	}
	in, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("backup: safety copy: %w", err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("backup: safety copy: %w", err)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		os.Remove(dst)
		return fmt.Errorf("backup: safety copy: %w", err)
	}
	if err := out.Sync(); err != nil {
		out.Close()
		os.Remove(dst)
		return fmt.Errorf("backup: safety copy: %w", err)
	}
	if err := out.Close(); err != nil {
		os.Remove(dst)
		return fmt.Errorf("backup: safety copy: %w", err)
	}
	return nil
}

// exists reports whether path exists.
func exists(path string) (bool, error) {
	_, err := os.Lstat(path)
	if err == nil {
		return true, nil
	}
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	return false, fmt.Errorf("backup: %w", err)
}

// removeSafetyCopies deletes the databases that restores into dataDir kept
// aside (with their -wal and -journal), and returns what it deleted. The
// backup service calls it once a backup of the restored database exists:
// a safety copy holds customers erased since, and nothing prunes it.
func removeSafetyCopies(dataDir string) ([]string, error) {
	matches, err := filepath.Glob(filepath.Join(dataDir, DBName+safetyInfix+"*"))
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	var removed []string
	var errs []error
	for _, m := range matches {
		if err := os.Remove(m); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, fmt.Errorf("backup: safety copy: %w", err))
			continue
		}
		removed = append(removed, m)
	}
	return removed, errors.Join(errs...)
}

// plural writes n things: "1 customer", "2 customers".
func plural(n int, thing string) string {
	if n == 1 {
		return "1 " + thing
	}
	return fmt.Sprintf("%d %ss", n, thing)
}
