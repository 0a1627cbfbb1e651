package store

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"
)

// Checkpoints, which copy the pages of the write-ahead log into the
// database file and wait for the disk (fsync), run in the background:
// inside a request they cost more than the write itself (a 20 MiB upload
// ran at a quarter of its speed). The server calls CheckpointWAL every
// second; the writer checkpoints on its own only past walAutoCheckpoint
// pages, a backstop for processes that run no such job (the command line)
// and for writes faster than the job. The log stays bounded: what a
// second brings, and at rest at most walSizeLimit, the size that
// journal_size_limit cuts the file back to once a checkpoint has caught up
// and CheckpointWAL truncates it to when it lies idle beyond that. Only a
// reader that holds an old snapshot (a backup) lets it grow further, until
// that reader ends: no checkpoint can copy pages that a reader may still
// need.
const (
	// walAutoCheckpoint is the writer's backstop, in pages (64 MiB).
	walAutoCheckpoint = 16384
	// walSizeLimit is the most the log file keeps at rest (64 MiB).
	walSizeLimit = 64 << 20
	// truncateWait is how long the truncation waits for the writer and
	// for readers before trying again on the next round: it holds the
	// writer lock while it waits, so writes wait as long.
	truncateWait = 50 * time.Millisecond
)

// WALCheckpoint is what one CheckpointWAL round did.
type WALCheckpoint struct {
	// Frames is the length of the log in pages when the round started,
	// Copied how many of them are now in the database file: fewer when a
	// reader still needs the older pages.
	Frames, Copied int
	// Truncated: the log file was past walSizeLimit and is now empty.
	Truncated bool
}

// CheckpointWAL copies the write-ahead log into the database file without
// waiting for anyone (a PASSIVE checkpoint, on a reader connection, so
// that the writer goes on meanwhile), and empties the file when everything
// was copied but the file stays larger than walSizeLimit. main runs it
// every second.
func (db *DB) CheckpointWAL(ctx context.Context) (WALCheckpoint, error) {
	return checkpointWAL(ctx, db.read, db.path)
}

// checkpointWAL is CheckpointWAL with a connection of pool, for the
// database at path.
func checkpointWAL(ctx context.Context, pool *sql.DB, path string) (WALCheckpoint, error) {
	conn, err := pool.Conn(ctx)
	if err != nil {
		return WALCheckpoint{}, fmt.Errorf("store: checkpoint: %w", err)
	}
	defer conn.Close()
	var c WALCheckpoint
	busy, err := checkpoint(ctx, conn, "PASSIVE", &c.Frames, &c.Copied)
	if err != nil || busy || c.Copied < c.Frames {
		return c, err
	}
	size, err := walSize(path)
	if err != nil || size <= walSizeLimit {
		return c, err
	}
	c.Truncated, err = truncateWAL(ctx, conn)
	return c, err
}

// truncateWAL empties the log with a TRUNCATE checkpoint that waits at
// most truncateWait (see there), and reports whether it did.
func truncateWAL(ctx context.Context, conn *sql.Conn) (bool, error) {
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA busy_timeout = %d", truncateWait.Milliseconds())); err != nil {
		return false, fmt.Errorf("store: checkpoint: %w", err)
	}
	var frames, copied int
	busy, err := checkpoint(ctx, conn, "TRUNCATE", &frames, &copied)
	if _, rerr := conn.ExecContext(context.WithoutCancel(ctx), fmt.Sprintf("PRAGMA busy_timeout = %d", busyTimeout.Milliseconds())); rerr != nil {
		// A reader left with the short timeout would fail where it should
		// wait: take it out of the pool.
		err = errors.Join(err, fmt.Errorf("store: checkpoint: %w", rerr), conn.Raw(func(any) error { return driver.ErrBadConn }))
	}
	return err == nil && !busy, err
}

// checkpoint runs a checkpoint of mode on conn and reports whether it was
// kept from finishing (busy), with the log's length and the pages copied.
func checkpoint(ctx context.Context, conn *sql.Conn, mode string, frames, copied *int) (bool, error) {
	var busy int
	if err := conn.QueryRowContext(ctx, "PRAGMA wal_checkpoint("+mode+")").Scan(&busy, frames, copied); err != nil {
		return false, fmt.Errorf("store: checkpoint: %w", err)
	}
	return busy != 0, nil
}

// walSize is the size of the database's log file; 0 when there is none.
func walSize(dbPath string) (int64, error) {
	fi, err := os.Stat(dbPath + "-wal")
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("store: checkpoint: %w", err)
	}
	return fi.Size(), nil
}
