package security_test

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"safedesk/security"
)

func TestCheckpointSignVerify(t *testing.T) {
	key, err := security.GenerateSigningKey()
	if err != nil {
		t.Fatal(err)
	}
	other, err := security.GenerateSigningKey()
	if err != nil {
		t.Fatal(err)
	}
	pub := key.Public().(ed25519.PublicKey)
	cp := security.Checkpoint{Seq: 42, Hash: bytes.Repeat([]byte{0x5a}, 32), At: auditTestTime}
	sig := security.SignCheckpoint(key, cp)

	tests := []struct {
		name string
		pub  ed25519.PublicKey
		cp   security.Checkpoint
		sig  []byte
		want bool
	}{
		{"valid", pub, cp, sig, true},
		{"same instant in another zone", pub, security.Checkpoint{Seq: 42, Hash: cp.Hash, At: auditTestTime.Local()}, sig, true},
		{"other seq", pub, security.Checkpoint{Seq: 41, Hash: cp.Hash, At: cp.At}, sig, false},
		{"other hash", pub, security.Checkpoint{Seq: 42, Hash: bytes.Repeat([]byte{0x5b}, 32), At: cp.At}, sig, false},
		{"other time", pub, security.Checkpoint{Seq: 42, Hash: cp.Hash, At: cp.At.Add(time.Second)}, sig, false},
		{"flipped signature bit", pub, cp, auditFlipBit(sig), false},
		{"wrong key", other.Public().(ed25519.PublicKey), cp, sig, false},
		{"short public key", pub[:16], cp, sig, false},
		{"no signature", pub, cp, nil, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := security.VerifyCheckpoint(tt.pub, tt.cp, tt.sig); got != tt.want {
				t.Errorf("VerifyCheckpoint = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestCheckpointSignatureIsNotAnAuditHash(t *testing.T) {
	// Domain separation: the signed message for a checkpoint must not equal
	// anything else safedesk signs or hashes, so a signature over the same
	// fields under a different domain must fail.
	key, _ := security.GenerateSigningKey()
	cp := security.Checkpoint{Seq: 1, Hash: security.GenesisHash(), At: auditTestTime}
	raw := ed25519.Sign(key, cp.Hash)
	if security.VerifyCheckpoint(key.Public().(ed25519.PublicKey), cp, raw) {
		t.Error("a signature over the bare hash verified as a checkpoint")
	}
}

func auditFlipBit(b []byte) []byte {
	c := bytes.Clone(b)
	c[len(c)/2] ^= 1
	return c
}

func TestLoadOrCreateSigningKey(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "sub", "audit-signing.key")

	created, err := security.LoadOrCreateSigningKey(path)
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Errorf("mode = %o, want 600", fi.Mode().Perm())
	}
	loaded, err := security.LoadOrCreateSigningKey(path)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if !created.Equal(loaded) {
		t.Error("second call returned a different key, want the stored one")
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want only the key (no temporary files)", len(entries))
	}

	// An outside verifier can read the public key with standard tools.
	data, _ := os.ReadFile(path)
	block, _ := pem.Decode(data)
	if block == nil || block.Type != "PRIVATE KEY" {
		t.Fatalf("key file is not a PEM PRIVATE KEY block:\n%s", data)
	}
}

func TestLoadOrCreateSigningKeyRefuses(t *testing.T) {
	ecKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ecDER, err := x509.MarshalPKCS8PrivateKey(ecKey)
	if err != nil {
		t.Fatal(err)
	}
	ecPEM := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: ecDER})
	good := func(t *testing.T) []byte {
		p := filepath.Join(t.TempDir(), "k")
		if _, err := security.LoadOrCreateSigningKey(p); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(p)
		return b
	}

	tests := []struct {
		name    string
		content func(t *testing.T) []byte
		mode    os.FileMode
		wantErr string
		unix    bool // the check relies on Unix permission bits
	}{
		{"group readable", good, 0o640, "has mode 0640; run: chmod 600", true},
		{"world readable", good, 0o604, "has mode 0604; run: chmod 600", true},
		{"group writable", good, 0o620, "has mode 0620; run: chmod 600", true},
		{"not PEM", func(*testing.T) []byte { return []byte("hello") }, 0o600, "no PEM PRIVATE KEY block", false},
		{"not Ed25519", func(*testing.T) []byte { return ecPEM }, 0o600, "not Ed25519", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.unix && runtime.GOOS == "windows" {
				t.Skip("no Unix permission bits on windows")
			}
			path := filepath.Join(t.TempDir(), "audit-signing.key")
			if err := os.WriteFile(path, tt.content(t), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, tt.mode); err != nil {
				t.Fatal(err)
			}
			before, _ := os.ReadFile(path)
			_, err := security.LoadOrCreateSigningKey(path)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
			}
			if tt.unix && !errors.Is(err, security.ErrKeyPermissions) {
				t.Errorf("err = %v, want it to wrap ErrKeyPermissions", err)
			}
			if !strings.HasPrefix(err.Error(), "security: ") {
				t.Errorf("err = %q, want the security: prefix", err)
			}
			after, _ := os.ReadFile(path)
			if !bytes.Equal(before, after) {
				t.Error("the refused key file was changed, want it left alone")
			}
		})
	}
}
