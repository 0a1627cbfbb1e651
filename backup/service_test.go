package backup

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/robfig/cron/v3"

	"safedesk/security"
	"safedesk/store"
	"safedesk/store/storetest"
)

func TestServiceBackupWhileWritingDecryptsWithAgeCLI(t *testing.T) {
	ageBin := ageCLI(t)
	dir, _ := dataFolder(t)
	db := storetest.Open(t, dir)
	svc, err := New(t.Context(), DefaultOptions(), Deps{DB: db, DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}

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
	m, err := svc.Run(t.Context(), store.BackupSourceCLI, store.CLIActor)
	close(stop)
	if err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatalf("writer failed during the backup: %v", err)
	}
	path := filepath.Join(svc.Status().Dir, m.File)

	// The documented command: age -d -i backup-identity.txt FILE > safedesk.db
	plain := filepath.Join(t.TempDir(), DBName)
	cmd := exec.Command(ageBin, "-d", "-i", filepath.Join(dir, IdentityName), "-o", plain, path)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("age -d: %v: %s", err, out)
	}
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
		for _, name := range names(t, filepath.Dir(path)) {
			if !strings.HasSuffix(name, ".db.age") && !strings.HasSuffix(name, ".db.age.json") {
				t.Errorf("unexpected file %s in the backups folder", name)
			}
		}
	})
	t.Run("a signed audit checkpoint precedes the snapshot", func(t *testing.T) {
		cps, err := db.ListCheckpoints(t.Context(), 1)
		if err != nil || len(cps) != 1 || cps[0].Reason != store.CheckpointBackup {
			t.Fatalf("newest checkpoint %+v, %v; want one made for the backup", cps, err)
		}
		if m.AuditHead != hex.EncodeToString(cps[0].Hash) {
			t.Errorf("manifest audit head does not name the checkpointed head")
		}
	})
	t.Run("the run is recorded", func(t *testing.T) {
		r, err := db.LastBackupRun(t.Context(), store.BackupKindBackup, true)
		if err != nil || r.File != m.File || r.Source != store.BackupSourceCLI {
			t.Errorf("last run = %+v, %v", r, err)
		}
	})
}

