// Package backup makes, lists, checks, restores and prunes encrypted backups
// of the safedesk SQLite database.
//
// A backup is a consistent snapshot of every database page, read in one
// transaction through SQLite's sqlite_dbpage table while the server keeps
// serving, streamed through age encryption to the configured recipients
// and written atomically as DIR/safedesk-YYYYMMDDTHHMMSSZ.db.age (UTC), with a
// JSON manifest beside it (the same name plus ".json"). Any backup can be
// decrypted with the standard age command-line tool:
//
//	age -d -i backup-identity.txt safedesk-20250101T020000Z.db.age > safedesk.db
//
// Keys:
//
//	EnsureIdentity(dataDir) (created bool, err error)      first-use X25519 identity and recipients files
//	LoadRecipients(path) ([]age.Recipient, error)          X25519 recipients, one a line, # comments
//	LoadIdentities(path) ([]age.Identity, error)           an age identity file, for Verify and Restore
//	PassphraseRecipient(p) / PassphraseIdentity(p)         passphrase (scrypt) mode; the only recipient
//
// Backups:
//
//	Create(ctx, db, CreateOptions) (Manifest, error)       snapshot, encrypt, write atomically, optional copy
//	List(dir) ([]Entry, error)                             newest first, with manifests
//	Verify(ctx, file, ids, checks...) (Manifest, error)    decrypt to a temp file; hashes, integrity, checks
//	Restore(ctx, file, ids, dir, force, checks...)         verify, keep a safety copy, replace atomically
//
// Retention:
//
//	ParseKeep("7d,4w,12m") (Policy, error)
//	Select(entries, policy, now) (keep, remove []Entry)    pure; the newest backup is always kept
//	Prune(dir, policy, now) (removed []string, err error)
//
// Project checks (audit chain, wrapped keys) are passed to Verify and Restore
// as Check functions and run against the decrypted copy, opened read-only.
//
// The service of one data folder, for the server and the command line:
//
//	New(ctx, Options, Deps) (*Service, error)            settings from flags (Options.Flags, Validate)
//	Service.Prepare / Schedule(*cron.Cron)                first-start identity; backup and drill jobs
//	Service.Run / Drill / Start / Verify                  one run at a time; recorded, alerted (Mailer)
//	Service.Files / Open / Status / Wait                  for the admin backups page and shutdown
//	VerifyFile / RestoreInto                              the command line's verify and restore
//
// Only one Create or Restore runs at a time in a process; another call
// meanwhile returns ErrBusy. Days, weeks and months are UTC calendar periods.
// Keys are never part of a backup: restoring needs the master.key that was in
// use when the backup was taken. While Create runs, the backups folder holds
// a plaintext snapshot in a .safedesk-tmp-* file (mode 0600, never synced to
// disk on purpose, deleted as soon as it is encrypted): tools that sync that
// folder elsewhere must skip those files.
package backup

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"safedesk/store"
)

// Errors returned by this package; test for them with errors.Is. Their
// messages are one line, fit to show to an operator as they are.
var (
	// ErrBusy is returned when another backup, verify, restore or restore
	// drill is running in this process.
	ErrBusy = errors.New("backup: another backup, verify, restore or restore drill is running")
	// ErrWrongIdentity is returned when none of the identities can decrypt a backup.
	ErrWrongIdentity = errors.New("backup: wrong identity: no identity matches this backup")
	// ErrCorrupt is returned when a backup fails to decrypt or authenticate.
	ErrCorrupt = errors.New("backup: file is corrupt or truncated")
	// ErrMismatch is returned when a backup decrypts but does not match its manifest.
	ErrMismatch = errors.New("backup: file does not match its manifest")
	// ErrCopy is returned, with the manifest of the primary backup, when the
	// backup was written but its copy to CreateOptions.CopyTo failed.
	ErrCopy = errors.New("backup: copy to second folder failed")
	// ErrLiveDatabase is returned by Restore when the target folder holds a database and force is off.
	ErrLiveDatabase = errors.New("backup: target folder holds a live database (" + DBName + "); stop the server and use force to replace it")
	// ErrNoMasterKey is returned by Restore when the target folder has no master.key.
	ErrNoMasterKey = errors.New("backup: " + MasterKeyName + " missing in target folder: keys are never in backups, put the key that was in use when the backup was taken there first")
)

// File names inside a data folder and a backups folder.
const (
	// DBName is the database file name in a data folder.
	DBName = store.DBName
	// MasterKeyName is the master key file name in a data folder.
	MasterKeyName = store.MasterKeyName
	// RecipientsName is the file of age recipients that backups are encrypted to.
	RecipientsName = "backup-recipients.txt"
	// IdentityName is the generated age identity; it belongs off the server.
	IdentityName = "backup-identity.txt"

	filePrefix   = "safedesk-"
	fileSuffix   = ".db.age"
	manifestExt  = ".json"
	stampLayout  = "20060102T150405Z"
	manifestFmt  = 1
	tempPrefix   = ".safedesk-tmp-"
	sha256HexLen = 64
)

// Check is a project check run by Verify and Restore against the decrypted
// copy, opened read-only (for example: the audit chain verifies, the wrapped
// keys open with the master key). Its error is reported wrapped.
type Check func(ctx context.Context, db *sql.DB) error

