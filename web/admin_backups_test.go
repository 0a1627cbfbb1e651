package web

import (
	"context"
	"database/sql"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"safedesk/backup"
	"safedesk/security"
	"safedesk/store"
)

// backupGate holds backups at their snapshot while closed, so that a test
// sees a run in progress.
type backupGate struct {
	mu sync.Mutex
	ch chan struct{} // nil: open
}

func (g *backupGate) hold() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.ch = make(chan struct{})
}

func (g *backupGate) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	close(g.ch)
	g.ch = nil
}

func (g *backupGate) source(db *store.DB) func() (*sql.DB, error) {
	return func() (*sql.DB, error) {
		g.mu.Lock()
		ch := g.ch
		g.mu.Unlock()
		if ch != nil {
			<-ch
		}
		return db.OpenSnapshotSource()
	}
}

// backupEnv is a test server whose admin backups page runs the real backup
// service over the test store's data folder.
type backupEnv struct {
	*testEnv
	svc  *backup.Service
	gate *backupGate
}

// newBackupEnv starts a server with a backup service; with identity the
// server holds the identity that decrypts its backups.
func newBackupEnv(t *testing.T, identity bool) *backupEnv {
	t.Helper()
	b := &backupEnv{gate: &backupGate{}}
	b.testEnv = newTestServerWithDB(t, func(c *Config, db *store.DB) {
		dir := filepath.Dir(db.Path())
		if _, err := backup.EnsureIdentity(dir); err != nil {
			t.Fatal(err)
		}
		o := backup.DefaultOptions()
		if identity {
			o.Identity = filepath.Join(dir, backup.IdentityName)
		}
		svc, err := backup.New(context.Background(), o, backup.Deps{DB: db, DataDir: dir, Source: b.gate.source(db)})
		if err != nil {
			t.Fatal(err)
		}
		if err := svc.Prepare(); err != nil {
			t.Fatal(err)
		}
		b.svc, c.Backups = svc, svc
	})
	t.Cleanup(b.svc.Wait) // before the store closes
	return b
}