// TestServiceRetentionBothFolders runs the service over three simulated
// days with a 2-day ladder: each folder keeps exactly the ladder.
func TestServiceRetentionBothFolders(t *testing.T) {
	dir, _ := dataFolder(t)
	copyTo := t.TempDir()
	var mu sync.Mutex
	now := time.Date(2026, 3, 2, 3, 0, 0, 0, time.UTC)
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	ring, _, err := security.LoadMasterKey(filepath.Join(dir, MasterKeyName), false)
	if err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(t.Context(), filepath.Join(dir, DBName), ring, store.Options{Now: clock})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	o := DefaultOptions()
	o.CopyTo, o.Keep = copyTo, "2d"
	svc, err := New(t.Context(), o, Deps{DB: db, DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	var made []string
	for day := range 3 {
		for hour := range 2 {
			mu.Lock()
			now = time.Date(2026, 3, 2+day, 3+hour, 0, 0, 0, time.UTC)
			mu.Unlock()
			m, err := svc.Run(t.Context(), store.BackupSourceSchedule, store.SystemActor)
			if err != nil {
				t.Fatal(err)
			}
			made = append(made, m.File)
		}
	}
	// Days 3 and 4 keep their newest (04:00) backups; everything else goes.
	want := []string{made[5], made[3]}
	for _, folder := range []string{svc.Status().Dir, copyTo} {
		entries, err := List(folder)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range entries {
			got = append(got, e.Name)
		}
		if strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("%s keeps %v, want %v", folder, got, want)
		}
	}
}

func TestServicePassphraseMode(t *testing.T) {
	dir, _ := dataFolder(t)
	db := storetest.Open(t, dir)
	pass := filepath.Join(t.TempDir(), "passphrase")
	if err := os.WriteFile(pass, []byte("correct horse battery staple\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	o := DefaultOptions()
	o.PassphraseFile = pass
	svc, err := New(t.Context(), o, Deps{DB: db, DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	svc.scryptWF = 10 // age's default takes about a second
	m, err := svc.Run(t.Context(), store.BackupSourceCLI, store.CLIActor)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(svc.Status().Dir, m.File)
	if _, err := VerifyFile(t.Context(), file, Decrypt{PassphraseFile: pass}, dir, ""); err != nil {
		t.Fatalf("verify with the passphrase: %v", err)
	}
	_, err = VerifyFile(t.Context(), file, Decrypt{Identity: filepath.Join(dir, IdentityName)}, dir, "")
	storetest.OneLine(t, err, "wrong identity")
	if !svc.Status().CanVerify {
		t.Error("a server holding the passphrase cannot verify its backups")
	}

	t.Run("a passphrase file others can read is refused", func(t *testing.T) {
		if err := os.Chmod(pass, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := New(t.Context(), o, Deps{DB: db, DataDir: dir})
		storetest.OneLine(t, err, "chmod 600")
	})
}

func TestServiceFailures(t *testing.T) {
	t.Run("a missing recipients file", func(t *testing.T) {
		dir, _ := dataFolder(t)
		if err := os.Remove(filepath.Join(dir, RecipientsName)); err != nil {
			t.Fatal(err)
		}
		svc, err := New(t.Context(), DefaultOptions(), Deps{DB: storetest.Open(t, dir), DataDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		_, err = svc.Run(t.Context(), store.BackupSourceCLI, store.CLIActor)
		storetest.OneLine(t, err, RecipientsName)
		if entries, _ := List(svc.Status().Dir); len(entries) != 0 {
			t.Errorf("%d backups written", len(entries))
		}
	})
	t.Run("a backups folder that cannot be made raises an alert", func(t *testing.T) {
		dir, _ := dataFolder(t)
		if err := os.WriteFile(filepath.Join(dir, "backups"), []byte("in the way"), 0o600); err != nil {
			t.Fatal(err)
		}
		db := storetest.Open(t, dir)
		svc, err := New(t.Context(), DefaultOptions(), Deps{DB: db, DataDir: dir})
		if err != nil {
			t.Fatal(err)
		}
		_, err = svc.Run(t.Context(), store.BackupSourceCLI, store.CLIActor)
		storetest.OneLine(t, err, "backup:")
		ev, err := db.ListSecurityEvents(t.Context(), store.EventFilter{Kind: "backup.failed"})
		if err != nil || len(ev) != 1 || ev[0].Severity != store.SeverityCritical {
			t.Errorf("backup.failed security events: %+v, %v; want one, critical", ev, err)
		}
		if r, err := db.LastBackupRun(t.Context(), store.BackupKindBackup, false); err != nil || r.OK || r.Error == "" {
			t.Errorf("last run %+v, %v; want a recorded failure", r, err)
		}
	})
}

// TestScheduledBackupPanicIsRecordedAndAlerted: a scheduled backup that
// panics leaves a log line with its stack, a failed run and an alert to
// the owners, and the next run still happens.
func TestScheduledBackupPanicIsRecordedAndAlerted(t *testing.T) {
	dir, _ := dataFolder(t)
	db := storetest.Open(t, dir)
	enrolOwner(t, db, "olive@example.com")
	var logs bytes.Buffer // read once the scheduler and the service have stopped
	mail := &mailbox{}
	var calls int
	var mu sync.Mutex
	o := DefaultOptions()
	o.Schedule = "@every 1s"
	svc, err := New(t.Context(), o, Deps{DB: db, DataDir: dir, Mailer: mail, Log: slog.New(slog.NewTextHandler(&logs, nil)),
		Source: func() (*sql.DB, error) {
			mu.Lock()
			calls++
			mu.Unlock()
			panic("snapshot source exploded")
		}})
	if err != nil {
		t.Fatal(err)
	}
	c := cron.New(cron.WithChain(cron.Recover(cron.DefaultLogger)))
	if err := svc.Schedule(c); err != nil {
		t.Fatal(err)
	}
	c.Start()
	deadline := time.Now().Add(time.Minute) // a bound, not a speed claim
	for {
		runs, err := db.ListBackupRuns(t.Context(), 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(runs) >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d runs recorded after a minute, want 2", len(runs))
		}
		time.Sleep(50 * time.Millisecond)
	}
	<-c.Stop().Done()
	svc.Wait()

	r, err := db.LastBackupRun(t.Context(), store.BackupKindBackup, false)
	if err != nil || r.OK || !strings.Contains(r.Error, "snapshot source exploded") {
		t.Errorf("last run %+v, %v; want a failure naming the panic", r, err)
	}
	if ev, err := db.ListSecurityEvents(t.Context(), store.EventFilter{Kind: "backup.failed"}); err != nil || len(ev) < 2 {
		t.Errorf("backup.failed events: %d, %v; want one a run", len(ev), err)
	}
	if log := logs.String(); !strings.Contains(log, "backup work panicked") || !strings.Contains(log, "service_test.go") || !strings.Contains(log, "BACKUP ALERT") {
		t.Errorf("the log lacks the panic with its stack, or the alert:\n%s", log)
	}
	sent := mail.all()
	if len(sent) < 2 || sent[0].to != "olive@example.com" || sent[0].subject != "safedesk: backup failed" || !strings.Contains(sent[0].text, "snapshot source exploded") {
		t.Errorf("alerts sent: %+v", sent)
	}
}

func TestServiceDrill(t *testing.T) {
	dir, _ := dataFolder(t)
	db := storetest.Open(t, dir)
	o := DefaultOptions()
	o.Identity = filepath.Join(dir, IdentityName)
	var logs bytes.Buffer // the drill runs in this goroutine
	svc, err := New(t.Context(), o, Deps{DB: db, DataDir: dir, Log: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Drill(t.Context()); err == nil || !strings.Contains(err.Error(), "no backup to restore") {
		t.Fatalf("a drill without backups: %v", err)
	}
	if _, err := svc.Run(t.Context(), store.BackupSourceSchedule, store.SystemActor); err != nil {
		t.Fatal(err)
	}
	if err := svc.Drill(t.Context()); err != nil {
		t.Fatal(err)
	}
	if r, err := db.LastBackupRun(t.Context(), store.BackupKindDrill, true); err != nil || r.Source != store.BackupSourceSchedule {
		t.Errorf("last drill %+v, %v", r, err)
	}
	if !strings.Contains(logs.String(), "restore drill passed") {
		t.Errorf("no drill in the log:\n%s", logs.String())
	}
}
