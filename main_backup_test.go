package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"safedesk/backup"
	"safedesk/security"
	"safedesk/store"
	"safedesk/web"
	"safedesk/web/mail"
	"safedesk/web/monitor"
)

// bkData makes a data folder as a first start leaves it (database, master
// key, backup identity and recipients) with a few tickets, and returns the
// folder and the subjects of the tickets.
func bkData(t *testing.T) (string, []string) {
	t.Helper()
	dir := t.TempDir()
	db, err := openStore(t.Context(), dir, "", true, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := backup.EnsureIdentity(dir); err != nil {
		t.Fatal(err)
	}
	var subjects []string
	for i := range 3 {
		s := fmt.Sprintf("Order %d has not arrived", 1000+i)
		if _, err := db.CreateTicket(t.Context(), store.NewTicket{Email: fmt.Sprintf("c%d@example.com", i), Name: "Customer", Subject: s, Body: "Where is it?"},
			store.Actor{Type: store.ActorVisitor}); err != nil {
			t.Fatal(err)
		}
		subjects = append(subjects, s)
	}
	return dir, subjects
}

// bkRun runs a command line and returns its standard output.
func bkRun(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(t.Context(), args, &out, &errOut)
	return out.String(), err
}

// bkCreate runs `backup create` and returns the path on its last line.
func bkCreate(t *testing.T, dir string, extra ...string) string {
	t.Helper()
	out, err := bkRun(t, append([]string{"backup", "create", "--data", dir}, extra...)...)
	if err != nil {
		t.Fatalf("backup create: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	path := lines[len(lines)-1]
	if !filepath.IsAbs(path) {
		t.Fatalf("last line %q is not an absolute path", path)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("last line names no file: %v", err)
	}
	return path
}

// bkOneLine fails unless err is an error printed on one line.
func bkOneLine(t *testing.T, err error, want string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one containing %q", want)
	}
	if msg := err.Error(); strings.Contains(msg, "\n") || !strings.Contains(msg, want) {
		t.Fatalf("error %q: want one line containing %q", msg, want)
	}
}

// bkAgeCLI returns the age command, skipping where it is missing (and
// failing instead when CI is set).
func bkAgeCLI(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("age")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("age command-line tool not found, and CI is set: install it (apt-get install age)")
		}
		t.Skip("age command-line tool not found: install it (apt-get install age) to run this test")
	}
	return p
}