// Manifest describes one backup. It is written beside the backup as JSON and
// is not encrypted: it holds hashes and sizes, never data.
type Manifest struct {
	// Format is the manifest format version (1).
	Format int `json:"format"`
	// File is the base name of the encrypted backup.
	File string `json:"file"`
	// Created is when the snapshot was taken, in UTC.
	Created time.Time `json:"created"`
	// Size is the size in bytes of the plaintext snapshot.
	Size int64 `json:"size"`
	// SHA256 is the hex SHA-256 of the plaintext snapshot.
	SHA256 string `json:"sha256"`
	// EncryptedSize is the size in bytes of the encrypted file.
	EncryptedSize int64 `json:"encrypted_size"`
	// EncryptedSHA256 is the hex SHA-256 of the encrypted file.
	EncryptedSHA256 string `json:"encrypted_sha256"`
	// SchemaVersion is the database schema version, as supplied by the caller.
	SchemaVersion int `json:"schema_version"`
	// AuditHead is the hash of the last audit entry, as supplied by the caller.
	AuditHead string `json:"audit_head,omitempty"`
}

// Entry is one backup found by List.
type Entry struct {
	// Path is the path of the encrypted file.
	Path string
	// Name is its base name.
	Name string
	// Created is the UTC time in its name.
	Created time.Time
	// Size is the size in bytes of the encrypted file.
	Size int64
	// Manifest is the manifest beside it, or nil when missing or unreadable.
	Manifest *Manifest
}

// running is held by Create and Restore so that only one runs per process.
var running sync.Mutex

// FileName returns the backup file name for a time: safedesk-YYYYMMDDTHHMMSSZ.db.age.
func FileName(t time.Time) string {
	return filePrefix + t.UTC().Format(stampLayout) + fileSuffix
}

// parseFileName returns the time in a backup file name, or false.
func parseFileName(name string) (time.Time, bool) {
	stamp, ok := strings.CutPrefix(name, filePrefix)
	if !ok {
		return time.Time{}, false
	}
	stamp, ok = strings.CutSuffix(stamp, fileSuffix)
	if !ok {
		return time.Time{}, false
	}
	t, err := time.Parse(stampLayout, stamp)
	if err != nil {
		return time.Time{}, false
	}
	return t, true
}

// List returns the backups in dir, newest first, with their manifests.
// Other files (temporary files, manifests, safety copies) are ignored; a
// missing dir is an empty list.
func List(dir string) ([]Entry, error) {
	des, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("backup: list: %w", err)
	}
	var entries []Entry
	for _, de := range des {
		created, ok := parseFileName(de.Name())
		if !ok || !de.Type().IsRegular() {
			continue
		}
		info, err := de.Info()
		if errors.Is(err, os.ErrNotExist) {
			continue // pruned meanwhile
		}
		if err != nil {
			return nil, fmt.Errorf("backup: list: %w", err)
		}
		e := Entry{
			Path:    filepath.Join(dir, de.Name()),
			Name:    de.Name(),
			Created: created,
			Size:    info.Size(),
		}
		if m, err := readManifest(e.Path); err == nil {
			e.Manifest = m
		}
		entries = append(entries, e)
	}
	sortNewestFirst(entries)
	return entries, nil
}

// sortNewestFirst orders entries by creation time, newest first.
func sortNewestFirst(entries []Entry) {
	slices.SortStableFunc(entries, func(a, b Entry) int {
		if c := b.Created.Compare(a.Created); c != 0 {
			return c
		}
		return strings.Compare(b.Name, a.Name)
	})
}

// readManifest reads the manifest beside the backup at file. A missing
// manifest returns an error that wraps os.ErrNotExist.
func readManifest(file string) (*Manifest, error) {
	b, err := os.ReadFile(file + manifestExt)
	if err != nil {
		return nil, err
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("backup: manifest %s: %w", filepath.Base(file)+manifestExt, err)
	}
	if m.Format != manifestFmt || len(m.SHA256) != sha256HexLen || len(m.EncryptedSHA256) != sha256HexLen {
		return nil, fmt.Errorf("backup: manifest %s: unknown format", filepath.Base(file)+manifestExt)
	}
	return &m, nil
}

// detailError prints as msg (or, if empty, as its sentinel) on one line
// and unwraps to both the sentinel and the underlying cause, so errors.Is
// and logs can still reach the detail.
type detailError struct {
	sentinel error
	cause    error
	msg      string
}

// Error is the message, or the sentinel's.
func (e *detailError) Error() string {
	if e.msg != "" {
		return e.msg
	}
	return e.sentinel.Error()
}

// Unwrap gives errors.Is both the sentinel and the cause.
func (e *detailError) Unwrap() []error { return []error{e.sentinel, e.cause} }

// withDetail returns sentinel, printed alone, carrying cause.
func withDetail(sentinel, cause error) error {
	return &detailError{sentinel: sentinel, cause: cause}
}

// withCause returns sentinel carrying cause, printed as
// "sentinel: cause" without repeating the package prefix.
func withCause(sentinel, cause error) error {
	msg := sentinel.Error() + ": " + strings.TrimPrefix(cause.Error(), "backup: ")
	return &detailError{sentinel: sentinel, cause: cause, msg: msg}
}
