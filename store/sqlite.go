// Package store is safedesk's SQLite storage and domain: customers, tickets,
// messages, knowledge-base articles, verification codes, sessions, keys and the
// audit log. Every personal field is sealed with the owner's data key before it
// reaches SQLite and opened again on read; callers see plaintext domain types.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"safedesk/security"

	_ "modernc.org/sqlite" // registers the "sqlite" driver (pure Go, no cgo)
)

// Errors returned by store methods. A missing row is always ErrNotFound,
// never a nil result.
var (
	ErrNotFound    = errors.New("store: not found")
	ErrConflict    = errors.New("store: conflict")
	ErrRateLimited = errors.New("store: too many requests")
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// DB is the database: one writer connection, so writes never fight over the
// lock, and a pool of read-only connections that WAL lets run beside it.
type DB struct {
	path  string
	write *sql.DB
	read  *sql.DB
	ring  *security.Keyring
	now   func() time.Time

	bidx       *security.BlindIndex
	pseudonyms *security.BlindIndex // client pseudonyms of the audit log
	systemKey  *security.DataKey
	sessionKey *security.DataKey

	mu   sync.RWMutex                            // guards ring during a rotation
	keys *security.LRU[int64, *security.DataKey] // unwrapped data keys by id (see dataKeyCache)

	terms termCounts // for SearchArticles

	cal atomic.Pointer[calendarBox] // the business hours of due times (store/due.go)

	siteLang atomic.Pointer[string] // the site's language once read (KBLanguage); this process is the only writer

	stmts statements

	schema int // the newest migration this DB was opened with
}

// Options tunes Open. The zero value is fine.
type Options struct {
	// Now is the clock; time.Now when nil.
	Now func() time.Time
	// ReadConns caps the reader pool; 4 when zero. Each connection may
	// cache 2 MB of pages (see dsn).
	ReadConns int
	// BeforeMigrate, when set, is called before the first pending
	// migration of a database that already has a schema (from > 0) is
	// applied, with the schema versions before and after. Its error stops
	// Open before anything has changed. serve wires it to a backup of the
	// database as it is (backup.BeforeMigrate); NoMigration refuses.
	BeforeMigrate func(ctx context.Context, from, to int) error
	// Migrations replaces the embedded migrations (MigrationFiles): a
	// folder of numbered 000N_name.sql files. Tests add one with it.
	Migrations fs.FS
}

// Open opens (creating if needed) the database at path, applies pending
// migrations, and loads the system keys with ring.
func Open(ctx context.Context, path string, ring *security.Keyring, opts Options) (*DB, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.ReadConns <= 0 {
		opts.ReadConns = 4
	}
	write, err := sql.Open("sqlite", dsn(path, false))
	if err != nil {
		return nil, fmt.Errorf("store: open: %w", err)
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	write.SetConnMaxIdleTime(0)
	db := &DB{path: path, write: write, ring: ring, now: opts.Now, keys: security.NewLRU[int64, *security.DataKey](dataKeyCache)}
	if err := db.migrate(ctx, opts); err != nil {
		write.Close()
		return nil, err
	}
	read, err := sql.Open("sqlite", dsn(path, true))
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("store: open: %w", err)
	}
	read.SetMaxOpenConns(opts.ReadConns)
	read.SetMaxIdleConns(opts.ReadConns)
	read.SetConnMaxIdleTime(0)
	db.read = read
	// Prepared before anything else writes: appendAudit uses them.
	if err := db.prepare(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if ring != nil {
		if err := db.loadSystemKeys(ctx); err != nil {
			db.Close()
			return nil, err
		}
	}
	return db, nil
}

// OpenDir opens the database of the data folder dir with its master key
// (keyFile, or dir/master.key when empty), first settling a key rotation
// that a crash interrupted (FinishKeyRotation). With create, a missing
// folder, database and master key are made, and a new key is announced on
// log (nil discards); without, a folder with no database is an error.
func OpenDir(ctx context.Context, dir, keyFile string, create bool, log *slog.Logger) (*DB, error) {
	return OpenDirWith(ctx, dir, keyFile, create, log, Options{})
}

// OpenDirWith is OpenDir with opts for Open, such as BeforeMigrate.
func OpenDirWith(ctx context.Context, dir, keyFile string, create bool, log *slog.Logger, opts Options) (*DB, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := ensureDir(dir, create); err != nil {
		return nil, err
	}
	dbPath := filepath.Join(dir, DBName)
	if _, err := os.Stat(dbPath); err != nil && !create {
		return nil, fmt.Errorf("no database in %s (run safedesk serve once, or pass --data)", dir)
	}
	keyFile = MasterKeyPath(dir, keyFile)
	if err := FinishKeyRotation(ctx, dbPath, keyFile, log); err != nil {
		return nil, err
	}
	ring, created, err := security.LoadMasterKey(keyFile, create)
	if err != nil {
		return nil, err
	}
	if created {
		log.Warn("created a new master key: keep a copy somewhere safe, off this server; without it the data cannot be read", "file", keyFile)
	}
	return Open(ctx, dbPath, ring, opts)
}

// DSN is the connection string of a writer connection to the database at
// path, with the store's settings (busy timeout, WAL, synchronous, foreign
// keys). Tests and benchmarks open a second pool with it to look beneath
// the store, or to time a bare write under the same settings
// (storetest.Raw).
func DSN(path string) string { return dsn(path, false) }

// busyTimeout is how long a connection waits for a lock before failing.
const busyTimeout = 5 * time.Second

// dsn builds the connection string: busy_timeout first so that every later
// pragma already waits for a lock instead of failing.
//
// Memory is bounded per connection, whatever the size of the database: a
// page cache of 2 MB (cache_size, in KiB when negative), so at most 10 MB
// for the writer and the 4 readers of the default pool, and no memory-mapped
// I/O (mapped pages would count in the process's resident memory). The
// writer checkpoints the WAL itself only past walAutoCheckpoint pages, and
// the file is cut back to walSizeLimit once a checkpoint has caught up:
// checkpoints run in the background (see CheckpointWAL).
func dsn(path string, readOnly bool) string {
	v := url.Values{}
	v.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", busyTimeout.Milliseconds()))
	v.Add("_pragma", "journal_mode(WAL)")
	v.Add("_pragma", "synchronous(NORMAL)")
	v.Add("_pragma", "foreign_keys(ON)")
	v.Add("_pragma", "temp_store(MEMORY)")
	v.Add("_pragma", "secure_delete(ON)")
	v.Add("_pragma", "cache_size(-2000)")
	v.Add("_pragma", "mmap_size(0)")
	v.Add("_pragma", fmt.Sprintf("wal_autocheckpoint(%d)", walAutoCheckpoint))
	v.Add("_pragma", fmt.Sprintf("journal_size_limit(%d)", walSizeLimit))
	if readOnly {
		v.Add("_pragma", "query_only(ON)")
	} else {
		v.Set("_txlock", "immediate")
	}
	return "file:" + path + "?" + v.Encode()
}

// Close closes both pools, checkpointing the WAL into the main file.
func (db *DB) Close() error {
	db.stmts.close()
	var errs []error
	if db.read != nil {
		errs = append(errs, db.read.Close())
	}
	if db.write != nil {
		db.write.ExecContext(context.Background(), "PRAGMA wal_checkpoint(TRUNCATE)")
		errs = append(errs, db.write.Close())
	}
	return errors.Join(errs...)
}

// Path is the database file's path.
func (db *DB) Path() string { return db.path }

// Now is the store's clock.
func (db *DB) Now() time.Time { return db.now() }

// Ping checks that the database answers and is writable, for /readyz.
func (db *DB) Ping(ctx context.Context) error {
	var v int
	if err := db.write.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	if v != db.schema {
		return fmt.Errorf("store: schema version %d, want %d", v, db.schema)
	}
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	return tx.Rollback()
}

// tx runs fn in a write transaction, committing when fn returns nil.
func (db *DB) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: begin: %w", err)
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: commit: %w", err)
	}
	return nil
}

// nanos stores times as Unix nanoseconds, UTC.
func nanos(t time.Time) int64 { return t.UTC().UnixNano() }

func fromNanos(n int64) time.Time { return time.Unix(0, n).UTC() }

func fromNullNanos(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return fromNanos(n.Int64)
}
