package web

import (
	"context"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"safedesk/security"
	"safedesk/store"
)

// fakeBackups stands in for the backup service, which lives in package
// main (web cannot import it); main's tests run the real one.
type fakeBackups struct {
	mu        sync.Mutex
	dir       string
	files     []BackupFile
	running   string
	started   []store.Actor
	canVerify bool
	verifyErr error
	verified  []string
}

func newFakeBackups(t *testing.T, names ...string) *fakeBackups {
	t.Helper()
	f := &fakeBackups{dir: t.TempDir()}
	for i, name := range names {
		p := filepath.Join(f.dir, name)
		if err := os.WriteFile(p, []byte("age-encryption.org/v1 "+name), 0o600); err != nil {
			t.Fatal(err)
		}
		f.files = append(f.files, BackupFile{Name: name, Path: p, Created: time.Now().Add(-time.Duration(i) * time.Hour),
			Size: int64(22 + len(name)), SHA256: strings.Repeat("ab", 32), Schema: 7})
	}
	return f
}

func (f *fakeBackups) Files() ([]BackupFile, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]BackupFile(nil), f.files...), nil
}

func (f *fakeBackups) Status() BackupStatus {
	f.mu.Lock()
	defer f.mu.Unlock()
	return BackupStatus{Dir: f.dir, Schedule: "0 3 * * *", NextRun: time.Now().Add(2 * time.Hour), Keep: "7d,4w,12m",
		CanVerify: f.canVerify, Running: f.running, RunningSince: time.Now()}
}

func (f *fakeBackups) Start(a store.Actor) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.running != "" {
		return ErrBackupBusy
	}
	f.started = append(f.started, a)
	return nil
}

func (f *fakeBackups) lookup(name string) (BackupFile, error) {
	for _, x := range f.files {
		if x.Name == name {
			return x, nil
		}
	}
	return BackupFile{}, store.ErrNotFound
}

func (f *fakeBackups) Open(name string) (*os.File, BackupFile, error) {
	x, err := f.lookup(name)
	if err != nil {
		return nil, x, err
	}
	file, err := os.Open(x.Path)
	return file, x, err
}

func (f *fakeBackups) Verify(ctx context.Context, name string, a store.Actor) (BackupFile, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	x, err := f.lookup(name)
	if err != nil {
		return x, err
	}
	if !f.canVerify {
		return x, ErrNoBackupIdentity
	}
	f.verified = append(f.verified, name)
	return x, f.verifyErr
}

const (
	backupA = "safedesk-20260302T030000Z.db.age"
	backupB = "safedesk-20260301T030000Z.db.age"
)

