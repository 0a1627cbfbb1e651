package backup

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"

	"safedesk/security"
	"safedesk/store"
	"safedesk/store/storetest"
)

// backupOf makes a backup of the data folder with a service and returns
// its path.
func backupOf(t *testing.T, dir string) string {
	t.Helper()
	db, err := store.OpenDir(t.Context(), dir, "", false, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	svc, err := New(t.Context(), DefaultOptions(), Deps{DB: db, DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	m, err := svc.Run(t.Context(), store.BackupSourceCLI, store.CLIActor)
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(svc.Status().Dir, m.File)
}

// damagedCopy copies a backup and its manifest into a new folder and
// applies damage to the copy.
func damagedCopy(t *testing.T, file string, damage func(string)) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), filepath.Base(file))
	for _, suffix := range []string{"", manifestExt} {
		b, err := os.ReadFile(file + suffix)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p+suffix, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	damage(p)
	return p
}

func TestVerifyFile(t *testing.T) {
	dir, _ := dataFolder(t)
	good := backupOf(t, dir)
	id := Decrypt{Identity: filepath.Join(dir, IdentityName)}

	rep, err := VerifyFile(t.Context(), good, id, dir, "")
	if err != nil || !rep.Checkpoints || rep.SchemaVersion != store.SchemaVersion() {
		t.Fatalf("VerifyFile = %+v, %v; want checked checkpoints and the schema", rep, err)
	}
	t.Run("the verify is recorded in the data folder", func(t *testing.T) {
		r, err := storetest.Open(t, dir).LastBackupRun(t.Context(), store.BackupKindVerify, true)
		if err != nil || r.File != filepath.Base(good) || r.Source != store.BackupSourceCLI {
			t.Errorf("last verify = %+v, %v", r, err)
		}
	})
	t.Run("away from the data folder, checkpoints go unchecked", func(t *testing.T) {
		elsewhere := t.TempDir()
		key, err := os.ReadFile(filepath.Join(dir, MasterKeyName))
		if err != nil {
			t.Fatal(err)
		}
		if err := security.WriteFileAtomic(filepath.Join(elsewhere, MasterKeyName), key, 0o600); err != nil {
			t.Fatal(err)
		}
		if rep, err := VerifyFile(t.Context(), good, id, elsewhere, ""); err != nil || rep.Checkpoints {
			t.Errorf("VerifyFile = %+v, %v; want a pass with checkpoints unchecked", rep, err)
		}
	})

	otherDir := t.TempDir()
	if _, err := EnsureIdentity(otherDir); err != nil {
		t.Fatal(err)
	}
	truncate := func(p string) {
		info, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Truncate(p, info.Size()/2); err != nil {
			t.Fatal(err)
		}
	}
	noManifest := func(p string) {
		if err := os.Remove(p + manifestExt); err != nil {
			t.Fatal(err)
		}
	}
	flip := func(p string) { flipByte(t, p, 200) }
	tests := []struct {
		name string
		file string
		id   Decrypt
		want string
		is   error
	}{
		{"wrong identity", good, Decrypt{Identity: filepath.Join(otherDir, IdentityName)}, "wrong identity", ErrWrongIdentity},
		{"a flipped byte", damagedCopy(t, good, flip), id, "backup:", nil},
		{"a flipped byte without manifest", damagedCopy(t, good, func(p string) { noManifest(p); flip(p) }), id, "corrupt or truncated", ErrCorrupt},
		{"truncated", damagedCopy(t, good, truncate), id, "backup:", nil},
		{"missing file", filepath.Join(t.TempDir(), "nope.db.age"), id, "no such file", nil},
	}
	before := fileSHA(t, good)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := VerifyFile(t.Context(), tt.file, tt.id, dir, "")
			storetest.OneLine(t, err, tt.want)
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %v, want %v", err, tt.is)
			}
		})
	}
	if fileSHA(t, good) != before {
		t.Error("a failed verify changed the backup")
	}
	t.Run("exactly one way to decrypt", func(t *testing.T) {
		storetest.OneLine(t, Decrypt{}.Validate(), "--identity FILE is required")
		storetest.OneLine(t, Decrypt{Identity: "a", PassphraseFile: "b"}.Validate(), "not both")
	})
}

