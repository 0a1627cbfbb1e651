package main

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"safedesk/backup"
	"safedesk/store"
)

// writeTestCert writes a self-signed certificate for names and its key
// into dir, valid from an hour ago for 90 days.
func writeTestCert(t *testing.T, dir string, names ...string) (certFile, keyFile string, serial *big.Int) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ = rand.Int(rand.Reader, big.NewInt(1<<62))
	now := time.Now()
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: names[0]}, DNSNames: names,
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(90 * 24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalPKCS8PrivateKey(key)
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	for file, b := range map[string]*pem.Block{certFile: {Type: "CERTIFICATE", Bytes: der}, keyFile: {Type: "PRIVATE KEY", Bytes: keyDER}} {
		if err := os.WriteFile(file+".new", pem.EncodeToMemory(b), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(file+".new", file); err != nil {
			t.Fatal(err)
		}
	}
	return certFile, keyFile, serial
}

// newDataFolder makes a data folder as a first start of the server does:
// database, master key, and the backup identity and recipients.
func newDataFolder(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "data")
	db, err := openStore(context.Background(), dir, "", true, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	if _, err := backup.EnsureIdentity(dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

// doctorLines runs the doctor and returns its verdicts by check name.
func doctorLines(t *testing.T, args ...string) (map[string]string, string, error) {
	t.Helper()
	var out bytes.Buffer
	err := run(context.Background(), append([]string{"doctor"}, args...), &out, &bytes.Buffer{})
	var u usageError
	if errors.As(err, &u) {
		t.Fatalf("usage error: %v", err)
	}
	verdicts := map[string]string{}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	for _, l := range lines[:len(lines)-1] {
		f := strings.Fields(l)
		if len(f) < 3 || (f[0] != "PASS" && f[0] != "WARN" && f[0] != "FAIL") {
			t.Fatalf("not a check line: %q", l)
		}
		if f[0] != "PASS" && !strings.Contains(l, " — fix: ") {
			t.Errorf("%s without a fix: %q", f[0], l)
		}
		verdicts[f[1]] = f[0]
	}
	return verdicts, out.String(), err
}

func TestDoctorDevelopmentSetup(t *testing.T) {
	dir := newDataFolder(t)
	got, out, err := doctorLines(t, "--data", dir)
	if err == nil || !strings.Contains(err.Error(), "checks failed") {
		t.Fatalf("got %v, want a failure (exit 1)\n%s", err, out)
	}
	want := map[string]string{
		"tls": "FAIL", "base-url": "FAIL", "backup-identity": "FAIL", "backups": "FAIL", "smtp": "FAIL",
		"backup-verify": "WARN",
		"master-key":    "PASS", "data-folder": "PASS", "database": "PASS", "audit": "PASS",
		"retention": "PASS", "notifications": "PASS",
	}
	for name, v := range want {
		if got[name] != v {
			t.Errorf("%s: %s, want %s", name, got[name], v)
		}
	}
	if !strings.Contains(out, "failed\n") {
		t.Errorf("no summary line:\n%s", out)
	}
	t.Run("a key others may read fails", func(t *testing.T) {
		os.Chmod(filepath.Join(dir, "master.key"), 0o644)
		defer os.Chmod(filepath.Join(dir, "master.key"), 0o600)
		got, out, _ := doctorLines(t, "--data", dir)
		if got["master-key"] != "FAIL" || !strings.Contains(out, "chmod 600") {
			t.Errorf("master-key %s\n%s", got["master-key"], out)
		}
	})
	t.Run("a data folder others may read fails", func(t *testing.T) {
		os.Chmod(dir, 0o755)
		defer os.Chmod(dir, 0o700)
		os.Chmod(filepath.Join(dir, "safedesk.db"), 0o644)
		if got, _, _ := doctorLines(t, "--data", dir); got["data-folder"] != "FAIL" {
			t.Errorf("data-folder %s", got["data-folder"])
		}
	})
	t.Run("a broken audit chain fails", func(t *testing.T) {
		broken := filepath.Join(t.TempDir(), "data")
		copyDir(t, dir, broken)
		db, err := openStore(context.Background(), broken, "", false, nil)
		if err != nil {
			t.Fatal(err)
		}
		db.RecordAudit(context.Background(), store.SystemActor, "test.entry", "test", nil)
		// Tampering as an attacker with the file would: triggers off.
		db.Writer().Exec("DROP TRIGGER audit_log_no_update")
		if _, err := db.Writer().Exec("UPDATE audit_log SET action = 'test.forged' WHERE action = 'test.entry'"); err != nil {
			t.Fatal(err)
		}
		db.Close()
		if got, _, _ := doctorLines(t, "--data", broken); got["audit"] != "FAIL" {
			t.Errorf("audit %s", got["audit"])
		}
	})
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	if err := os.CopyFS(to, os.DirFS(from)); err != nil {
		t.Fatal(err)
	}
	os.Chmod(to, 0o700)
	os.Chmod(filepath.Join(to, "master.key"), 0o600)
}

func TestDoctorProductionSetup(t *testing.T) {
	ctx := context.Background()
	// This test is about the deployment; TestDoctorToolchain checks the Go
	// release the binary was built with.
	defer func(v string) { doctorMinGo = v }(doctorMinGo)
	doctorMinGo = runtime.Version()

	dir := newDataFolder(t)
	offServer := t.TempDir()
	idFile := filepath.Join(dir, backup.IdentityName)
	if err := os.Rename(idFile, filepath.Join(offServer, backup.IdentityName)); err != nil {
		t.Fatal(err)
	}
	cfg := defaultConfig()
	cfg.Data = dir
	key, err := auditSigningKey(cfg)
	if err != nil {
		t.Fatal(err)
	}
	db, err := openStore(ctx, dir, "", false, nil)
	if err != nil {
		t.Fatal(err)
	}
	db.RecordAudit(ctx, store.SystemActor, "test.started", "test", nil)
	if _, err := db.Checkpoint(ctx, key, "manual"); err != nil {
		t.Fatal(err)
	}
	recs, err := backup.LoadRecipients(filepath.Join(dir, backup.RecipientsName))
	if err != nil {
		t.Fatal(err)
	}
	src, err := db.OpenSnapshotSource()
	if err != nil {
		t.Fatal(err)
	}
	m, err := backup.Create(ctx, src, backup.CreateOptions{Dir: filepath.Join(dir, "backups"), Recipients: recs, SchemaVersion: store.SchemaVersion()})
	src.Close()
	if err != nil {
		t.Fatal(err)
	}
	ids, err := backup.LoadIdentities(filepath.Join(offServer, backup.IdentityName))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := backup.Verify(ctx, filepath.Join(dir, "backups", m.File), ids); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for _, kind := range []string{store.BackupKindBackup, store.BackupKindVerify} {
		if _, err := db.RecordBackupRun(ctx, store.BackupRun{Kind: kind, Source: store.BackupSourceCLI, StartedAt: now, FinishedAt: now, OK: true, File: m.File}, cliActor); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	cert, certKey, _ := writeTestCert(t, t.TempDir(), "help.example.com")

	got, out, err := doctorLines(t, "--data", dir, "--base-url", "https://help.example.com",
		"--tls-cert", cert, "--tls-key", certKey,
		"--smtp", "smtps://mailer:s3cret-pass@mail.example.com:465", "--mail-from", "support@example.com")
	if err != nil {
		t.Fatalf("doctor failed: %v\n%s", err, out)
	}
	for name, v := range got {
		if v != "PASS" {
			t.Errorf("%s: %s", name, v)
		}
	}
	if len(got) != 13 {
		t.Errorf("%d checks, want 13:\n%s", len(got), out)
	}
	if strings.Contains(out, "s3cret-pass") {
		t.Error("the doctor printed the SMTP password")
	}
}

func TestDoctorToolchain(t *testing.T) {
	defer func(v string) { doctorMinGo = v }(doctorMinGo)
	d := &doctor{now: time.Now()}
	doctorMinGo = "go1.999.0"
	if c := d.binary(); c.Status != "WARN" || !strings.Contains(c.Detail, "older than go1.999.0") {
		t.Errorf("a binary built with an old Go: %+v", c)
	}
	doctorMinGo = "go1.1"
	if c := d.binary(); c.Status != "PASS" || !strings.Contains(c.Detail, runtime.Version()) {
		t.Errorf("a fresh binary: %+v", c)
	}
}
