package backup

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// newDataDir returns a data folder holding a master key.
func newDataDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, MasterKeyName), make([]byte, 32), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir
}

// copyInto copies the files at paths into dir, keeping their names.
func copyInto(t *testing.T, dir string, paths ...string) {
	t.Helper()
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(p)), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

func TestRestore(t *testing.T) {
	// The source database: 10 items in the backup, then 5 more that stay
	// in the WAL, as after a crash of a busy server.
	srcDir := t.TempDir()
	src := filepath.Join(srcDir, DBName)
	db := openDB(t, src)
	if _, err := db.Exec("PRAGMA wal_autocheckpoint = 0"); err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	insertRows(t, db, 10, 100)
	recs, ids, _ := testKeys(t)
	file, m := makeBackup(t, db, recs)
	insertRows(t, db, 5, 100)

	target := newDataDir(t)
	copyInto(t, target, src, src+"-wal", src+"-shm")
	before := names(t, target)
	ctx := context.Background()

	if _, err := Restore(ctx, file, ids, target, false); !errors.Is(err, ErrLiveDatabase) {
		t.Fatalf("Restore into a live folder without force: err = %v, want ErrLiveDatabase", err)
	}
	if got := names(t, target); !slices.Equal(got, before) {
		t.Errorf("refused Restore changed the folder: %v, was %v", got, before)
	}

	res, err := Restore(ctx, file, ids, target, true, wantItems(10))
	if err != nil {
		t.Fatalf("Restore: %v", err)
	}
	if res.Manifest != m {
		t.Errorf("manifest = %+v, want %+v", res.Manifest, m)
	}
	if !strings.HasPrefix(filepath.Base(res.SafetyCopy), DBName+".pre-restore-") {
		t.Errorf("safety copy = %q", res.SafetyCopy)
	}
	got := names(t, target)
	want := []string{MasterKeyName, DBName, filepath.Base(res.SafetyCopy), filepath.Base(res.SafetyCopy) + "-wal"}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("folder after Restore = %v, want %v (no stale -wal or -shm, no temp files)", got, want)
	}
	restored := filepath.Join(target, DBName)
	if info, _ := os.Stat(restored); info.Mode().Perm() != 0o600 {
		t.Errorf("restored database mode = %v, want 0600", info.Mode().Perm())
	}
	if items, counter := counts(t, restored); items != 10 || counter != 10 {
		t.Errorf("restored database holds %d items (counter %d), want 10", items, counter)
	}
	if got := integrity(t, restored); got != "ok" {
		t.Errorf("restored integrity_check = %q", got)
	}
	// The safety copy with its WAL still holds everything, the last 5 rows included.
	safety := openDB(t, res.SafetyCopy)
	var n int
	if err := safety.QueryRow("SELECT count(*) FROM items").Scan(&n); err != nil || n != 15 {
		t.Errorf("safety copy holds %d items (err %v), want 15", n, err)
	}
}

func TestRestoreRefusals(t *testing.T) {
	db, _ := newDB(t, 20)
	recs, ids, _ := testKeys(t)
	file, _ := makeBackup(t, db, recs)
	ctx := context.Background()

	t.Run("no master key", func(t *testing.T) {
		dir := t.TempDir()
		_, err := Restore(ctx, file, ids, dir, true)
		if !errors.Is(err, ErrNoMasterKey) || !strings.Contains(err.Error(), "master.key missing") {
			t.Errorf("err = %v, want ErrNoMasterKey", err)
		}
		if got := names(t, dir); len(got) != 0 {
			t.Errorf("folder holds %v", got)
		}
	})

	t.Run("empty data folder", func(t *testing.T) {
		dir := newDataDir(t)
		res, err := Restore(ctx, file, ids, dir, false)
		if err != nil {
			t.Fatal(err)
		}
		if res.SafetyCopy != "" {
			t.Errorf("safety copy %q of nothing", res.SafetyCopy)
		}
		if items, _ := counts(t, filepath.Join(dir, DBName)); items != 20 {
			t.Errorf("restored %d items, want 20", items)
		}
	})

	failures := []struct {
		name   string
		file   func(t *testing.T) string
		checks []Check
		want   string
	}{
		{"corrupt backup", func(t *testing.T) string {
			f := copyBackupFile(t, file)
			flipByte(t, f, 50)
			return f
		}, nil, "backup: file is corrupt or truncated"},
		{"check fails", func(*testing.T) string { return file }, []Check{wantItems(99)}, "backup: check failed: items: got 20, want 99"},
	}
	for _, tt := range failures {
		t.Run(tt.name+" leaves the folder as it was", func(t *testing.T) {
			dir := newDataDir(t)
			live := filepath.Join(dir, DBName)
			if err := os.WriteFile(live, []byte("the live database"), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := Restore(ctx, tt.file(t), ids, dir, true, tt.checks...)
			if err == nil || err.Error() != tt.want {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
			if got := names(t, dir); !slices.Equal(got, []string{MasterKeyName, DBName}) {
				t.Errorf("folder holds %v", got)
			}
			if b, _ := os.ReadFile(live); string(b) != "the live database" {
				t.Errorf("live database changed to %q", b)
			}
		})
	}
}