func TestRestoreInto(t *testing.T) {
	dir, _ := dataFolder(t)
	file := backupOf(t, dir)
	id := Decrypt{Identity: filepath.Join(dir, IdentityName)}
	target := t.TempDir()

	t.Run("without master.key in the target it refuses", func(t *testing.T) {
		_, err := RestoreInto(t.Context(), file, id, target, "", false)
		storetest.OneLine(t, err, "master.key missing")
		if _, err := os.Stat(filepath.Join(target, DBName)); !errors.Is(err, os.ErrNotExist) {
			t.Error("a database appeared in the target")
		}
	})
	t.Run("a folder that does not exist is named", func(t *testing.T) {
		_, err := RestoreInto(t.Context(), file, id, filepath.Join(target, "nope"), "", false)
		storetest.OneLine(t, err, "does not exist")
	})
	key, err := os.ReadFile(filepath.Join(dir, MasterKeyName))
	if err != nil {
		t.Fatal(err)
	}
	if err := security.WriteFileAtomic(filepath.Join(target, MasterKeyName), key, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Run("a corrupt backup is not restored", func(t *testing.T) {
		bad := damagedCopy(t, file, func(p string) { flipByte(t, p, 100) })
		_, err := RestoreInto(t.Context(), bad, id, target, "", false)
		storetest.OneLine(t, err, "backup:")
		for _, name := range names(t, target) {
			if name != MasterKeyName && name != store.LockName {
				t.Errorf("target holds %s after a refused restore", name)
			}
		}
	})
	res, err := RestoreInto(t.Context(), file, id, target, "", false)
	if err != nil || res.DB != filepath.Join(target, DBName) || res.SafetyCopy != "" {
		t.Fatalf("restore: %+v, %v", res, err)
	}
	t.Run("the restore is audited in the restored database", func(t *testing.T) {
		if e, err := storetest.Open(t, target).ListAudit(t.Context(), store.AuditFilter{Action: "backup.restored"}); err != nil || len(e) != 1 {
			t.Errorf("backup.restored audit entries: %d, %v", len(e), err)
		}
	})

	live := filepath.Join(target, DBName)
	liveSum := fileSHA(t, live)
	t.Run("a live folder is refused without force", func(t *testing.T) {
		_, err := RestoreInto(t.Context(), file, id, target, "", false)
		storetest.OneLine(t, err, "live database")
		if fileSHA(t, live) != liveSum {
			t.Error("the refused restore changed the database")
		}
	})
	t.Run("a running server's folder is refused even with force", func(t *testing.T) {
		release, err := store.LockDir(target, false)
		if err != nil {
			t.Fatal(err)
		}
		defer release()
		_, err = RestoreInto(t.Context(), file, id, target, "", true)
		storetest.OneLine(t, err, "stop it first")
	})
	t.Run("force keeps a safety copy", func(t *testing.T) {
		res, err := RestoreInto(t.Context(), file, id, target, "", true)
		if err != nil {
			t.Fatal(err)
		}
		matches, _ := filepath.Glob(live + ".pre-restore-*")
		if len(matches) != 1 || res.SafetyCopy != matches[0] {
			t.Fatalf("safety copies %v; result %+v", matches, res)
		}
		if fileSHA(t, matches[0]) != liveSum {
			t.Error("the safety copy differs from the database it replaced")
		}
	})
}

// TestBackupsAcrossKeyRotation: a backup from before a rotation verifies
// with the kept previous key; the next backup drops that key, after which
// the old backup no longer opens.
func TestBackupsAcrossKeyRotation(t *testing.T) {
	dir, _ := dataFolder(t)
	keyFile := filepath.Join(dir, MasterKeyName)
	id := Decrypt{Identity: filepath.Join(dir, IdentityName)}
	before := backupOf(t, dir)
	// The ladder keeps one backup a day: keep the old one aside.
	before = damagedCopy(t, before, func(string) {})
	db := storetest.Open(t, dir)
	if _, _, err := db.RotateMasterKeyFile(t.Context(), keyFile, store.CLIActor); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := VerifyFile(t.Context(), before, id, dir, ""); err != nil {
		t.Errorf("verify with the previous key kept: %v", err)
	}
	after := backupOf(t, dir)
	if _, err := os.Stat(keyFile + ".prev"); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("master.key.prev is still there after the next backup")
	}
	if _, err := VerifyFile(t.Context(), after, id, dir, ""); err != nil {
		t.Errorf("verify the new backup: %v", err)
	}
	_, err := VerifyFile(t.Context(), before, id, dir, "")
	storetest.OneLine(t, err, "does not open with the master key")
}

