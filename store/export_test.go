package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Writer is the store's one writer connection pool, for the store's tests
// that look beneath it (raw bytes, triggers, pragmas of that very
// connection). Tests of other packages use storetest.Raw.
func (db *DB) Writer() *sql.DB { return db.write }

// WALPages runs fn with automatic checkpoints off on w, a one-connection
// pool, and returns how many pages fn wrote to the write-ahead log: what a
// write really costs, whatever the clock says.
func WALPages(ctx context.Context, w *sql.DB, fn func() error) (int, error) {
	var auto, busy, frames, done int
	if err := w.QueryRowContext(ctx, "PRAGMA wal_autocheckpoint").Scan(&auto); err != nil {
		return 0, fmt.Errorf("wal pages: %w", err)
	}
	if err := w.QueryRowContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)").Scan(&busy, &frames, &done); err != nil || busy != 0 {
		return 0, fmt.Errorf("wal pages: empty the log: busy %d, %v", busy, err)
	}
	if _, err := w.ExecContext(ctx, "PRAGMA wal_autocheckpoint = 0"); err != nil {
		return 0, fmt.Errorf("wal pages: %w", err)
	}
	runErr := fn()
	err := w.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &frames, &done)
	if _, resetErr := w.ExecContext(ctx, fmt.Sprintf("PRAGMA wal_autocheckpoint = %d", auto)); resetErr != nil {
		err = errors.Join(err, resetErr)
	}
	if err = errors.Join(runErr, err); err != nil {
		return 0, fmt.Errorf("wal pages: %w", err)
	}
	return frames, nil
}

// WALPages is WALPages on the store's writer connection.
func (db *DB) WALPages(ctx context.Context, fn func() error) (int, error) {
	return WALPages(ctx, db.write, fn)
}

// ReaderDSN is the connection string of a reader of the database at path.
func ReaderDSN(path string) string { return dsn(path, true) }

// CheckpointWAL is (*DB).CheckpointWAL for the database at path, on a
// connection of pool (a floor's, in benchmarks).
func CheckpointWAL(ctx context.Context, pool *sql.DB, path string) (WALCheckpoint, error) {
	return checkpointWAL(ctx, pool, path)
}
