package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
)

// Schema upgrades. Each migration is one numbered SQL file applied in its
// own transaction, which also records its number in PRAGMA user_version.
// Before a database that holds data is migrated, Options.BeforeMigrate
// runs (the server takes a backup there); a database whose schema is newer
// than this binary's is refused before anything is written.

type migration struct {
	version int
	name    string
	sql     string
}

// MigrationFiles are the embedded migrations, as a folder of 000N_name.sql
// files: what Options.Migrations replaces.
func MigrationFiles() fs.FS {
	sub, err := fs.Sub(migrationFS, "migrations")
	if err != nil {
		panic(err) // the embedded folder is there: go:embed checked it
	}
	return sub
}

// readMigrations reads the numbered migrations of fsys in order.
func readMigrations(fsys fs.FS) ([]migration, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("store: migrations: %w", err)
	}
	var out []migration
	for _, e := range entries {
		num, _, ok := strings.Cut(e.Name(), "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || !strings.HasSuffix(e.Name(), ".sql") {
			return nil, fmt.Errorf("store: bad migration name %q", e.Name())
		}
		b, err := fs.ReadFile(fsys, e.Name())
		if err != nil {
			return nil, fmt.Errorf("store: migrations: %w", err)
		}
		out = append(out, migration{version: v, name: e.Name(), sql: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	for i, m := range out {
		if m.version != i+1 {
			return nil, fmt.Errorf("store: migrations must be numbered 1, 2, 3…; found %s", m.name)
		}
	}
	return out, nil
}

// SchemaVersion is the number of the newest embedded migration.
func SchemaVersion() int {
	ms, err := readMigrations(MigrationFiles())
	if err != nil || len(ms) == 0 {
		return 0
	}
	return ms[len(ms)-1].version
}

// ErrNewerSchema is returned by Open for a database written by a newer
// safedesk than this binary: it is never opened, so nothing is changed.
var ErrNewerSchema = errors.New("store: the database was written by a newer safedesk")

// ErrUpgradeNeeded is NoMigration's refusal.
var ErrUpgradeNeeded = errors.New("store: the database needs an upgrade")

// NoMigration is a BeforeMigrate that refuses every migration, for
// commands that must not upgrade the database on their own (doctor, key
// rotation): the server backs up before it migrates.
func NoMigration(_ context.Context, from, to int) error {
	return fmt.Errorf("%w: it has schema %d and this safedesk's is %d; start the server once to upgrade it (it takes a backup first)", ErrUpgradeNeeded, from, to)
}

// migrate applies each pending migration in its own transaction, recording
// its number in PRAGMA user_version inside the same transaction, after
// opts.BeforeMigrate agreed.
func (db *DB) migrate(ctx context.Context, opts Options) error {
	fsys := opts.Migrations
	if fsys == nil {
		fsys = MigrationFiles()
	}
	ms, err := readMigrations(fsys)
	if err != nil {
		return err
	}
	db.schema = len(ms)
	var current int
	if err := db.write.QueryRowContext(ctx, "PRAGMA user_version").Scan(&current); err != nil {
		return fmt.Errorf("store: read schema version: %w", err)
	}
	switch {
	case current > len(ms):
		return fmt.Errorf("%w (schema %d; this binary knows up to %d): run that newer safedesk, or, to go back to this version, restore the backup taken before the upgrade (README, Upgrading)",
			ErrNewerSchema, current, len(ms))
	case current == len(ms):
		return nil
	case current > 0 && opts.BeforeMigrate != nil:
		if err := opts.BeforeMigrate(ctx, current, len(ms)); err != nil {
			return err
		}
	}
	for _, m := range ms[current:] {
		if err := db.apply(ctx, m); err != nil {
			return err
		}
	}
	return nil
}

// apply runs one migration in its own transaction.
func (db *DB) apply(ctx context.Context, m migration) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: migrate: %w", err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return fmt.Errorf("store: migration %s: %w", m.name, err)
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", m.version)); err != nil {
		return fmt.Errorf("store: migration %s: %w", m.name, err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: migration %s: %w", m.name, err)
	}
	return nil
}
