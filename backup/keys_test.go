package backup

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"
)

func TestEnsureIdentity(t *testing.T) {
	dir := t.TempDir()
	recPath, idPath := filepath.Join(dir, RecipientsName), filepath.Join(dir, IdentityName)

	created, err := EnsureIdentity(dir)
	if err != nil || !created {
		t.Fatalf("first EnsureIdentity = %v, %v; want true, nil", created, err)
	}
	for path, want := range map[string]os.FileMode{recPath: 0o644, idPath: 0o600} {
		info, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode().Perm() != want {
			t.Errorf("%s mode = %v, want %v", filepath.Base(path), info.Mode().Perm(), want)
		}
	}
	ids, err := LoadIdentities(idPath)
	if err != nil {
		t.Fatal(err)
	}
	recs, err := LoadRecipients(recPath)
	if err != nil {
		t.Fatal(err)
	}
	if len(ids) != 1 || len(recs) != 1 {
		t.Fatalf("got %d identities and %d recipients, want 1 and 1", len(ids), len(recs))
	}
	if got, want := recs[0].(*age.X25519Recipient).String(), ids[0].(*age.X25519Identity).Recipient().String(); got != want {
		t.Errorf("recipient %s does not belong to the identity (%s)", got, want)
	}

	// Extra recipients added by hand survive, and the identity may leave the server.
	other, _ := age.GenerateX25519Identity()
	edited := "# office laptop\n" + other.Recipient().String() + "\n"
	b, _ := os.ReadFile(recPath)
	if err := os.WriteFile(recPath, append(b, edited...), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(idPath); err != nil {
		t.Fatal(err)
	}
	created, err = EnsureIdentity(dir)
	if err != nil || created {
		t.Fatalf("second EnsureIdentity = %v, %v; want false, nil", created, err)
	}
	if after, _ := os.ReadFile(recPath); string(after) != string(b)+edited {
		t.Errorf("recipients file was rewritten:\n%s", after)
	}
	if _, err := os.Stat(idPath); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a new identity was written after the old one was moved away (err %v)", err)
	}
	if recs, err := LoadRecipients(recPath); err != nil || len(recs) != 2 {
		t.Errorf("LoadRecipients = %d recipients, %v; want 2", len(recs), err)
	}
}

func TestEnsureIdentityDerivesMissingRecipients(t *testing.T) {
	dir := t.TempDir()
	id, _ := age.GenerateX25519Identity()
	if err := os.WriteFile(filepath.Join(dir, IdentityName), []byte(id.String()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	created, err := EnsureIdentity(dir)
	if err != nil || created {
		t.Fatalf("EnsureIdentity = %v, %v; want false, nil", created, err)
	}
	recs, err := LoadRecipients(filepath.Join(dir, RecipientsName))
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 1 || recs[0].(*age.X25519Recipient).String() != id.Recipient().String() {
		t.Errorf("derived recipients %v, want %s", recs, id.Recipient())
	}
}

func TestLoadRecipients(t *testing.T) {
	a, _ := age.GenerateX25519Identity()
	b, _ := age.GenerateX25519Identity()
	pq, _ := age.GenerateHybridIdentity()
	tests := []struct {
		name    string
		content string
		want    int
		wantErr string
	}{
		{"comments and blank lines", "# main\n\n" + a.Recipient().String() + "\n  # spare\n  " + b.Recipient().String() + "  \n", 2, ""},
		{"no recipients", "# nothing here\n\n", 0, "no recipients"},
		{"secret key pasted by mistake", a.String() + "\n", 0, "line 1: not an age X25519 recipient"},
		{"post-quantum recipient", "# ok\n" + pq.Recipient().String() + "\n", 0, "line 2: not an age X25519 recipient"},
		{"garbage", "age1nope\n", 0, "line 1: not an age X25519 recipient"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), RecipientsName)
			if err := os.WriteFile(path, []byte(tt.content), 0o644); err != nil {
				t.Fatal(err)
			}
			recs, err := LoadRecipients(path)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.HasPrefix(err.Error(), "backup: ") {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "AGE-SECRET-KEY") {
					t.Errorf("error echoes a secret key: %v", err)
				}
				return
			}
			if err != nil || len(recs) != tt.want {
				t.Errorf("got %d recipients, err %v; want %d", len(recs), err, tt.want)
			}
		})
	}
	if _, err := LoadRecipients(filepath.Join(t.TempDir(), "missing.txt")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: err = %v, want os.ErrNotExist", err)
	}
}

// The files EnsureIdentity writes work with the age command-line tool.
func TestKeyFilesWorkWithAgeCLI(t *testing.T) {
	age := ageCLI(t)
	dir := t.TempDir()
	if _, err := EnsureIdentity(dir); err != nil {
		t.Fatal(err)
	}
	plain, enc, out := filepath.Join(dir, "plain"), filepath.Join(dir, "enc"), filepath.Join(dir, "out")
	if err := os.WriteFile(plain, []byte("hello"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{
		{"-R", filepath.Join(dir, RecipientsName), "-o", enc, plain},
		{"-d", "-i", filepath.Join(dir, IdentityName), "-o", out, enc},
	} {
		if b, err := exec.Command(age, args...).CombinedOutput(); err != nil {
			t.Fatalf("age %v: %v: %s", args, err, b)
		}
	}
	if b, _ := os.ReadFile(out); string(b) != "hello" {
		t.Errorf("age round trip gave %q", b)
	}
}
