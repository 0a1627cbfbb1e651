package backup

import (
	"bytes"
	"database/sql"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"safedesk/security"
	"safedesk/store"
	"safedesk/store/storetest"
)

// upgradeSQL is the migration that exists only in these tests.
const upgradeSQL = "CREATE TABLE upgrade_probe (id INTEGER PRIMARY KEY);"

// schemaOf reads the schema version of the database file at path, and
// whether the test migration's table is there, beneath the store.
func schemaOf(t *testing.T, path string) (version int, probe bool) {
	t.Helper()
	raw, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	var n int
	if err := raw.QueryRow("PRAGMA user_version").Scan(&version); err != nil {
		t.Fatal(err)
	}
	if err := raw.QueryRow("SELECT count(*) FROM sqlite_schema WHERE name = 'upgrade_probe'").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return version, n == 1
}

// openUpgraded opens the data folder with the test migration pending and
// the hook the server wires, logging to logs.
func openUpgraded(t *testing.T, dir string, o Options, logs *bytes.Buffer) (*store.DB, error) {
	t.Helper()
	log := slog.New(slog.NewTextHandler(logs, nil))
	return store.OpenDirWith(t.Context(), dir, "", false, log, store.Options{
		Migrations: storetest.NextMigration(t, upgradeSQL), BeforeMigrate: BeforeMigrate(o, dir, "", log)})
}

// TestBackupBeforeMigration: a new binary with a migration to apply first
// writes a backup of the database as it was, which restores to the old
// schema with its data (the way back, a downgrade); without a backup there
// is no migration.
func TestBackupBeforeMigration(t *testing.T) {
	old := store.SchemaVersion()

	t.Run("no backup, no migration", func(t *testing.T) {
		dir, _ := dataFolder(t)
		if err := os.Remove(filepath.Join(dir, RecipientsName)); err != nil {
			t.Fatal(err)
		}
		var logs bytes.Buffer
		db, err := openUpgraded(t, dir, DefaultOptions(), &logs)
		if err == nil {
			db.Close()
			t.Fatal("the database was opened and migrated without a backup")
		}
		storetest.OneLine(t, err, "not upgraded from schema")
		if v, probe := schemaOf(t, filepath.Join(dir, DBName)); v != old || probe {
			t.Errorf("after the refusal: schema %d (probe table %v), want %d untouched", v, probe, old)
		}
		if entries, err := List(filepath.Join(dir, "backups")); err != nil || len(entries) != 0 {
			t.Errorf("backups: %v, %v", entries, err)
		}
	})

	for _, tt := range []struct {
		name string
		opts func(dir string) Options
	}{
		{"recipients only: the file reads back as written", func(string) Options { return DefaultOptions() }},
		{"with the identity: decrypted and checked", func(dir string) Options {
			o := DefaultOptions()
			o.Identity = filepath.Join(dir, IdentityName)
			return o
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir, _ := dataFolder(t)
			copyTo := t.TempDir()
			o := tt.opts(dir)
			o.CopyTo = copyTo
			var logs bytes.Buffer
			db, err := openUpgraded(t, dir, o, &logs)
			if err != nil {
				t.Fatal(err)
			}
			if err := db.Ping(t.Context()); err != nil {
				t.Errorf("the upgraded database is not ready: %v", err)
			}
			db.Close()
			if v, probe := schemaOf(t, filepath.Join(dir, DBName)); v != old+1 || !probe {
				t.Fatalf("after the upgrade: schema %d (probe table %v), want %d with it", v, probe, old+1)
			}
			entries, err := List(filepath.Join(dir, "backups"))
			if err != nil || len(entries) != 1 || entries[0].Manifest == nil || entries[0].Manifest.SchemaVersion != old {
				t.Fatalf("backups: %+v, %v; want one of schema %d", entries, err, old)
			}
			if !strings.Contains(logs.String(), "backed up before its upgrade") || !strings.Contains(logs.String(), entries[0].Name) {
				t.Errorf("the log does not name the backup:\n%s", logs.String())
			}
			if copies, _ := List(copyTo); len(copies) != 1 {
				t.Errorf("copy folder holds %d backups, want 1", len(copies))
			}
			assertDowngrade(t, dir, entries[0].Path)

			db, err = openUpgraded(t, dir, o, &logs)
			if err != nil {
				t.Fatal(err)
			}
			db.Close()
			if again, _ := List(filepath.Join(dir, "backups")); len(again) != 1 {
				t.Errorf("an open with nothing to migrate made another backup: %d", len(again))
			}
		})
	}

	t.Run("a database from a newer safedesk is refused untouched", func(t *testing.T) {
		dir, _ := dataFolder(t)
		var logs bytes.Buffer
		db, err := openUpgraded(t, dir, DefaultOptions(), &logs)
		if err != nil {
			t.Fatal(err)
		}
		db.Close()
		before, err := os.ReadFile(filepath.Join(dir, DBName))
		if err != nil {
			t.Fatal(err)
		}
		_, err = store.OpenDir(t.Context(), dir, "", false, nil) // this binary: no test migration
		if !errors.Is(err, store.ErrNewerSchema) {
			t.Fatalf("got %v, want store.ErrNewerSchema", err)
		}
		storetest.OneLine(t, err, "restore the backup taken before the upgrade")
		if after, _ := os.ReadFile(filepath.Join(dir, DBName)); !bytes.Equal(before, after) {
			t.Error("the refused open changed the database file")
		}
	})
}

// assertDowngrade restores the pre-upgrade backup file of the data folder
// dir into a new folder, as a person going back to the previous version
// would: the old schema, without the upgrade, with every ticket.
func assertDowngrade(t *testing.T, dir, file string) {
	t.Helper()
	target := t.TempDir()
	copyMasterKey(t, dir, target)
	if _, err := RestoreInto(t.Context(), file, Decrypt{Identity: filepath.Join(dir, IdentityName)}, target, "", false); err != nil {
		t.Fatal(err)
	}
	if v, probe := schemaOf(t, filepath.Join(target, DBName)); v != store.SchemaVersion() || probe {
		t.Errorf("restored: schema %d (probe table %v), want %d without it", v, probe, store.SchemaVersion())
	}
	ts, err := storetest.Open(t, target).ListTickets(t.Context(), store.TicketFilter{AllCustomers: true})
	if err != nil || len(ts) != 3 {
		t.Errorf("restored tickets: %d, %v; want 3", len(ts), err)
	}
}

// copyMasterKey puts the master key of the data folder from into the
// folder to, as a person restoring on another machine does first.
func copyMasterKey(t *testing.T, from, to string) {
	t.Helper()
	key, err := os.ReadFile(filepath.Join(from, MasterKeyName))
	if err != nil {
		t.Fatal(err)
	}
	if err := security.WriteFileAtomic(filepath.Join(to, MasterKeyName), key, 0o600); err != nil {
		t.Fatal(err)
	}
}
