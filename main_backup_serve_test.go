package main

import (
	"bytes"
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"safedesk/backup"
	"safedesk/security"
	"safedesk/store"
)

// bkBuffer is a bytes.Buffer that the server's goroutines may write to.
type bkBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *bkBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *bkBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// bkServe runs `safedesk serve` on a free port until the test stops it
// with the returned function, which reports how serve ended.
func bkServe(t *testing.T, args ...string) (stop func() error, stdout, stderr *bkBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	stdout, stderr = &bkBuffer{}, &bkBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...), stdout, stderr)
	}()
	stopped := false
	stop = func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		select {
		case err := <-done:
			return err
		case <-time.After(30 * time.Second):
			t.Fatal("serve did not stop within 30s of its context ending")
			return nil
		}
	}
	t.Cleanup(func() { stop() })
	deadline := time.After(30 * time.Second)
	for !strings.Contains(stdout.String(), "safedesk: serving") {
		select {
		case err := <-done:
			stopped = true
			t.Fatalf("serve ended before serving: %v\n%s", err, stderr.String())
		case <-deadline:
			t.Fatalf("serve did not start within 30s\n%s", stderr.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	return stop, stdout, stderr
}

// bkWaitCount polls a count in the data folder's database until it
// reaches want, for at most a minute (a bound, not a speed claim).
func bkWaitCount(t *testing.T, dir, query string, want int) {
	t.Helper()
	conn, err := sql.Open("sqlite", "file:"+filepath.Join(dir, backup.DBName)+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	deadline := time.Now().Add(time.Minute)
	n := 0
	for time.Now().Before(deadline) {
		if err := conn.QueryRow(query).Scan(&n); err == nil && n >= want {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s: %d after a minute, want %d", query, n, want)
}

func TestServeFirstStartMakesBackupIdentity(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	stop, _, stderr := bkServe(t, "--data", dir, "--backup-schedule", "off")
	if err := stop(); err != nil {
		t.Fatalf("serve: %v", err)
	}
	idPath := filepath.Join(dir, backup.IdentityName)
	if log := stderr.String(); !strings.Contains(log, "BACKUP IDENTITY CREATED") || !strings.Contains(log, "MOVE "+idPath+" OFF THIS SERVER") {
		t.Errorf("the log does not say loudly to move the identity off the server:\n%s", log)
	}
	for name, mode := range map[string]os.FileMode{backup.IdentityName: 0o600, backup.RecipientsName: 0o644} {
		if info, err := os.Stat(filepath.Join(dir, name)); err != nil || info.Mode().Perm() != mode {
			t.Errorf("%s: %v, %v; want mode %04o", name, info, err, mode)
		}
	}
	if _, err := backup.LoadRecipients(filepath.Join(dir, backup.RecipientsName)); err != nil {
		t.Error(err)
	}

	t.Run("later starts remind that it is still here", func(t *testing.T) {
		stop, _, stderr := bkServe(t, "--data", dir, "--backup-schedule", "off")
		stop()
		if log := stderr.String(); strings.Contains(log, "CREATED") || !strings.Contains(log, "still on this server") {
			t.Errorf("second start log:\n%s", log)
		}
	})
}

func TestServeSchedulesBackupsAndDrills(t *testing.T) {
	dir, _ := bkData(t)
	copyTo := t.TempDir()
	stop, _, stderr := bkServe(t, "--data", dir, "--backup-schedule", "@every 1s", "--backup-keep", "7d",
		"--backup-copy-to", copyTo, "--backup-identity", filepath.Join(dir, backup.IdentityName), "--backup-drill-schedule", "@every 1s")

	t.Run("a server holding the data folder refuses a rotation", func(t *testing.T) {
		_, err := bkRun(t, "keys", "rotate", "--data", dir)
		bkOneLine(t, err, "stop it first")
	})

	bkWaitCount(t, dir, "SELECT count(*) FROM backup_runs WHERE kind = 'backup' AND ok = 1", 3)
	bkWaitCount(t, dir, "SELECT count(*) FROM backup_runs WHERE kind = 'drill' AND ok = 1", 1)
	if err := stop(); err != nil {
		t.Fatalf("serve: %v\n%s", err, stderr.String())
	}

	// Every scheduled backup happened on this UTC day (or two): the 7-day
	// rung keeps the newest of each, in both folders, and nothing else.
	var names [2][]string
	for i, folder := range []string{filepath.Join(dir, "backups"), copyTo} {
		entries, err := backup.List(folder)
		if err != nil {
			t.Fatal(err)
		}
		if _, remove := backup.Select(entries, backup.Policy{Days: 7}, time.Now()); len(remove) > 0 || len(entries) == 0 || len(entries) > 2 {
			t.Errorf("%s holds %d backups, %d beyond the ladder", folder, len(entries), len(remove))
		}
		for _, e := range entries {
			names[i] = append(names[i], e.Name)
		}
	}
	if !slices.Equal(names[0], names[1]) {
		t.Errorf("the copy folder holds %v, the backups folder %v", names[1], names[0])
	}
	if !strings.Contains(stderr.String(), "restore drill passed") {
		t.Error("no drill in the log")
	}
}

func TestServeBackupFailureAlerts(t *testing.T) {
	dir, _ := bkData(t)
	db, err := openStore(t.Context(), dir, "", false, nil)
	if err != nil {
		t.Fatal(err)
	}
	token, err := db.CreateSetupLink(t.Context(), store.SystemActor)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.EnrollStaff(t.Context(), "setup", token, store.Enrollment{Name: "Olive Owner", Email: "olive@example.com",
		UserHandle: []byte("olive-handle-0001"), Passkey: store.NewPasskey{CredentialID: []byte("olive-cred"), Credential: []byte("{}")}},
		store.Actor{Type: store.ActorVisitor}); err != nil {
		t.Fatal(err)
	}
	db.Close()

	stop, _, stderr := bkServe(t, "--data", dir, "--backup-schedule", "@every 1s")
	// Recipients removed while the server runs: the next backup fails.
	if err := os.Remove(filepath.Join(dir, backup.RecipientsName)); err != nil {
		t.Fatal(err)
	}
	bkWaitCount(t, dir, "SELECT count(*) FROM security_events WHERE kind = 'backup.failed' AND severity = 'critical'", 1)
	bkWaitCount(t, dir, "SELECT count(*) FROM backup_runs WHERE kind = 'backup' AND ok = 0", 1)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	log := stderr.String()
	if !strings.Contains(log, "BACKUP ALERT") {
		t.Error("no alert in the log")
	}
	// Development mode: the mail to the owner is written to the log.
	if !strings.Contains(log, `subject="safedesk: backup failed"`) || !strings.Contains(log, security.MaskEmail("olive@example.com")) {
		t.Errorf("no alert mail to the owner in the log:\n%s", log)
	}
}