// TestRestoreKeepsErasures: a customer erased after a backup was taken
// stays erased when that backup is restored, by the command line's restore
// or, for a database put back by hand, at the server's next start; the
// restore names them, and the next backup removes the safety copy.
func TestRestoreKeepsErasures(t *testing.T) {
	dir, _ := dataFolder(t)
	file := backupOf(t, dir)
	id := Decrypt{Identity: filepath.Join(dir, IdentityName)}
	erase := func(customer int64) {
		t.Helper()
		db := storetest.Open(t, dir)
		if _, err := db.EraseCustomer(t.Context(), customer, store.CLIActor); err != nil {
			t.Fatal(err)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
	}
	gone := func(customer int64) bool {
		t.Helper()
		db := storetest.Open(t, dir)
		defer db.Close()
		_, err := db.GetCustomer(t.Context(), customer)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			t.Fatal(err)
		}
		return err != nil
	}
	erase(1)

	res, err := RestoreInto(t.Context(), file, id, dir, "", true)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Reerased) != 1 || res.Reerased[0].CustomerID != 1 || !gone(1) || gone(2) {
		t.Fatalf("restore erased again %+v; customer 1 gone %v, customer 2 gone %v", res.Reerased, gone(1), gone(2))
	}
	var out strings.Builder
	if err := res.WriteReport(&out, file); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"erased again 1 customer that " + filepath.Join(dir, store.ErasureJournalName), "  customer 1, erased ",
		"kept as " + res.SafetyCopy + "; the next successful backup removes it"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, out.String())
		}
	}

	t.Run("a database put back by hand is caught up at the server's start", func(t *testing.T) {
		erase(2)
		// Safety copies are named to the second: make room for this one.
		if err := os.Remove(res.SafetyCopy); err != nil {
			t.Fatal(err)
		}
		if _, err := Restore(t.Context(), file, id.mustIdentities(t), dir, true); err != nil {
			t.Fatal(err)
		}
		if gone(2) {
			t.Fatal("the test's premise: the plain restore brought customer 2 back")
		}
		db := storetest.Open(t, dir)
		svc, err := New(t.Context(), DefaultOptions(), Deps{DB: db, DataDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		if err := svc.Prepare(); err != nil {
			t.Fatal(err)
		}
		db.Close()
		if !gone(1) || !gone(2) {
			t.Errorf("after the server's start: customer 1 gone %v, customer 2 gone %v", gone(1), gone(2))
		}
	})
	t.Run("the next backup removes the safety copies", func(t *testing.T) {
		if m, _ := filepath.Glob(filepath.Join(dir, DBName+".pre-restore-*")); len(m) == 0 {
			t.Fatal("the test's premise: the restores kept safety copies")
		}
		backupOf(t, dir)
		if m, _ := filepath.Glob(filepath.Join(dir, DBName+".pre-restore-*")); len(m) != 0 {
			t.Errorf("safety copies left after a backup: %v", m)
		}
	})
}

func (d Decrypt) mustIdentities(t *testing.T) []age.Identity {
	t.Helper()
	ids, err := d.identities()
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

// TestRestoreOnANewServerKeepsErasures: the data folder is lost. Restoring
// an older backup onto a new server replays the copy of the erasure
// journal that the newer backup left beside the backups.
func TestRestoreOnANewServerKeepsErasures(t *testing.T) {
	dir, _ := dataFolder(t)
	older := damagedCopy(t, backupOf(t, dir), func(string) {}) // kept aside from the ladder
	db := storetest.Open(t, dir)
	if _, err := db.EraseCustomer(t.Context(), 3, store.CLIActor); err != nil {
		t.Fatal(err)
	}
	db.Close()
	newer := backupOf(t, dir)
	beside := filepath.Join(filepath.Dir(newer), store.ErasureJournalName)
	if err := os.Rename(beside, filepath.Join(filepath.Dir(older), store.ErasureJournalName)); err != nil {
		t.Fatalf("no copy of the journal beside the backups: %v", err)
	}

	target := t.TempDir()
	key, err := os.ReadFile(filepath.Join(dir, MasterKeyName))
	if err != nil {
		t.Fatal(err)
	}
	if err := security.WriteFileAtomic(filepath.Join(target, MasterKeyName), key, 0o600); err != nil {
		t.Fatal(err)
	}
	res, err := RestoreInto(t.Context(), older, Decrypt{Identity: filepath.Join(dir, IdentityName)}, target, "", false)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Reerased) != 1 || res.Reerased[0].CustomerID != 3 || res.JournalFrom == "" {
		t.Fatalf("restore: %+v", res)
	}
	if _, err := storetest.Open(t, target).GetCustomer(t.Context(), 3); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the erased customer is back on the new server: %v", err)
	}
}
