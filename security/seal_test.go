package security

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func newTestKey(t testing.TB, id int64) *DataKey {
	t.Helper()
	k, err := NewDataKey32(id, NewDataKey())
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSealOpen(t *testing.T) {
	key := newTestKey(t, 7)
	loc := Location{Table: "tickets", Column: "subject", Row: 42}
	sealed := key.SealString("printer on fire", loc)

	t.Run("round trip", func(t *testing.T) {
		got, err := key.OpenString(sealed, loc)
		if err != nil || got != "printer on fire" {
			t.Fatalf("got %q, %v; want the plaintext", got, err)
		}
	})
	t.Run("no plaintext in ciphertext", func(t *testing.T) {
		if bytes.Contains(sealed, []byte("printer")) {
			t.Fatal("ciphertext holds the plaintext")
		}
	})
	t.Run("tampered ciphertext fails", func(t *testing.T) {
		for i := range sealed {
			bad := append([]byte(nil), sealed...)
			bad[i] ^= 0x01
			if _, err := key.Open(bad, loc); !errors.Is(err, ErrOpen) {
				t.Fatalf("byte %d flipped: got %v, want ErrOpen", i, err)
			}
		}
	})
	t.Run("moved to another row fails", func(t *testing.T) {
		for _, other := range []Location{
			{Table: "tickets", Column: "subject", Row: 43},
			{Table: "tickets", Column: "body", Row: 42},
			{Table: "messages", Column: "subject", Row: 42},
		} {
			if _, err := key.Open(sealed, other); !errors.Is(err, ErrOpen) {
				t.Fatalf("opened at %+v: %v", other, err)
			}
		}
	})
	t.Run("wrong key fails", func(t *testing.T) {
		if _, err := newTestKey(t, 7).Open(sealed, loc); !errors.Is(err, ErrOpen) {
			t.Fatalf("another key with the same id opened it: %v", err)
		}
		if _, err := newTestKey(t, 8).Open(sealed, loc); !errors.Is(err, ErrOpen) {
			t.Fatalf("another key id opened it: %v", err)
		}
	})
	t.Run("truncated fails", func(t *testing.T) {
		if _, err := key.Open(sealed[:10], loc); !errors.Is(err, ErrOpen) {
			t.Fatalf("got %v", err)
		}
	})
}

func TestWrapUnwrap(t *testing.T) {
	ring := newTestKeyring(t)
	raw := NewDataKey()
	wrapped, err := ring.WrapKey(3, raw)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(wrapped, raw) {
		t.Fatal("wrapped key holds the raw key")
	}
	got, err := ring.UnwrapRaw(3, wrapped)
	if err != nil || !bytes.Equal(got, raw) {
		t.Fatalf("unwrap: %v", err)
	}
	if _, err := ring.UnwrapRaw(4, wrapped); !errors.Is(err, ErrOpen) {
		t.Fatalf("unwrapped under another id: %v", err)
	}
	if _, err := newTestKeyring(t).UnwrapRaw(3, wrapped); !errors.Is(err, ErrWrongMasterKey) {
		t.Fatalf("another master key: got %v, want ErrWrongMasterKey", err)
	}
}

func newTestKeyring(t testing.TB) *Keyring {
	t.Helper()
	k, err := NewKeyring(NewDataKey())
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestLoadMasterKey(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "master.key")
	k1, created, err := LoadMasterKey(path, true)
	if err != nil || !created {
		t.Fatalf("create: %v, created=%v", err, created)
	}
	info, _ := os.Stat(path)
	if info.Mode().Perm() != 0o600 {
		t.Fatalf("mode %04o, want 0600", info.Mode().Perm())
	}
	k2, created, err := LoadMasterKey(path, true)
	if err != nil || created || k1.Fingerprint() != k2.Fingerprint() {
		t.Fatalf("reload: %v created=%v same=%v", err, created, k1.Fingerprint() == k2.Fingerprint())
	}
	os.Chmod(path, 0o640)
	if _, _, err := LoadMasterKey(path, true); !errors.Is(err, ErrKeyPermissions) {
		t.Fatalf("group-readable key: got %v, want ErrKeyPermissions", err)
	}
	if _, _, err := LoadMasterKey(filepath.Join(dir, "missing"), false); err == nil {
		t.Fatal("missing key without create: want an error")
	}
}

func TestBlindIndex(t *testing.T) {
	a, _ := NewBlindIndex(NewDataKey())
	b, _ := NewBlindIndex(NewDataKey())
	if !bytes.Equal(a.Email("Alice@Example.org "), a.Email("alice@example.org")) {
		t.Fatal("normalised addresses differ")
	}
	if bytes.Equal(a.Email("alice@example.org"), a.Email("bob@example.org")) {
		t.Fatal("different addresses collide")
	}
	if bytes.Equal(a.Email("alice@example.org"), b.Email("alice@example.org")) {
		t.Fatal("different keys give the same index")
	}
}

func BenchmarkSeal(b *testing.B) {
	key := newTestKey(b, 1)
	msg := bytes.Repeat([]byte("x"), 256)
	loc := Location{Table: "messages", Column: "body", Row: 1}
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		key.Seal(msg, loc)
	}
}

func BenchmarkOpen(b *testing.B) {
	key := newTestKey(b, 1)
	loc := Location{Table: "messages", Column: "body", Row: 1}
	sealed := key.Seal(bytes.Repeat([]byte("x"), 256), loc)
	b.ReportAllocs()
	b.SetBytes(256)
	for b.Loop() {
		if _, err := key.Open(sealed, loc); err != nil {
			b.Fatal(err)
		}
	}
}
