package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"

	"safedesk/security"
)

// Crash points of RotateMasterKeyFile, in order; a test can stop a
// rotation at each to simulate a crash there.
const (
	rotateNextWritten = "next-written" // master.key.next is on disk
	rotateCommitted   = "committed"    // the database holds keys wrapped by the new key
	rotatePrevWritten = "prev-written" // master.key.prev holds the old key
)

// crashFunc stops a rotation at a crash point when it returns an error;
// nil never stops.
type crashFunc func(step string) error

func (c crashFunc) at(step string) error {
	if c == nil {
		return nil
	}
	return c(step)
}

// RotateMasterKeyFile replaces the master key at keyFile, which opened db,
// with a new random one, and returns how many data keys were re-wrapped
// and the new keyring. The order of the file writes and the commit makes
// every crash point recoverable:
//
//  1. write the new key to master.key.next (atomically, synced);
//  2. re-wrap every data key in one transaction (RotateMasterKey);
//  3. write the old key to master.key.prev;
//  4. rename master.key.next over master.key.
//
// Before 2 commits, master.key still opens the database, and the next
// OpenDir deletes the unused master.key.next; after, master.key.next opens
// it, and the next OpenDir finishes 3 and 4 (FinishKeyRotation). No moment
// exists at which the key that opens the database is not on disk. The
// previous key stays until a backup no longer needs it, and a second
// rotation is refused meanwhile.
func (db *DB) RotateMasterKeyFile(ctx context.Context, keyFile string, a Actor) (int, *security.Keyring, error) {
	return db.rotateMasterKeyFile(ctx, keyFile, a, nil)
}

func (db *DB) rotateMasterKeyFile(ctx context.Context, keyFile string, a Actor, crash crashFunc) (int, *security.Keyring, error) {
	next, prev := keyFile+".next", keyFile+".prev"
	if _, err := os.Lstat(prev); err == nil {
		return 0, nil, fmt.Errorf("%s from the last rotation is still here: make a backup first (safedesk backup create), so that no backup needs more than one old key", prev)
	}
	old, err := os.ReadFile(keyFile)
	if err != nil {
		return 0, nil, fmt.Errorf("master key: %w", err)
	}
	key := security.NewDataKey()
	ring, err := security.NewKeyring(key)
	if err != nil {
		return 0, nil, err
	}
	if err := security.WriteFileAtomic(next, key, 0o600); err != nil {
		return 0, nil, errors.Join(err, removeIfPresent(next))
	}
	if err := crash.at(rotateNextWritten); err != nil {
		return 0, nil, err
	}
	n, err := db.RotateMasterKey(ctx, ring, a)
	if err != nil {
		// Whether the commit happened decides what master.key.next is.
		if ferr := FinishKeyRotation(ctx, db.Path(), keyFile, nil); ferr != nil {
			err = errors.Join(err, ferr)
		}
		return 0, nil, fmt.Errorf("key rotation failed, the current master key stays in use: %w", err)
	}
	if err := crash.at(rotateCommitted); err != nil {
		return 0, nil, err
	}
	if err := completeRotation(keyFile, old, crash); err != nil {
		return 0, nil, err
	}
	return n, ring, nil
}

// removeIfPresent deletes path; a missing file is no error.
func removeIfPresent(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// completeRotation is steps 3 and 4 of a rotation, after the commit.
func completeRotation(keyFile string, old []byte, crash crashFunc) error {
	if err := security.WriteFileAtomic(keyFile+".prev", old, 0o600); err != nil {
		return fmt.Errorf("key rotation: %w (run any safedesk command to finish it)", err)
	}
	if err := crash.at(rotatePrevWritten); err != nil {
		return err
	}
	if err := os.Rename(keyFile+".next", keyFile); err != nil {
		return fmt.Errorf("key rotation: %w (run any safedesk command to finish it)", err)
	}
	return security.SyncDir(filepath.Dir(keyFile))
}

// FinishKeyRotation settles a rotation that a crash interrupted, before
// the database at dbPath is opened; OpenDir calls it. It does nothing
// without keyFile.next. When keyFile still opens the data keys, the
// rotation never committed and keyFile.next is deleted; when keyFile.next
// opens them, the rotation committed and is finished. Anything else is
// left untouched. What it did is logged on log (nil discards).
func FinishKeyRotation(ctx context.Context, dbPath, keyFile string, log *slog.Logger) error {
	next := keyFile + ".next"
	if _, err := os.Lstat(next); errors.Is(err, fs.ErrNotExist) {
		return nil
	} else if err != nil {
		return fmt.Errorf("key rotation: %w", err)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if _, err := os.Stat(dbPath); err != nil {
		return fmt.Errorf("key rotation: %s is left from an interrupted rotation, but there is no database at %s to check it against", next, dbPath)
	}
	cur, _, err := security.LoadMasterKey(keyFile, false)
	if err != nil {
		return err
	}
	candidates := []*security.Keyring{cur}
	if nr, _, err := security.LoadMasterKey(next, false); err == nil {
		candidates = append(candidates, nr)
	}
	i, err := MasterKeyInUse(ctx, dbPath, candidates...)
	if err != nil {
		return fmt.Errorf("key rotation: %s is left from an interrupted rotation, and: %w", next, err)
	}
	if i == 0 {
		if err := os.Remove(next); err != nil {
			return fmt.Errorf("key rotation: %w", err)
		}
		log.Warn("removed the new master key of a rotation that did not commit; the current key stays in use", "file", next)
		return security.SyncDir(filepath.Dir(keyFile))
	}
	old, err := os.ReadFile(keyFile)
	if err != nil {
		return fmt.Errorf("key rotation: %w", err)
	}
	if err := completeRotation(keyFile, old, nil); err != nil {
		return err
	}
	log.Warn("finished an interrupted master key rotation; the previous key is kept until the next successful backup", "key", keyFile, "previous", keyFile+".prev")
	return nil
}

// KeyRotation is what RotateDirKey did.
type KeyRotation struct {
	Keys        int     // data keys re-wrapped
	Fingerprint [8]byte // of the new master key
	File        string  // the master key file; the old key is File+".prev"
}

// RotateDirKey rotates the master key of the data folder dir (keyFile, or
// dir/master.key) as `safedesk keys rotate` does: it refuses a folder
// without a database, and one a server has open, since a running server
// keeps the old key in memory and would wrap new customer keys with it
// after the rotation.
func RotateDirKey(ctx context.Context, dir, keyFile string, a Actor) (KeyRotation, error) {
	if _, err := os.Stat(filepath.Join(dir, DBName)); err != nil {
		return KeyRotation{}, fmt.Errorf("no database in %s (pass --data)", dir)
	}
	release, err := LockDir(dir, false)
	if err != nil {
		return KeyRotation{}, err
	}
	defer release()
	db, err := OpenDir(ctx, dir, keyFile, false, nil)
	if err != nil {
		return KeyRotation{}, err
	}
	r := KeyRotation{File: MasterKeyPath(dir, keyFile)}
	n, ring, err := db.RotateMasterKeyFile(ctx, r.File, a)
	if err == nil {
		r.Keys, r.Fingerprint = n, ring.Fingerprint()
	}
	return r, errors.Join(err, db.Close())
}
