package store

import (
	"context"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"safedesk/security"
)

// Kinds of backup run.
const (
	BackupKindBackup = "backup" // a backup was made
	BackupKindVerify = "verify" // a backup was decrypted and checked on request
	BackupKindDrill  = "drill"  // the scheduled restore drill
)

// Sources of a backup run.
const (
	BackupSourceSchedule = "schedule"
	BackupSourceManual   = "manual" // the admin panel
	BackupSourceCLI      = "cli"
)

// backupRunsKept is how long the history of backup runs is kept: a year
// and a little, the longest rung of a usual retention ladder.
const backupRunsKept = 400 * 24 * time.Hour

// maxBackupError caps the stored error of a failed run.
const maxBackupError = 500

// BackupRun is the outcome of one backup, verify or restore drill.
type BackupRun struct {
	ID         int64
	Kind       string
	Source     string
	StartedAt  time.Time
	FinishedAt time.Time
	OK         bool
	File       string // base name of the backup file, if there is one
	Bytes      int64  // size of the encrypted file
	Error      string // one line, when not OK
}

// Validate checks the kind and source.
func (r BackupRun) Validate() error {
	var v ValidationError
	switch r.Kind {
	case BackupKindBackup, BackupKindVerify, BackupKindDrill:
	default:
		v.add("kind", "unknown backup run kind")
	}
	switch r.Source {
	case BackupSourceSchedule, BackupSourceManual, BackupSourceCLI:
	default:
		v.add("source", "unknown backup run source")
	}
	if strings.ContainsAny(r.File, "/\\") {
		v.add("file", "a base name, not a path")
	}
	return v.err()
}

// backupAction is the audit action of a run.
func backupAction(r BackupRun) string {
	switch {
	case r.Kind == BackupKindBackup && r.OK:
		return "backup.created"
	case r.Kind == BackupKindBackup:
		return "backup.failed"
	case r.Kind == BackupKindVerify && r.OK:
		return "backup.verified"
	case r.Kind == BackupKindVerify:
		return "backup.verify_failed"
	case r.OK:
		return "backup.drill_passed"
	}
	return "backup.drill_failed"
}

// RecordBackupRun stores the outcome of a run and its audit entry in one
// transaction, and forgets runs older than about a year.
func (db *DB) RecordBackupRun(ctx context.Context, r BackupRun, a Actor) (BackupRun, error) {
	if err := r.Validate(); err != nil {
		return BackupRun{}, err
	}
	now := db.now()
	if r.StartedAt.IsZero() {
		r.StartedAt = now
	}
	if r.FinishedAt.IsZero() {
		r.FinishedAt = now
	}
	if r.OK {
		r.Error = ""
	}
	r.Error = strings.Join(strings.Fields(r.Error), " ")
	if len(r.Error) > maxBackupError {
		r.Error = r.Error[:maxBackupError]
	}
	err := db.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO backup_runs (kind, source, started_at, finished_at, ok, file, bytes, error)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, r.Kind, r.Source, nanos(r.StartedAt), nanos(r.FinishedAt), r.OK, r.File, r.Bytes, r.Error)
		if err != nil {
			return fmt.Errorf("store: record backup run: %w", err)
		}
		if r.ID, err = res.LastInsertId(); err != nil {
			return fmt.Errorf("store: record backup run: %w", err)
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM backup_runs WHERE started_at < ?", nanos(now.Add(-backupRunsKept))); err != nil {
			return fmt.Errorf("store: record backup run: %w", err)
		}
		details := map[string]any{"source": r.Source}
		if r.Bytes > 0 {
			details["bytes"] = r.Bytes
		}
		if r.Error != "" {
			details["error"] = r.Error
		}
		target := "backup"
		if r.File != "" {
			target = "backup:" + r.File
		}
		return db.appendAudit(ctx, tx, a, backupAction(r), target, details)
	})
	if err != nil {
		return BackupRun{}, err
	}
	return r, nil
}

// LastBackupRun returns the newest run of a kind (only successful ones
// when okOnly is set), or ErrNotFound.
func (db *DB) LastBackupRun(ctx context.Context, kind string, okOnly bool) (BackupRun, error) {
	q := "SELECT " + backupRunCols + " FROM backup_runs WHERE kind = ?"
	if okOnly {
		q += " AND ok = 1"
	}
	r, err := scanBackupRun(db.read.QueryRowContext(ctx, q+" ORDER BY id DESC LIMIT 1", kind))
	if errors.Is(err, sql.ErrNoRows) {
		return BackupRun{}, fmt.Errorf("store: last %s run: %w", kind, ErrNotFound)
	}
	if err != nil {
		return BackupRun{}, fmt.Errorf("store: last %s run: %w", kind, err)
	}
	return r, nil
}