func bkSHA(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func TestBackupCreateWhileWritingDecryptsWithAgeCLI(t *testing.T) {
	ageBin := bkAgeCLI(t)
	dir, _ := bkData(t)
	db, err := openStore(t.Context(), dir, "", false, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	// A writer keeps adding tickets (bounded) while the backup runs.
	stop, done := make(chan struct{}), make(chan error, 1)
	go func() {
		for i := range 500 {
			select {
			case <-stop:
				done <- nil
				return
			default:
			}
			if _, err := db.CreateTicket(context.Background(), store.NewTicket{Email: "w@example.com", Name: "Writer", Subject: fmt.Sprintf("Busy %d", i), Body: "x"},
				store.Actor{Type: store.ActorVisitor}); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	path := bkCreate(t, dir)
	close(stop)
	if err := <-done; err != nil {
		t.Fatalf("writer failed during the backup: %v", err)
	}

	// The documented command: age -d -i backup-identity.txt FILE > safedesk.db
	plain := filepath.Join(t.TempDir(), "safedesk.db")
	out, err := os.Create(plain)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(ageBin, "-d", "-i", filepath.Join(dir, backup.IdentityName), path)
	cmd.Stdout = out
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("age -d: %v: %s", err, stderr.String())
	}
	out.Close()
	conn, err := sql.Open("sqlite", "file:"+plain+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var check string
	var tickets, version int
	if err := conn.QueryRow("PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Fatalf("integrity_check = %q, %v", check, err)
	}
	if err := conn.QueryRow("SELECT count(*) FROM tickets").Scan(&tickets); err != nil || tickets < 3 {
		t.Errorf("tickets in the backup: %d, %v; want at least the 3 made before it", tickets, err)
	}
	if err := conn.QueryRow("PRAGMA user_version").Scan(&version); err != nil || version != store.SchemaVersion() {
		t.Errorf("schema version %d, %v; want %d", version, err, store.SchemaVersion())
	}
	if err := store.CheckAuditLog(nil)(t.Context(), conn); err != nil {
		t.Errorf("audit chain of the backup: %v", err)
	}

	t.Run("no plaintext is left beside the backups", func(t *testing.T) {
		des, _ := os.ReadDir(filepath.Dir(path))
		for _, de := range des {
			if !strings.HasSuffix(de.Name(), ".db.age") && !strings.HasSuffix(de.Name(), ".db.age.json") {
				t.Errorf("unexpected file %s in the backups folder", de.Name())
			}
		}
	})
	t.Run("list shows it", func(t *testing.T) {
		out, err := bkRun(t, "backup", "list", "--data", dir)
		if err != nil || !strings.Contains(out, path) {
			t.Errorf("backup list = %q, %v; want %s in it", out, err, path)
		}
	})
	t.Run("verify passes, flags after the file", func(t *testing.T) {
		out, err := bkRun(t, "backup", "verify", path, "--identity", filepath.Join(dir, backup.IdentityName), "--data", dir)
		if err != nil || !strings.HasPrefix(out, "ok: ") {
			t.Errorf("backup verify = %q, %v", out, err)
		}
	})
	t.Run("a signed audit checkpoint precedes the snapshot", func(t *testing.T) {
		cps, err := db.ListCheckpoints(t.Context(), 1)
		if err != nil || len(cps) != 1 || cps[0].Reason != store.CheckpointBackup {
			t.Fatalf("newest checkpoint %+v, %v; want one made for the backup", cps, err)
		}
		m, err := backup.List(filepath.Dir(path))
		if err != nil || len(m) != 1 || m[0].Manifest == nil || m[0].Manifest.AuditHead != hex.EncodeToString(cps[0].Hash) {
			t.Errorf("manifest audit head does not name the checkpointed head")
		}
	})
	t.Run("the backup and a CLI verify are recorded", func(t *testing.T) {
		for _, kind := range []string{store.BackupKindBackup, store.BackupKindVerify} {
			r, err := db.LastBackupRun(t.Context(), kind, true)
			if err != nil || r.File != filepath.Base(path) || r.Source != store.BackupSourceCLI {
				t.Errorf("last %s run = %+v, %v", kind, r, err)
			}
		}
	})
}

func TestBackupVerifyFailures(t *testing.T) {
	dir, _ := bkData(t)
	good := bkCreate(t, dir)
	id := filepath.Join(dir, backup.IdentityName)
	otherDir := t.TempDir()
	if _, err := backup.EnsureIdentity(otherDir); err != nil {
		t.Fatal(err)
	}
	copyTo := func(t *testing.T, damage func(string)) string {
		t.Helper()
		p := filepath.Join(t.TempDir(), filepath.Base(good))
		for _, suffix := range []string{"", ".json"} {
			b, err := os.ReadFile(good + suffix)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p+suffix, b, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		damage(p)
		return p
	}
	flip := func(p string) {
		b, _ := os.ReadFile(p)
		b[len(b)/2] ^= 0x01
		os.WriteFile(p, b, 0o600)
	}
	truncate := func(p string) {
		info, _ := os.Stat(p)
		os.Truncate(p, info.Size()/2)
	}
	noManifest := func(p string) { os.Remove(p + ".json") }
	tests := []struct {
		name     string
		file     string
		identity string
		want     string
		is       error
	}{
		{"wrong identity", good, filepath.Join(otherDir, backup.IdentityName), "wrong identity", backup.ErrWrongIdentity},
		{"a flipped byte", copyTo(t, flip), id, "backup:", nil},
		{"a flipped byte without manifest", copyTo(t, func(p string) { noManifest(p); flip(p) }), id, "corrupt or truncated", backup.ErrCorrupt},
		{"truncated", copyTo(t, truncate), id, "backup:", nil},
		{"missing file", filepath.Join(t.TempDir(), "nope.db.age"), id, "no such file", nil},
	}
	before := bkSHA(t, good)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, err := bkRun(t, "backup", "verify", tt.file, "--identity", tt.identity, "--data", dir)
			bkOneLine(t, err, tt.want)
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %v, want %v", err, tt.is)
			}
			if out != "" {
				t.Errorf("printed %q on failure", out)
			}
		})
	}
	if bkSHA(t, good) != before {
		t.Error("a failed verify changed the backup")
	}
	t.Run("no identity is a usage error", func(t *testing.T) {
		_, err := bkRun(t, "backup", "verify", good, "--data", dir)
		var u usageError
		if !errors.As(err, &u) {
			t.Errorf("error %v, want a usage error", err)
		}
	})
}

func TestBackupRestoreRoundTrip(t *testing.T) {
	dir, subjects := bkData(t)
	file := bkCreate(t, dir)
	id := filepath.Join(dir, backup.IdentityName)
	target := t.TempDir()

	t.Run("without master.key in the target it refuses", func(t *testing.T) {
		_, err := bkRun(t, "backup", "restore", file, "--identity", id, "--data", target)
		bkOneLine(t, err, "master.key missing")
		if _, err := os.Stat(filepath.Join(target, backup.DBName)); !errors.Is(err, os.ErrNotExist) {
			t.Error("a database appeared in the target")
		}
	})
	key, err := os.ReadFile(filepath.Join(dir, "master.key"))
	if err != nil {
		t.Fatal(err)
	}
	if err := security.WriteKeyFile(filepath.Join(target, "master.key"), key); err != nil {
		t.Fatal(err)
	}
	out, err := bkRun(t, "backup", "restore", file, "--identity", id, "--data", target)
	if err != nil {
		t.Fatalf("restore: %v", err)
	}
	if !strings.Contains(out, "safedesk serve --data "+target) {
		t.Errorf("restore output %q does not say how to start", out)
	}

	t.Run("the tickets read back through the server", func(t *testing.T) {
		db, err := openStore(t.Context(), target, "", false, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if e, err := db.ListAudit(t.Context(), store.AuditFilter{Action: "backup.restored"}); err != nil || len(e) != 1 {
			t.Errorf("backup.restored audit entries: %d, %v", len(e), err)
		}
		log := slog.New(slog.DiscardHandler)
		sender, _ := mail.New("", "", log)
		outbox := mail.NewOutbox(sender, log)
		base, _ := url.Parse("http://localhost")
		mon, err := monitor.New(t.Context(), db, outbox, log, monitor.Options{Site: mail.Site{BaseURL: base}})
		if err != nil {
			t.Fatal(err)
		}
		srv, err := web.New(web.Config{BaseURL: base}, db, outbox, mon, log)
		if err != nil {
			t.Fatal(err)
		}
		ts := httptest.NewServer(srv)
		defer ts.Close()
		jar, _ := cookiejar.New(nil)
		c := &http.Client{Jar: jar}
		code, err := db.IssueCode(t.Context(), "c1@example.com", store.Actor{Type: store.ActorVisitor})
		if err != nil {
			t.Fatal(err)
		}
		resp, err := c.PostForm(ts.URL+"/verify", url.Values{"email": {"c1@example.com"}, "code": {code}})
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if !strings.Contains(string(body), subjects[1]) {
			t.Errorf("the customer's tickets page (status %d) lacks %q", resp.StatusCode, subjects[1])
		}
		if strings.Contains(string(body), subjects[0]) {
			t.Errorf("the customer's tickets page shows another customer's ticket")
		}
	})

	live := filepath.Join(target, backup.DBName)
	liveSum := bkSHA(t, live)
	t.Run("a live folder is refused without --force", func(t *testing.T) {
		_, err := bkRun(t, "backup", "restore", file, "--identity", id, "--data", target)
		bkOneLine(t, err, "live database")
		if bkSHA(t, live) != liveSum {
			t.Error("the refused restore changed the database")
		}
	})
	t.Run("a running server's folder is refused even with --force", func(t *testing.T) {
		release, err := lockDataDir(target, false)
		if err != nil {
			t.Fatal(err)
		}
		defer release()
		_, err = bkRun(t, "backup", "restore", file, "--identity", id, "--data", target, "--force")
		bkOneLine(t, err, "stop it first")
	})
	t.Run("--force keeps a safety copy", func(t *testing.T) {
		out, err := bkRun(t, "backup", "restore", "--force", file, "--identity", id, "--data", target)
		if err != nil {
			t.Fatal(err)
		}
		matches, _ := filepath.Glob(live + ".pre-restore-*")
		if len(matches) != 1 || !strings.Contains(out, matches[0]) {
			t.Fatalf("safety copies %v; output %q", matches, out)
		}
		if bkSHA(t, matches[0]) != liveSum {
			t.Error("the safety copy differs from the database it replaced")
		}
	})
}