// backupAt writes a backup into the service's folder as if taken ago,
// as the service writes them, without its retention ladder.
func (b *backupEnv) backupAt(t *testing.T, ago time.Duration) backup.Manifest {
	t.Helper()
	recs, err := backup.LoadRecipients(filepath.Join(b.dir, backup.RecipientsName))
	if err != nil {
		t.Fatal(err)
	}
	src, err := b.db.OpenSnapshotSource()
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	m, err := backup.Create(context.Background(), src, backup.CreateOptions{Dir: b.svc.Status().Dir, Recipients: recs,
		SchemaVersion: store.SchemaVersion(), Now: func() time.Time { return b.clock.Now().Add(-ago) }})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestAdminBackupsPage(t *testing.T) {
	env := newBackupEnv(t, false)
	older := env.backupAt(t, 25*time.Hour)
	newer := env.backupAt(t, 0)
	owner, _ := env.owner()
	ctx := context.Background()
	if _, err := env.db.RecordBackupRun(ctx, store.BackupRun{Kind: store.BackupKindBackup, Source: store.BackupSourceSchedule, OK: true, File: newer.File, Bytes: newer.EncryptedSize}, store.SystemActor); err != nil {
		t.Fatal(err)
	}
	if _, err := env.db.RecordBackupRun(ctx, store.BackupRun{Kind: store.BackupKindDrill, Source: store.BackupSourceSchedule, OK: true, File: newer.File}, store.SystemActor); err != nil {
		t.Fatal(err)
	}

	resp := owner.get("/admin/backups")
	if resp.status != http.StatusOK {
		t.Fatalf("GET /admin/backups: %d", resp.status)
	}
	for _, want := range []string{older.File, newer.File, `data-testid="backup-now"`, "Restore drill of", "passed", "7d,4w,12m", `data-testid="disk-free"`} {
		if !strings.Contains(resp.body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if n := strings.Count(resp.body, `data-testid="backup-row"`); n != 2 {
		t.Errorf("%d rows, want 2", n)
	}
	if strings.Contains(resp.body, `data-testid="disk-free">unknown`) && diskFree(env.svc.Status().Dir) >= 0 {
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
		env.gate.hold()
		resp := owner.post("/admin/backups/run", nil)
		if resp.status != http.StatusSeeOther || env.svc.Status().Running != "backup" {
			t.Fatalf("POST run: %d, running %q", resp.status, env.svc.Status().Running)
		}
		if body := owner.get("/admin/backups").body; !strings.Contains(body, "Backup started") {
			t.Error("no notice after starting a backup")
		}
		owner.post("/admin/backups/run", nil)
		body := owner.get("/admin/backups").body
		if !strings.Contains(body, "already running") || !strings.Contains(body, "/admin/backups/status?watching=1") {
			t.Errorf("a second start while one runs: page polls: %v\n%s", strings.Contains(body, "watching=1"), body)
		}
		env.gate.release()
		env.svc.Wait()
		runs, err := env.db.ListAudit(ctx, store.AuditFilter{ActorType: store.ActorStaff})
		if err != nil {
			t.Fatal(err)
		}
		started := 0
		for _, e := range runs {
			if strings.HasPrefix(e.Action, "backup.") && e.Details["source"] == store.BackupSourceManual {
				started++
			}
		}
		if last, err := env.db.LastBackupRun(ctx, store.BackupKindBackup, true); err != nil || last.Source != store.BackupSourceManual || started != 1 {
			t.Errorf("last backup %+v, %v; %d runs in the staff member's name, want 1", last, err, started)
		}
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
		if resp := agent.post("/admin/backups/download", url.Values{"name": {older.File}}); resp.status != http.StatusForbidden {
			t.Errorf("agent download: %d, want 403", resp.status)
		}
	})
}

func TestAdminBackupDownloadNeedsStepUp(t *testing.T) {
	env := newBackupEnv(t, false)
	m := env.backupAt(t, 0)
	owner, d := env.owner()
	env.clock.advance(6 * time.Minute)
	owner.get("/admin/backups") // activity, so only the step-up is stale

	form := url.Values{"name": {m.File}}
	resp := owner.post("/admin/backups/download", form)
	if resp.status != http.StatusUnauthorized || !strings.Contains(resp.body, `data-passkey="stepup"`) || !strings.Contains(resp.body, m.File) {
		t.Fatalf("stale step-up: %d\n%s", resp.status, resp.body)
	}
	env.stepUp(owner, d)
	want, err := os.ReadFile(filepath.Join(env.svc.Status().Dir, m.File))
	if err != nil {
		t.Fatal(err)
	}
	resp = owner.post("/admin/backups/download", form)
	if resp.status != http.StatusOK || resp.body != string(want) {
		t.Fatalf("download: %d, %d bytes, want the %d of the file", resp.status, len(resp.body), len(want))
	}
	if cd := resp.header.Get("Content-Disposition"); !strings.Contains(cd, "attachment") || !strings.Contains(cd, m.File) {
		t.Errorf("Content-Disposition %q", cd)
	}
	entries, err := env.db.ListAudit(context.Background(), store.AuditFilter{Action: "backup.downloaded"})
	if err != nil || len(entries) != 1 || entries[0].Target != "backup:"+m.File || entries[0].Actor.Type != store.ActorStaff {
		t.Errorf("download audit: %+v, %v", entries, err)
	}
	for _, name := range []string{"../master.key", "safedesk.db", filepath.Join(env.svc.Status().Dir, m.File)} {
		if resp := owner.post("/admin/backups/download", url.Values{"name": {name}}); resp.status != http.StatusNotFound {
			t.Errorf("download %q: %d, want 404", name, resp.status)
		}
	}
}

func TestAdminBackupRestoreExplains(t *testing.T) {
	t.Run("without an identity on the server: the commands", func(t *testing.T) {
		env := newBackupEnv(t, false)
		m := env.backupAt(t, 0)
		owner, _ := env.owner() // a fresh sign-in counts as a step-up
		resp := owner.post("/admin/backups/restore", url.Values{"name": {m.File}})
		path := filepath.Join(env.svc.Status().Dir, m.File)
		if resp.status != http.StatusOK || !strings.Contains(resp.body, "safedesk backup restore "+path) || !strings.Contains(resp.body, "holds no backup identity") {
			t.Fatalf("restore page: %d\n%s", resp.status, resp.body)
		}
	})

	env := newBackupEnv(t, true)
	m := env.backupAt(t, 0)
	owner, _ := env.owner()
	form := url.Values{"name": {m.File}}
	t.Run("with an identity: verified first", func(t *testing.T) {
		resp := owner.post("/admin/backups/restore", form)
		last, err := env.db.LastBackupRun(context.Background(), store.BackupKindVerify, true)
		if resp.status != http.StatusOK || !strings.Contains(resp.body, `data-testid="verified"`) || err != nil || last.File != m.File {
			t.Fatalf("restore page: %d, last verify %+v, %v", resp.status, last, err)
		}
	})
	t.Run("a backup that fails says why", func(t *testing.T) {
		path := filepath.Join(env.svc.Status().Dir, m.File)
		info, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Truncate(path, info.Size()/2); err != nil {
			t.Fatal(err)
		}
		os.Remove(path + ".json") // without its manifest, the cut shows as corrupt or truncated
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