// ListBackupRuns returns the newest runs of every kind, newest first.
func (db *DB) ListBackupRuns(ctx context.Context, limit int) ([]BackupRun, error) {
	if limit <= 0 || limit > 1000 {
		limit = 50
	}
	rows, err := db.read.QueryContext(ctx, "SELECT "+backupRunCols+" FROM backup_runs ORDER BY id DESC LIMIT ?", limit)
	if err != nil {
		return nil, fmt.Errorf("store: list backup runs: %w", err)
	}
	defer rows.Close()
	var out []BackupRun
	for rows.Next() {
		r, err := scanBackupRun(rows)
		if err != nil {
			return nil, fmt.Errorf("store: list backup runs: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

const backupRunCols = "id, kind, source, started_at, finished_at, ok, file, bytes, error"

func scanBackupRun(row interface{ Scan(...any) error }) (BackupRun, error) {
	var r BackupRun
	var started, finished int64
	if err := row.Scan(&r.ID, &r.Kind, &r.Source, &started, &finished, &r.OK, &r.File, &r.Bytes, &r.Error); err != nil {
		return BackupRun{}, err
	}
	r.StartedAt, r.FinishedAt = fromNanos(started), fromNanos(finished)
	return r, nil
}

// AuditHead returns the sequence number and hex hash of the newest audit
// entry, or 0 and "" when the log is empty. Read just before a snapshot,
// it names an entry the backup is sure to hold.
func (db *DB) AuditHead(ctx context.Context) (int64, string, error) {
	var seq int64
	var hash []byte
	err := db.read.QueryRowContext(ctx, "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").Scan(&seq, &hash)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, "", nil
	}
	if err != nil {
		return 0, "", fmt.Errorf("store: audit head: %w", err)
	}
	return seq, hex.EncodeToString(hash), nil
}

// OpenSnapshotSource opens a separate read-only connection to the database
// file for a backup's snapshot, so that a snapshot never holds the one
// writer connection while the server keeps serving. The caller closes it.
func (db *DB) OpenSnapshotSource() (*sql.DB, error) {
	v := url.Values{}
	v.Add("_pragma", "busy_timeout(5000)")
	v.Set("mode", "ro")
	src, err := sql.Open("sqlite", "file:"+db.path+"?"+v.Encode())
	if err != nil {
		return nil, fmt.Errorf("store: snapshot source: %w", err)
	}
	src.SetMaxOpenConns(1)
	return src, nil
}

// The checks below run against a copy of a database opened read-only (a
// decrypted backup, before it is trusted or restored). Their signature is
// backup.Check's; CheckAuditLog (audit_checkpoint.go) is the audit one.

// CheckWrappedKeys returns a check that every wrapped data key of the copy
// opens with one of the master keys (the current one, say, and the one
// before a rotation).
func CheckWrappedKeys(rings ...*security.Keyring) func(ctx context.Context, snap *sql.DB) error {
	return func(ctx context.Context, snap *sql.DB) error {
		keys, err := readWrappedKeys(ctx, snap)
		if err != nil {
			return fmt.Errorf("store: check keys: %w", err)
		}
		var first error
	rings:
		for _, ring := range rings {
			for _, k := range keys {
				if _, err := ring.UnwrapRaw(k.id, k.wrapped); err != nil {
					if first == nil {
						first = fmt.Errorf("store: data key %d does not open with the master key (a backup made before a key rotation needs the key in use then): %w", k.id, err)
					}
					continue rings
				}
			}
			return nil
		}
		if first == nil {
			return errors.New("store: check keys: no master key given")
		}
		return first
	}
}

// CheckSchema checks that the copy's schema is one this binary can open.
func CheckSchema(ctx context.Context, snap *sql.DB) error {
	var v int
	if err := snap.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return fmt.Errorf("store: schema version: %w", err)
	}
	if v < 1 || v > SchemaVersion() {
		return fmt.Errorf("store: schema version %d; this binary opens 1 to %d", v, SchemaVersion())
	}
	return nil
}
