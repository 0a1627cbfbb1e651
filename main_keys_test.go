package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"safedesk/backup"
	"safedesk/store"
)

// bkReadable opens the data folder as any command would (finishing an
// interrupted rotation first) and checks that every ticket still reads.
func bkReadable(t *testing.T, dir string, subjects []string) {
	t.Helper()
	db, err := openStore(t.Context(), dir, "", false, nil)
	if err != nil {
		t.Fatalf("open after rotation: %v", err)
	}
	defer db.Close()
	if _, err := db.CheckKeys(t.Context()); err != nil {
		t.Errorf("CheckKeys: %v", err)
	}
	tickets, err := db.ListTickets(t.Context(), store.TicketFilter{Limit: 100})
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

func bkFile(t *testing.T, path string) []byte {
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

func TestKeysRotate(t *testing.T) {
	dir, subjects := bkData(t)
	keyFile := filepath.Join(dir, "master.key")
	id := filepath.Join(dir, backup.IdentityName)
	old := bkFile(t, keyFile)
	before := bkCreate(t, dir)

	out, err := bkRun(t, "keys", "rotate", "--data", dir)
	if err != nil {
		t.Fatalf("keys rotate: %v", err)
	}
	if !strings.Contains(out, "re-wrapped") {
		t.Errorf("output %q", out)
	}
	if k := bkFile(t, keyFile); len(k) != 32 || bytes.Equal(k, old) {
		t.Error("master.key was not replaced by a new key")
	}
	if !bytes.Equal(bkFile(t, keyFile+".prev"), old) {
		t.Error("master.key.prev does not hold the previous key")
	}
	if info, err := os.Stat(keyFile); err != nil || info.Mode().Perm() != 0o600 {
		t.Errorf("master.key mode: %v, %v; want 0600", info.Mode(), err)
	}
	bkReadable(t, dir, subjects)

	t.Run("audited", func(t *testing.T) {
		db, err := openStore(t.Context(), dir, "", false, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if e, err := db.ListAudit(t.Context(), store.AuditFilter{Action: "keys.rotated"}); err != nil || len(e) != 1 {
			t.Errorf("keys.rotated entries: %d, %v; want 1", len(e), err)
		}
	})
	t.Run("a backup from before verifies with the kept previous key", func(t *testing.T) {
		if _, err := bkRun(t, "backup", "verify", before, "--identity", id, "--data", dir); err != nil {
			t.Errorf("verify: %v", err)
		}
	})
	t.Run("a second rotation waits for a backup", func(t *testing.T) {
		_, err := bkRun(t, "keys", "rotate", "--data", dir)
		bkOneLine(t, err, "make a backup first")
	})
	t.Run("the next backup removes master.key.prev", func(t *testing.T) {
		// The ladder keeps one backup a day: keep the old one aside.
		kept := filepath.Join(t.TempDir(), filepath.Base(before))
		for _, suffix := range []string{"", ".json"} {
			if err := os.WriteFile(kept+suffix, bkFile(t, before+suffix), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		before = kept
		after := bkCreate(t, dir)
		if bkFile(t, keyFile+".prev") != nil {
			t.Fatal("master.key.prev is still there")
		}
		if _, err := bkRun(t, "backup", "verify", after, "--identity", id, "--data", dir); err != nil {
			t.Errorf("verify the new backup: %v", err)
		}
		_, err := bkRun(t, "backup", "verify", before, "--identity", id, "--data", dir)
		bkOneLine(t, err, "does not open with the master key")
	})
	t.Run("refused beside a running server", func(t *testing.T) {
		release, err := lockDataDir(dir, false)
		if err != nil {
			t.Fatal(err)
		}
		defer release()
		_, err = bkRun(t, "keys", "rotate", "--data", dir)
		bkOneLine(t, err, "stop it first")
	})
}

// TestKeysRotateCrashPoints stops a rotation at each point between its
// file writes and its commit, as a crash would, then opens the folder as
// the next start does: the data always reads, with the right key.
func TestKeysRotateCrashPoints(t *testing.T) {
	errCrash := errors.New("simulated crash")
	tests := []struct {
		step       string
		committed  bool // the new key is in use afterwards
		prevExists bool
	}{
		{rotateNextWritten, false, false},
		{rotateCommitted, true, true},
		{rotatePrevWritten, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.step, func(t *testing.T) {
			dir, subjects := bkData(t)
			keyFile := filepath.Join(dir, "master.key")
			old := bkFile(t, keyFile)
			var next []byte
			testHookRotate = func(step string) error {
				if step == tt.step {
					next = bkFile(t, keyFile+".next")
					return errCrash
				}
				return nil
			}
			_, err := bkRun(t, "keys", "rotate", "--data", dir)
			testHookRotate = nil
			if !errors.Is(err, errCrash) {
				t.Fatalf("rotate: %v, want the simulated crash", err)
			}
			if len(next) != 32 {
				t.Fatal("master.key.next was not on disk at the crash point")
			}

			bkReadable(t, dir, subjects)

			if bkFile(t, keyFile+".next") != nil {
				t.Error("master.key.next is still there")
			}
			want := old
			if tt.committed {
				want = next
			}
			if !bytes.Equal(bkFile(t, keyFile), want) {
				t.Errorf("master.key: new key in use = %v, want %v", !bytes.Equal(bkFile(t, keyFile), old), tt.committed)
			}
			if got := bkFile(t, keyFile+".prev"); (got != nil) != tt.prevExists || (got != nil && !bytes.Equal(got, old)) {
				t.Errorf("master.key.prev present = %v, want %v holding the old key", got != nil, tt.prevExists)
			}
		})
	}
}

func TestKeysRotateUsage(t *testing.T) {
	var u usageError
	if _, err := bkRun(t, "keys"); !errors.As(err, &u) {
		t.Errorf("keys alone: %v, want a usage error", err)
	}
	if _, err := bkRun(t, "keys", "rotate", "--data", t.TempDir()); err == nil || strings.Contains(err.Error(), "\n") {
		t.Errorf("rotate on an empty folder: %v, want one line", err)
	}
}
