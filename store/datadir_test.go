package store_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"safedesk/security"
	"safedesk/store"
	"safedesk/store/storetest"
)

// readable opens the data folder as any command does (finishing an
// interrupted rotation first) and checks that every ticket still reads.
func readable(t *testing.T, dir string, subjects []string) {
	t.Helper()
	db, err := store.OpenDir(t.Context(), dir, "", false, nil)
	if err != nil {
		t.Fatalf("open after rotation: %v", err)
	}
	defer db.Close()
	if _, err := db.CheckKeys(t.Context()); err != nil {
		t.Errorf("CheckKeys: %v", err)
	}
	tickets, err := db.ListTickets(t.Context(), store.TicketFilter{AllCustomers: true, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, tk := range tickets {
		got[tk.Subject] = true
	}
	for _, s := range subjects {
		if !got[s] {
			t.Errorf("ticket %q no longer reads", s)
		}
	}
	if _, err := db.GetCustomerByEmail(t.Context(), "c0@example.com"); err != nil {
		t.Errorf("blind index lookup: %v", err)
	}
	if _, err := db.VerifyAudit(t.Context()); err != nil {
		t.Errorf("VerifyAudit: %v", err)
	}
}

// fileBytes reads a file; a missing one is nil.
func fileBytes(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestOpenDir(t *testing.T) {
	t.Run("a first start makes the folder, database and master key", func(t *testing.T) {
		dir, _ := storetest.DataFolder(t, 2)
		for name, mode := range map[string]os.FileMode{".": 0o700, store.MasterKeyName: 0o600} {
			if info, err := os.Stat(filepath.Join(dir, name)); err != nil || info.Mode().Perm() != mode {
				t.Errorf("%s: %v, %v; want mode %04o", name, info, err, mode)
			}
		}
	})
	t.Run("without create, a folder with no database is refused", func(t *testing.T) {
		_, err := store.OpenDir(t.Context(), t.TempDir(), "", false, nil)
		if err == nil || !strings.Contains(err.Error(), "no database in") {
			t.Fatalf("got %v, want no database", err)
		}
	})
	t.Run("a master key others may read is refused", func(t *testing.T) {
		dir, _ := storetest.DataFolder(t, 2)
		if err := os.Chmod(filepath.Join(dir, store.MasterKeyName), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := store.OpenDir(t.Context(), dir, "", false, nil); !errors.Is(err, security.ErrKeyPermissions) {
			t.Fatalf("got %v, want ErrKeyPermissions", err)
		}
	})
	t.Run("the master key may live elsewhere", func(t *testing.T) {
		dir, subjects := storetest.DataFolder(t, 2)
		elsewhere := filepath.Join(t.TempDir(), "keys", "master.key")
		if err := os.MkdirAll(filepath.Dir(elsewhere), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(filepath.Join(dir, store.MasterKeyName), elsewhere); err != nil {
			t.Fatal(err)
		}
		db, err := store.OpenDir(t.Context(), dir, elsewhere, false, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if tk, err := db.ListTickets(t.Context(), store.TicketFilter{AllCustomers: true}); err != nil || len(tk) != len(subjects) {
			t.Errorf("tickets %d, %v", len(tk), err)
		}
		if got := store.MasterKeyPath(dir, elsewhere); got != elsewhere {
			t.Errorf("MasterKeyPath = %s", got)
		}
	})
}

func TestLockDir(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	release, err := store.LockDir(dir, true)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.LockDir(dir, false); err == nil || !strings.Contains(err.Error(), "stop it first") {
		release()
		t.Fatalf("a second lock: %v, want refused", err)
	}
	release()
	again, err := store.LockDir(dir, false)
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	again()
}

func TestRotateMasterKeyFile(t *testing.T) {
	dir, subjects := storetest.DataFolder(t, 2)
	keyFile := filepath.Join(dir, store.MasterKeyName)
	old := fileBytes(t, keyFile)
	db := storetest.Open(t, dir)
	n, ring, err := db.RotateMasterKeyFile(t.Context(), keyFile, store.CLIActor)
	if err != nil || n == 0 || ring == nil {
		t.Fatalf("rotate: %d, %v", n, err)
	}
	if k := fileBytes(t, keyFile); len(k) != 32 || bytes.Equal(k, old) {
		t.Error("master.key was not replaced by a new key")
	}
	if !bytes.Equal(fileBytes(t, keyFile+".prev"), old) {
		t.Error("master.key.prev does not hold the previous key")
	}
	if info, err := os.Stat(keyFile); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("master.key mode: %v, %v; want 0600", info.Mode(), err)
	}
	if e, err := db.ListAudit(t.Context(), store.AuditFilter{Action: "keys.rotated"}); err != nil || len(e) != 1 || e[0].Actor != store.CLIActor {
		t.Errorf("keys.rotated entries: %+v, %v; want 1 by the command line", e, err)
	}
	_, _, err = db.RotateMasterKeyFile(t.Context(), keyFile, store.CLIActor)
	if err == nil || !strings.Contains(err.Error(), "make a backup first") {
		t.Errorf("a second rotation: %v, want it to wait for a backup", err)
	}
	db.Close()
	readable(t, dir, subjects)
	rings, err := store.MasterKeys(keyFile)
	if err != nil || len(rings) != 2 {
		t.Errorf("MasterKeys: %d rings, %v; want the new and the previous", len(rings), err)
	}
}

// TestRotateMasterKeyFileCrashPoints stops a rotation at each point between
// its file writes and its commit, as a crash would, then opens the folder
// as the next start does: the data always reads, with the right key.
func TestRotateMasterKeyFileCrashPoints(t *testing.T) {
	errCrash := errors.New("simulated crash")
	tests := []struct {
		step       string
		committed  bool // the new key is in use afterwards
		prevExists bool
	}{
		{store.RotateNextWritten, false, false},
		{store.RotateCommitted, true, true},
		{store.RotatePrevWritten, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.step, func(t *testing.T) {
			dir, subjects := storetest.DataFolder(t, 2)
			keyFile := filepath.Join(dir, store.MasterKeyName)
			old := fileBytes(t, keyFile)
			db := storetest.Open(t, dir)
			var next []byte
			_, err := db.RotateMasterKeyFileCrashing(t.Context(), keyFile, store.CLIActor, func(step string) error {
				if step == tt.step {
					next = fileBytes(t, keyFile+".next")
					return errCrash
				}
				return nil
			})
			db.Close()
			if !errors.Is(err, errCrash) {
				t.Fatalf("rotate: %v, want the simulated crash", err)
			}
			if len(next) != 32 {
				t.Fatal("master.key.next was not on disk at the crash point")
			}

			readable(t, dir, subjects)

			if fileBytes(t, keyFile+".next") != nil {
				t.Error("master.key.next is still there")
			}
			want := old
			if tt.committed {
				want = next
			}
			if !bytes.Equal(fileBytes(t, keyFile), want) {
				t.Errorf("master.key: new key in use = %v, want %v", !bytes.Equal(fileBytes(t, keyFile), old), tt.committed)
			}
			if got := fileBytes(t, keyFile+".prev"); (got != nil) != tt.prevExists || (got != nil && !bytes.Equal(got, old)) {
				t.Errorf("master.key.prev present = %v, want %v holding the old key", got != nil, tt.prevExists)
			}
		})
	}
}

func TestAuditKeys(t *testing.T) {
	dir, _ := storetest.DataFolder(t, 2)
	if pub, err := store.AuditPublicKey(dir, "", ""); pub != nil || err != nil {
		t.Fatalf("before the signing key exists: %v, %v; want none", pub, err)
	}
	key, err := store.AuditSigningKey(dir, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Run("created beside the master key, mode 0600", func(t *testing.T) {
		fi, err := os.Stat(filepath.Join(dir, store.AuditKeyName))
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("key file: %v, %v", fi, err)
		}
		elsewhere := filepath.Join(t.TempDir(), "keys", "master.key")
		if got := store.AuditKeyPath(dir, elsewhere); got != filepath.Join(filepath.Dir(elsewhere), store.AuditKeyName) {
			t.Errorf("key path %s, want beside %s", got, elsewhere)
		}
	})
	t.Run("the public key written out reads back", func(t *testing.T) {
		var pem bytes.Buffer
		if err := store.WriteAuditPublicKey(dir, "", &pem); err != nil {
			t.Fatal(err)
		}
		file := filepath.Join(t.TempDir(), "audit.pub")
		if err := os.WriteFile(file, pem.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		pub, err := store.AuditPublicKey(t.TempDir(), "", file)
		if err != nil || !pub.Equal(key.Public()) {
			t.Errorf("public key from file: %x, %v", pub, err)
		}
		if err := store.WriteAuditPublicKey(t.TempDir(), "", &pem); err == nil {
			t.Error("a folder without a signing key printed a public key")
		}
		if _, err := store.AuditPublicKey(dir, "", filepath.Join(dir, store.MasterKeyName)); err == nil {
			t.Error("a file that is no PEM public key was taken")
		}
	})
	t.Run("a signing key others may read is refused", func(t *testing.T) {
		if err := os.Chmod(filepath.Join(dir, store.AuditKeyName), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := store.AuditSigningKey(dir, ""); !errors.Is(err, security.ErrKeyPermissions) {
			t.Fatalf("got %v, want ErrKeyPermissions", err)
		}
		if _, err := store.AuditPublicKey(dir, "", ""); !errors.Is(err, security.ErrKeyPermissions) {
			t.Fatalf("public key: got %v, want ErrKeyPermissions", err)
		}
	})
}
