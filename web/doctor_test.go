package web

import (
	"bytes"
	"context"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"safedesk/backup"
	"safedesk/store"
	"safedesk/store/storetest"
)

// doctorFolder makes a data folder as a first start of the server does:
// database, master key, and the backup identity and recipients.
func doctorFolder(t *testing.T) string {
	t.Helper()
	dir, _ := storetest.DataFolder(t, 0)
	if _, err := backup.EnsureIdentity(dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

// devInput is the doctor's input for a server started with no flags but
// --data.
func devInput(t *testing.T, dir string) DoctorInput {
	t.Helper()
	base, _ := url.Parse("http://localhost:8080")
	o := backup.DefaultOptions()
	if err := o.Validate(); err != nil {
		t.Fatal(err)
	}
	return DoctorInput{Data: dir, Addr: "127.0.0.1:8080", BaseURL: base, Backup: o, RetentionSchedule: "30 3 * * *",
		Privacy: PrivacyConfig{Retention: store.Retention{ResolvedTickets: 730 * 24 * time.Hour, SecurityEvents: 90 * 24 * time.Hour}}}
}

// verdicts runs the checks and returns them by name, failing on a check
// that does not pass yet offers no fix.
func verdicts(t *testing.T, in DoctorInput) map[string]DoctorCheck {
	t.Helper()
	got := map[string]DoctorCheck{}
	for _, c := range Diagnose(context.Background(), in, time.Now()) {
		if c.Status != CheckPass && c.Fix == "" {
			t.Errorf("%s %s without a fix: %s", c.Status, c.Name, c.Detail)
		}
		got[c.Name] = c
	}
	return got
}

func TestDiagnoseDevelopmentSetup(t *testing.T) {
	dir := doctorFolder(t)
	in := devInput(t, dir)
	got := verdicts(t, in)
	want := map[string]string{
		"tls": CheckFail, "base-url": CheckFail, "backup-identity": CheckFail, "backups": CheckFail, "smtp": CheckFail,
		"backup-verify": CheckWarn,
		"master-key":    CheckPass, "data-folder": CheckPass, "database": CheckPass, "audit": CheckPass,
		"retention": CheckPass, "notifications": CheckPass, "proxy": CheckPass,
	}
	for name, v := range want {
		if got[name].Status != v {
			t.Errorf("%s: %s, want %s (%s)", name, got[name].Status, v, got[name].Detail)
		}
	}
	t.Run("a key others may read fails", func(t *testing.T) {
		key := filepath.Join(dir, store.MasterKeyName)
		if err := os.Chmod(key, 0o644); err != nil {
			t.Fatal(err)
		}
		defer os.Chmod(key, 0o600)
		if c := verdicts(t, in)["master-key"]; c.Status != CheckFail || !strings.Contains(c.Fix, "chmod 600") {
			t.Errorf("master-key %+v", c)
		}
	})
	t.Run("a data folder others may read fails", func(t *testing.T) {
		if err := os.Chmod(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		defer os.Chmod(dir, 0o700)
		db := filepath.Join(dir, store.DBName)
		if err := os.Chmod(db, 0o644); err != nil {
			t.Fatal(err)
		}
		defer os.Chmod(db, 0o600)
		if c := verdicts(t, in)["data-folder"]; c.Status != CheckFail {
			t.Errorf("data-folder %+v", c)
		}
	})
	t.Run("a broken audit chain fails", func(t *testing.T) {
		broken := filepath.Join(t.TempDir(), "data")
		if err := os.CopyFS(broken, os.DirFS(dir)); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(broken, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(filepath.Join(broken, store.MasterKeyName), 0o600); err != nil {
			t.Fatal(err)
		}
		db, err := store.OpenDir(context.Background(), broken, "", false, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.RecordAudit(context.Background(), store.SystemActor, "test.entry", "test", nil); err != nil {
			t.Fatal(err)
		}
		// Tampering as an attacker with the file would: triggers off.
		if _, err := storetest.Raw(t, db).Exec("DROP TRIGGER audit_log_no_update"); err != nil {
			t.Fatal(err)
		}
		if _, err := storetest.Raw(t, db).Exec("UPDATE audit_log SET action = 'test.forged' WHERE action = 'test.entry'"); err != nil {
			t.Fatal(err)
		}
		db.Close()
		in := devInput(t, broken)
		if c := verdicts(t, in)["audit"]; c.Status != CheckFail || !strings.Contains(c.Detail, "broken at seq") {
			t.Errorf("audit %+v", c)
		}
	})
}

func TestDiagnoseProductionSetup(t *testing.T) {
	ctx := context.Background()
	dir := doctorFolder(t)
	offServer := t.TempDir()
	if err := os.Rename(filepath.Join(dir, backup.IdentityName), filepath.Join(offServer, backup.IdentityName)); err != nil {
		t.Fatal(err)
	}
	db, err := store.OpenDir(ctx, dir, "", false, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	svc, err := backup.New(ctx, backup.DefaultOptions(), backup.Deps{DB: db, DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	m, err := svc.Run(ctx, store.BackupSourceCLI, store.CLIActor) // signs a checkpoint first
	if err != nil {
		t.Fatal(err)
	}
	if _, err := backup.VerifyFile(ctx, filepath.Join(svc.Status().Dir, m.File), backup.Decrypt{Identity: filepath.Join(offServer, backup.IdentityName)}, dir, ""); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	cert, key, _ := writeCert(t, t.TempDir(), now.Add(-time.Hour), now.Add(90*24*time.Hour), "help.example.com")
	in := devInput(t, dir)
	in.BaseURL, _ = url.Parse("https://help.example.com")
	in.TLS = TLSOptions{Cert: cert, Key: key}
	in.SMTP = "smtps://mailer:s3cret-pass@mail.example.com:465"
	in.Email = tlsMailbox(t, "mx.google.com")
	// This test is about the deployment; TestDoctorToolchain checks the Go
	// release the binary was built with.
	in.MinGo = runtime.Version()

	for _, open := range []*store.DB{nil, db} { // the command line, the settings page
		in.DB = open
		got := verdicts(t, in)
		for name, c := range got {
			// A test cannot run under a systemd unit: TestReadSandbox
			// checks the service check's pass.
			if c.Status != CheckPass && name != "service" {
				t.Errorf("%s: %s %s", name, c.Status, c.Detail)
			}
		}
		want := 18 // the command line also opens the database: one check more
		if open == nil {
			want = 19
		}
		if len(got) != want {
			t.Errorf("%d checks, want %d", len(got), want)
		}
		var out bytes.Buffer
		if _, err := WriteChecks(&out, Diagnose(ctx, in, now)); err != nil || strings.Contains(out.String(), "s3cret-pass") {
			t.Errorf("the SMTP password is in the report (%v):\n%s", err, out.String())
		}
	}
}

func TestDoctorToolchain(t *testing.T) {
	d := &doctor{now: time.Now(), in: DoctorInput{MinGo: "go1.999.0"}}
	if c := d.binary(); c.Status != CheckWarn || !strings.Contains(c.Detail, "older than go1.999.0") {
		t.Errorf("a binary built with an old Go: %+v", c)
	}
	d.in.MinGo = "go1.1"
	if c := d.binary(); c.Status != CheckPass || !strings.Contains(c.Detail, runtime.Version()) {
		t.Errorf("a fresh binary: %+v", c)
	}
}

func TestWriteChecks(t *testing.T) {
	var out bytes.Buffer
	failed, err := WriteChecks(&out, []DoctorCheck{
		{Name: "tls", Status: CheckPass, Detail: "HTTPS served here"},
		{Name: "backup-identity", Status: CheckWarn, Detail: "on the server", Fix: "move it"},
		{Name: "smtp", Status: CheckFail, Detail: "development mode", Fix: "set --smtp"},
	})
	want := "PASS  tls              HTTPS served here\n" +
		"WARN  backup-identity  on the server — fix: move it\n" +
		"FAIL  smtp             development mode — fix: set --smtp\n" +
		"1 passed, 1 warnings, 1 failed\n"
	if err != nil || failed != 1 || out.String() != want {
		t.Errorf("WriteChecks = %d, %v:\n%s\nwant:\n%s", failed, err, out.String(), want)
	}
}

func TestDoctorCachesForTheSettingsPage(t *testing.T) {
	dir := doctorFolder(t)
	d := NewDoctor(devInput(t, dir))
	first := d.Checks(context.Background())
	if err := os.Chmod(filepath.Join(dir, store.MasterKeyName), 0o644); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(filepath.Join(dir, store.MasterKeyName), 0o600)
	again := d.Checks(context.Background())
	if len(first) == 0 || &again[0] != &first[0] {
		t.Error("a second look within minutes ran the checks again")
	}
}