func TestAdminBackupsPage(t *testing.T) {
	fake := newFakeBackups(t, backupA, backupB)
	env := newTestServerWith(t, func(c *Config) { c.Backups = fake })
	owner, _ := env.owner()
	ctx := context.Background()
	if _, err := env.db.RecordBackupRun(ctx, store.BackupRun{Kind: store.BackupKindBackup, Source: store.BackupSourceSchedule, OK: true, File: backupA, Bytes: 4096}, store.SystemActor); err != nil {
		t.Fatal(err)
	}
	if _, err := env.db.RecordBackupRun(ctx, store.BackupRun{Kind: store.BackupKindDrill, Source: store.BackupSourceSchedule, OK: true, File: backupA}, store.SystemActor); err != nil {
		t.Fatal(err)
	}

	resp := owner.get("/admin/backups")
	if resp.status != http.StatusOK {
		t.Fatalf("GET /admin/backups: %d", resp.status)
	}
	for _, want := range []string{backupA, backupB, `data-testid="backup-now"`, "Restore drill of", "passed", "7d,4w,12m", `data-testid="disk-free"`} {
		if !strings.Contains(resp.body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if n := strings.Count(resp.body, `data-testid="backup-row"`); n != 2 {
		t.Errorf("%d rows, want 2", n)
	}
	if strings.Contains(resp.body, `data-testid="disk-free">unknown`) && diskFree(fake.dir) >= 0 {
		t.Error("free disk space shown as unknown")
	}

	t.Run("a failure shows until the next success", func(t *testing.T) {
		if _, err := env.db.RecordBackupRun(ctx, store.BackupRun{Kind: store.BackupKindBackup, Source: store.BackupSourceSchedule, Error: "backup: no space left on device"}, store.SystemActor); err != nil {
			t.Fatal(err)
		}
		if body := owner.get("/admin/backups").body; !strings.Contains(body, "no space left on device") || !strings.Contains(body, `data-testid="backup-failed"`) {
			t.Error("the failed backup is not shown")
		}
	})
	t.Run("back up now", func(t *testing.T) {
		resp := owner.post("/admin/backups/run", nil)
		if resp.status != http.StatusSeeOther || len(fake.started) != 1 || fake.started[0].Type != store.ActorStaff {
			t.Fatalf("POST run: %d, started %v", resp.status, fake.started)
		}
		if body := owner.get("/admin/backups").body; !strings.Contains(body, "Backup started") {
			t.Error("no notice after starting a backup")
		}
		fake.mu.Lock()
		fake.running = "backup"
		fake.mu.Unlock()
		owner.post("/admin/backups/run", nil)
		body := owner.get("/admin/backups").body
		if len(fake.started) != 1 || !strings.Contains(body, "already running") || !strings.Contains(body, "/admin/backups/status?watching=1") {
			t.Errorf("a second start while one runs: started %d times; page polls: %v", len(fake.started), strings.Contains(body, "watching=1"))
		}
		fake.mu.Lock()
		fake.running = ""
		fake.mu.Unlock()
		req, _ := http.NewRequest("GET", env.http.URL+"/admin/backups/status?watching=1", nil)
		req.Header.Set("HX-Request", "true")
		if resp := owner.do(req); resp.status != http.StatusOK || resp.header.Get("HX-Refresh") != "true" {
			t.Errorf("status poll after the run: %d, HX-Refresh %q", resp.status, resp.header.Get("HX-Refresh"))
		}
	})
	t.Run("agents cannot see it", func(t *testing.T) {
		agent, _, _ := env.member(security.RoleAgent, "agent@northwind.example")
		if resp := agent.get("/admin/backups"); resp.status != http.StatusForbidden {
			t.Errorf("agent: %d, want 403", resp.status)
		}
		if resp := agent.post("/admin/backups/download", url.Values{"name": {backupA}}); resp.status != http.StatusForbidden {
			t.Errorf("agent download: %d, want 403", resp.status)
		}
	})
}

func TestAdminBackupDownloadNeedsStepUp(t *testing.T) {
	fake := newFakeBackups(t, backupA)
	env := newTestServerWith(t, func(c *Config) { c.Backups = fake })
	owner, d := env.owner()
	env.clock.advance(6 * time.Minute)
	owner.get("/admin/backups") // activity, so only the step-up is stale

	form := url.Values{"name": {backupA}}
	resp := owner.post("/admin/backups/download", form)
	if resp.status != http.StatusUnauthorized || !strings.Contains(resp.body, `data-passkey="stepup"`) || !strings.Contains(resp.body, backupA) {
		t.Fatalf("stale step-up: %d\n%s", resp.status, resp.body)
	}
	env.stepUp(owner, d)
	resp = owner.post("/admin/backups/download", form)
	if resp.status != http.StatusOK || resp.body != "age-encryption.org/v1 "+backupA {
		t.Fatalf("download: %d %q", resp.status, resp.body)
	}
	if cd := resp.header.Get("Content-Disposition"); !strings.Contains(cd, "attachment") || !strings.Contains(cd, backupA) {
		t.Errorf("Content-Disposition %q", cd)
	}
	entries, err := env.db.ListAudit(context.Background(), store.AuditFilter{Action: "backup.downloaded"})
	if err != nil || len(entries) != 1 || entries[0].Target != "backup:"+backupA || entries[0].Actor.Type != store.ActorStaff {
		t.Errorf("download audit: %+v, %v", entries, err)
	}
	for _, name := range []string{"../master.key", "safedesk.db", filepath.Join(fake.dir, backupA)} {
		if resp := owner.post("/admin/backups/download", url.Values{"name": {name}}); resp.status != http.StatusNotFound {
			t.Errorf("download %q: %d, want 404", name, resp.status)
		}
	}
}

func TestAdminBackupRestoreExplains(t *testing.T) {
	fake := newFakeBackups(t, backupA)
	env := newTestServerWith(t, func(c *Config) { c.Backups = fake })
	owner, _ := env.owner() // a fresh sign-in counts as a step-up
	form := url.Values{"name": {backupA}}

	t.Run("without an identity on the server: the commands", func(t *testing.T) {
		resp := owner.post("/admin/backups/restore", form)
		if resp.status != http.StatusOK || !strings.Contains(resp.body, "safedesk backup restore "+fake.files[0].Path) || !strings.Contains(resp.body, "holds no backup identity") {
			t.Fatalf("restore page: %d\n%s", resp.status, resp.body)
		}
	})
	fake.canVerify = true
	t.Run("with an identity: verified first", func(t *testing.T) {
		resp := owner.post("/admin/backups/restore", form)
		if resp.status != http.StatusOK || !strings.Contains(resp.body, `data-testid="verified"`) || len(fake.verified) != 1 {
			t.Fatalf("restore page: %d, verified %v", resp.status, fake.verified)
		}
	})
	t.Run("a backup that fails says why", func(t *testing.T) {
		fake.verifyErr = &BackupCheckError{Reason: "backup: file is corrupt or truncated"}
		resp := owner.post("/admin/backups/restore", form)
		if resp.status != http.StatusOK || !strings.Contains(resp.body, `data-testid="verify-failed"`) || !strings.Contains(resp.body, "corrupt or truncated") {
			t.Fatalf("restore page: %d\n%s", resp.status, resp.body)
		}
	})
	t.Run("an unknown backup is 404", func(t *testing.T) {
		if resp := owner.post("/admin/backups/restore", url.Values{"name": {"nope.db.age"}}); resp.status != http.StatusNotFound {
			t.Errorf("status %d, want 404", resp.status)
		}
	})
}

func TestAdminBackupsUnconfigured(t *testing.T) {
	env := newTestServer(t)
	owner, _ := env.owner()
	if resp := owner.get("/admin/backups"); resp.status != http.StatusOK || !strings.Contains(resp.body, "not configured") {
		t.Errorf("page without a backup service: %d", resp.status)
	}
	if resp := owner.post("/admin/backups/run", nil); resp.status != http.StatusNotFound {
		t.Errorf("run without a backup service: %d, want 404", resp.status)
	}
}
