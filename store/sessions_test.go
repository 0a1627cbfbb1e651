package store_test

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// folderBytes reads every file in dir (the database, -wal, -shm, anything
// else) into one slice.
func folderBytes(t *testing.T, dir string) []byte {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var all []byte
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, b...)
	}
	if len(all) == 0 {
		t.Fatalf("no bytes in %s", dir)
	}
	return all
}

func TestSessions(t *testing.T) {
	ctx := t.Context()

	t.Run("commit, find and delete", func(t *testing.T) {
		db, clk := newTestDB(t)
		s := db.Sessions()
		if err := s.CommitCtx(ctx, "token-1", []byte("data one"), clk.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		got, ok, err := s.FindCtx(ctx, "token-1")
		if err != nil || !ok || string(got) != "data one" {
			t.Fatalf("Find: got %q, %v, %v; want %q", got, ok, err, "data one")
		}
		if err := s.CommitCtx(ctx, "token-1", []byte("data two"), clk.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		if got, _, _ := s.FindCtx(ctx, "token-1"); string(got) != "data two" {
			t.Errorf("after a second commit: got %q, want %q", got, "data two")
		}
		if _, ok, _ := s.FindCtx(ctx, "token-2"); ok {
			t.Error("Find of an unknown token: found")
		}
		if err := s.DeleteCtx(ctx, "token-1"); err != nil {
			t.Fatal(err)
		}
		if _, ok, err := s.FindCtx(ctx, "token-1"); ok || err != nil {
			t.Errorf("after Delete: got %v, %v; want not found", ok, err)
		}
	})

	t.Run("an expired session is not found and is swept", func(t *testing.T) {
		db, clk := newTestDB(t)
		s := db.Sessions()
		s.Commit("short", []byte("x"), clk.Now().Add(time.Minute))
		s.Commit("long", []byte("y"), clk.Now().Add(time.Hour))
		clk.Advance(time.Minute)
		if _, ok, err := s.Find("short"); ok || err != nil {
			t.Errorf("expired: got %v, %v; want not found", ok, err)
		}
		if _, ok, _ := s.Find("long"); !ok {
			t.Error("live session: not found")
		}
		n, err := db.DeleteExpiredSessions(ctx)
		if err != nil || n != 1 {
			t.Errorf("DeleteExpiredSessions: got %d, %v; want 1", n, err)
		}
	})

	t.Run("tampered session data is no session", func(t *testing.T) {
		db, clk := newTestDB(t)
		s := db.Sessions()
		s.Commit("a", []byte("x"), clk.Now().Add(time.Hour))
		s.Commit("b", []byte("y"), clk.Now().Add(time.Hour))
		// Give a's row the sealed data of b: it must not open.
		if _, err := db.Writer().ExecContext(ctx, `UPDATE sessions SET data = (SELECT data FROM sessions WHERE token_hash = ?) WHERE token_hash = ?`,
			sha("b"), sha("a")); err != nil {
			t.Fatal(err)
		}
		if _, ok, err := s.Find("a"); ok || err != nil {
			t.Errorf("got %v, %v; want not found", ok, err)
		}
	})

	t.Run("neither the token nor the data reach the database files", func(t *testing.T) {
		db, clk := newTestDB(t)
		dir := filepath.Dir(db.Path())
		token := rand.Text()
		data := []byte("session-secret-" + rand.Text())
		if err := db.Sessions().Commit(token, data, clk.Now().Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		for _, phase := range []string{"open", "closed"} {
			if phase == "closed" {
				if err := db.Close(); err != nil {
					t.Fatal(err)
				}
			}
			all := folderBytes(t, dir)
			if bytes.Contains(all, []byte(token)) {
				t.Errorf("%s: the token is in the files", phase)
			}
			if bytes.Contains(all, data) {
				t.Errorf("%s: the session data is in the files", phase)
			}
			// What is stored instead must be there, or this scan proves nothing.
			if !bytes.Contains(all, sha(token)) {
				t.Errorf("%s: the token's hash is not in the files", phase)
			}
		}
	})
}

func sha(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}
