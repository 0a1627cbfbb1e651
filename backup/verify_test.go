package backup

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
)

// wantItems is a Check that the backup holds n items.
func wantItems(n int) Check {
	return func(ctx context.Context, db *sql.DB) error {
		var got int
		if err := db.QueryRowContext(ctx, "SELECT count(*) FROM items").Scan(&got); err != nil {
			return err
		}
		if got != n {
			return fmt.Errorf("items: got %d, want %d", got, n)
		}
		return nil
	}
}

// copyFile copies a backup and its manifest into a new folder, so that a
// subtest can damage its own copy.
func copyBackupFile(t *testing.T, file string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), filepath.Base(file))
	for _, ext := range []string{"", ".json"} {
		b, err := os.ReadFile(file + ext)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst+ext, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

func TestVerify(t *testing.T) {
	db, _ := newDB(t, 300)
	recs, ids, _ := testKeys(t)
	file, m := makeBackup(t, db, recs)
	_, otherIDs, _ := testKeys(t)
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)

	t.Run("good backup passes the checks on a read-only copy", func(t *testing.T) {
		var wrote error
		readOnly := func(ctx context.Context, db *sql.DB) error {
			_, wrote = db.ExecContext(ctx, "INSERT INTO items (body) VALUES ('x')")
			return nil
		}
		got, err := Verify(context.Background(), file, ids, wantItems(300), readOnly)
		if err != nil {
			t.Fatalf("Verify: %v", err)
		}
		if got != m {
			t.Errorf("manifest = %+v, want %+v", got, m)
		}
		if wrote == nil {
			t.Error("a check could write to the decrypted copy")
		}
	})

	tests := []struct {
		name    string
		damage  func(t *testing.T, file string)
		ids     []age.Identity
		want    error
		wantMsg string
	}{
		{
			name: "flipped byte in the payload", ids: ids, want: ErrCorrupt,
			damage:  func(t *testing.T, f string) { flipByte(t, f, 100) },
			wantMsg: "backup: file is corrupt or truncated",
		},
		{
			name: "flipped byte in the header", ids: ids, want: ErrCorrupt,
			damage: func(t *testing.T, f string) {
				b, _ := os.ReadFile(f)
				mac := strings.Index(string(b), "\n--- ")
				flipByte(t, f, int64(len(b)-mac-8))
			},
			wantMsg: "backup: file is corrupt or truncated",
		},
		{
			name: "truncated", ids: ids, want: ErrCorrupt,
			damage:  func(t *testing.T, f string) { truncate(t, f, m.EncryptedSize/2) },
			wantMsg: "backup: file is corrupt or truncated",
		},
		{
			name: "truncated inside the header", ids: ids, want: ErrCorrupt,
			damage:  func(t *testing.T, f string) { truncate(t, f, 30) },
			wantMsg: "backup: file is corrupt or truncated",
		},
		{
			name: "wrong identity", ids: otherIDs, want: ErrWrongIdentity,
			wantMsg: "backup: wrong identity: no identity matches this backup",
		},
		{
			name: "manifest of another backup", ids: ids, want: ErrMismatch,
			damage: func(t *testing.T, f string) {
				b, _ := os.ReadFile(f + ".json")
				b = []byte(strings.Replace(string(b), m.SHA256, strings.Repeat("0", 64), 1))
				if err := os.WriteFile(f+".json", b, 0o600); err != nil {
					t.Fatal(err)
				}
			},
			wantMsg: "backup: file does not match its manifest",
		},
		{
			name: "check fails", ids: ids,
			wantMsg: "backup: check failed: items: got 300, want 301",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := copyBackupFile(t, file)
			if tt.damage != nil {
				tt.damage(t, f)
			}
			_, err := Verify(context.Background(), f, tt.ids, wantItems(301))
			if err == nil {
				t.Fatal("Verify passed")
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
			if err.Error() != tt.wantMsg {
				t.Errorf("message = %q, want %q", err.Error(), tt.wantMsg)
			}
		})
	}

	t.Run("no manifest", func(t *testing.T) {
		f := copyBackupFile(t, file)
		if err := os.Remove(f + ".json"); err != nil {
			t.Fatal(err)
		}
		got, err := Verify(context.Background(), f, ids)
		if err != nil {
			t.Fatal(err)
		}
		if got.SHA256 != m.SHA256 || got.EncryptedSHA256 != m.EncryptedSHA256 || !got.Created.Equal(m.Created) {
			t.Errorf("computed manifest = %+v, want hashes and time of %+v", got, m)
		}
	})

	if got := names(t, tmp); len(got) != 0 {
		t.Errorf("Verify left %v in TMPDIR", got)
	}
}

func TestVerifyIntegrityCheck(t *testing.T) {
	db, path := newDB(t, 500)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	// Damage a b-tree page of a real database, then encrypt it properly:
	// age authenticates it, and only the integrity check can tell.
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for i := 4096 + 100; i < 4096+400; i++ {
		b[i] = 0xA5
	}
	recs, ids, _ := testKeys(t)
	file := filepath.Join(t.TempDir(), FileName(time.Now()))
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	w, err := age.Encrypt(f, recs...)
	if err != nil {
		t.Fatal(err)
	}
	w.Write(b)
	w.Close()
	f.Close()

	_, err = Verify(context.Background(), file, ids)
	if err == nil || !strings.HasPrefix(err.Error(), "backup: integrity check failed: ") || !strings.Contains(err.Error(), "page") {
		t.Errorf("err = %v, want an integrity check failure", err)
	}
}

func TestPassphrase(t *testing.T) {
	if _, err := PassphraseRecipient("short"); err == nil {
		t.Error("a 5-character passphrase was accepted")
	}
	r, err := PassphraseRecipient("correct horse battery staple")
	if err != nil {
		t.Fatal(err)
	}
	r.SetWorkFactor(10) // keep the test fast; the default is 2^18
	db, _ := newDB(t, 40)
	file, _ := makeBackup(t, db, []age.Recipient{r})

	id, _ := PassphraseIdentity("correct horse battery staple")
	if _, err := Verify(context.Background(), file, []age.Identity{id}, wantItems(40)); err != nil {
		t.Errorf("Verify with the passphrase: %v", err)
	}
	wrong, _ := PassphraseIdentity("incorrect horse battery staple")
	if _, err := Verify(context.Background(), file, []age.Identity{wrong}); !errors.Is(err, ErrWrongIdentity) {
		t.Errorf("Verify with a wrong passphrase: err = %v, want ErrWrongIdentity", err)
	}
	_, _, idPath := testKeys(t)
	x25519, _ := LoadIdentities(idPath)
	if _, err := Verify(context.Background(), file, x25519); !errors.Is(err, ErrWrongIdentity) {
		t.Errorf("Verify with an X25519 identity: err = %v, want ErrWrongIdentity", err)
	}
}

// truncate cuts the file at path to size bytes.
func truncate(t *testing.T, path string, size int64) {
	t.Helper()
	if err := os.Truncate(path, size); err != nil {
		t.Fatal(err)
	}
}
