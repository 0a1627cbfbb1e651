package security

import (
	"os"
	"path/filepath"
	"testing"
)

// TestMasterKeyFromSystemdCredentials: a key that systemd passed with
// LoadCredential= shows group read (its ACL entry for the service user)
// and is accepted there, and only there; other bits are refused anyway.
func TestMasterKeyFromSystemdCredentials(t *testing.T) {
	creds, elsewhere := t.TempDir(), t.TempDir()
	key := make([]byte, KeySize)
	for _, dir := range []string{creds, elsewhere} {
		if err := os.WriteFile(filepath.Join(dir, "master.key"), key, 0o440); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(filepath.Join(dir, "master.key"), 0o440); err != nil {
			t.Fatal(err)
		}
	}
	t.Setenv("CREDENTIALS_DIRECTORY", creds)
	if _, _, err := LoadMasterKey(filepath.Join(creds, "master.key"), false); err != nil {
		t.Errorf("credential with an ACL mask: %v", err)
	}
	if _, _, err := LoadMasterKey(filepath.Join(elsewhere, "master.key"), false); err == nil {
		t.Error("a group-readable key outside the credentials folder was accepted")
	}
	if err := os.Chmod(filepath.Join(creds, "master.key"), 0o444); err != nil {
		t.Fatal(err)
	}
	if _, _, err := LoadMasterKey(filepath.Join(creds, "master.key"), false); err == nil {
		t.Error("a world-readable credential was accepted")
	}
}
