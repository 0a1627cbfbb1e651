package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"

	"safedesk/security"
	"safedesk/store"
)

// lockName is the lock file in a data folder (see lockDataDir).
const lockName = ".safedesk.lock"

const keysUsage = "usage: safedesk keys rotate [--data DIR] [--master-key-file FILE]"

// runKeys runs `safedesk keys rotate`.
func runKeys(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "rotate" {
		return usageError{keysUsage}
	}
	cfg := defaultConfig()
	fs := flag.NewFlagSet("keys rotate", flag.ContinueOnError)
	dataFlag(fs, &cfg.Data)
	fs.StringVar(&cfg.MasterKeyFile, "master-key-file", cfg.MasterKeyFile, "master key file (default DATA/master.key)")
	if err := parseFlags(fs, args[1:], stderr); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{keysUsage}
	}
	if _, err := os.Stat(filepath.Join(cfg.Data, "safedesk.db")); err != nil {
		return fmt.Errorf("no database in %s (pass --data)", cfg.Data)
	}
	// A running server keeps the old key in memory and would wrap new
	// customer keys with it after the rotation: refuse to run beside one.
	release, err := lockDataDir(cfg.Data, false)
	if err != nil {
		return err
	}
	defer release()
	keyFile := masterKeyPath(cfg.Data, cfg.MasterKeyFile)
	db, err := openStore(ctx, cfg.Data, keyFile, false, nil)
	if err != nil {
		return err
	}
	defer db.Close()
	n, ring, err := rotateMasterKey(ctx, db, keyFile)
	if err != nil {
		return err
	}
	fp := ring.Fingerprint()
	fmt.Fprintf(stdout, "re-wrapped %d data keys under a new master key (fingerprint %x)\n", n, fp[:])
	fmt.Fprintf(stdout, "new key: %s\n", keyFile)
	fmt.Fprintf(stdout, "previous key: %s, kept until the next successful backup\n", keyFile+".prev")
	fmt.Fprintln(stdout, "Backups made before now restore only with the previous key: store a copy of it with them, off this server.")
	return nil
}

// Crash points of a rotation, in order; testHookRotate can stop a rotation
// at each to simulate a crash there.
const (
	rotateNextWritten = "next-written" // master.key.next is on disk
	rotateCommitted   = "committed"    // the database holds keys wrapped by the new key
	rotatePrevWritten = "prev-written" // master.key.prev holds the old key
)

var testHookRotate func(step string) error

func rotateCrash(step string) error {
	if testHookRotate != nil {
		return testHookRotate(step)
	}
	return nil
}

// rotateMasterKey replaces the master key at keyFile. The order of the
// file writes and the commit makes every crash point recoverable:
//
//  1. write the new key to master.key.next (atomically, synced);
//  2. re-wrap every data key in one transaction;
//  3. write the old key to master.key.prev;
//  4. rename master.key.next over master.key.
//
// Before 2 commits, master.key still opens the database, and the next
// start deletes the unused master.key.next; after, master.key.next opens
// it, and the next start finishes 3 and 4 (finishKeyRotation). No moment
// exists at which the key that opens the database is not on disk.
func rotateMasterKey(ctx context.Context, db *store.DB, keyFile string) (int, *security.Keyring, error) {
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
	if err := security.WriteKeyFile(next, key); err != nil {
		os.Remove(next)
		return 0, nil, err
	}
	if err := rotateCrash(rotateNextWritten); err != nil {
		return 0, nil, err
	}
	n, err := db.RotateMasterKey(ctx, ring, cmdActor)
	if err != nil {
		// Whether the commit happened decides what master.key.next is.
		if ferr := finishKeyRotation(ctx, db.Path(), keyFile, nil); ferr != nil {
			err = errors.Join(err, ferr)
		}
		return 0, nil, fmt.Errorf("key rotation failed, the current master key stays in use: %w", err)
	}
	if err := rotateCrash(rotateCommitted); err != nil {
		return 0, nil, err
	}
	if err := completeRotation(keyFile, old); err != nil {
		return 0, nil, err
	}
	return n, ring, nil
}

// completeRotation is steps 3 and 4 of a rotation, after the commit.
func completeRotation(keyFile string, old []byte) error {
	if err := security.WriteKeyFile(keyFile+".prev", old); err != nil {
		return fmt.Errorf("key rotation: %w (run any safedesk command to finish it)", err)
	}
	if err := rotateCrash(rotatePrevWritten); err != nil {
		return err
	}
	if err := os.Rename(keyFile+".next", keyFile); err != nil {
		return fmt.Errorf("key rotation: %w (run any safedesk command to finish it)", err)
	}
	return syncDir(filepath.Dir(keyFile))
}

// finishKeyRotation settles a rotation that a crash interrupted, before
// the store is opened. It does nothing without master.key.next. When
// master.key still opens the data keys, the rotation never committed and
// master.key.next is deleted; when master.key.next opens them, the
// rotation committed and is finished. Anything else is left untouched.
func finishKeyRotation(ctx context.Context, dbPath, keyFile string, log *slog.Logger) error {
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
	i, err := store.MasterKeyInUse(ctx, dbPath, candidates...)
	if err != nil {
		return fmt.Errorf("key rotation: %s is left from an interrupted rotation, and: %w", next, err)
	}
	if i == 0 {
		if err := os.Remove(next); err != nil {
			return fmt.Errorf("key rotation: %w", err)
		}
		log.Warn("removed the new master key of a rotation that did not commit; the current key stays in use", "file", next)
		return syncDir(filepath.Dir(keyFile))
	}
	old, err := os.ReadFile(keyFile)
	if err != nil {
		return fmt.Errorf("key rotation: %w", err)
	}
	if err := completeRotation(keyFile, old); err != nil {
		return err
	}
	log.Warn("finished an interrupted master key rotation; the previous key is kept until the next successful backup", "key", keyFile, "previous", keyFile+".prev")
	return nil
}

// syncDir flushes a folder's entries (a rename) to stable storage.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}
