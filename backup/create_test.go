package backup

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestCreateWhileServing(t *testing.T) {
	age := ageCLI(t)
	db, _ := newDB(t, 1000)
	recs, _, idPath := testKeys(t)

	// A writer keeps inserting (bounded) while the backup runs.
	const batches = 200
	var wg sync.WaitGroup
	stop := make(chan struct{})
	writeErr := make(chan error, 1)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for range batches {
			select {
			case <-stop:
				return
			default:
			}
			if err := insertTx(db, 10, 500); err != nil {
				writeErr <- err
				return
			}
		}
	}()
	dir := t.TempDir()
	m, err := Create(context.Background(), db, CreateOptions{Dir: dir, Recipients: recs})
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	select {
	case err := <-writeErr:
		t.Fatalf("writer failed during backup: %v", err)
	default:
	}

	out := filepath.Join(t.TempDir(), "out.db")
	cmd := exec.Command(age, "-d", "-i", idPath, "-o", out, filepath.Join(dir, m.File))
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("age -d: %v: %s", err, b)
	}
	if got := integrity(t, out); got != "ok" {
		t.Errorf("integrity_check = %q, want ok", got)
	}
	items, counter := counts(t, out)
	if items != counter {
		t.Errorf("snapshot not consistent: %d items, counter says %d", items, counter)
	}
	t.Logf("snapshot holds %d items", items)
	if items < 1000 || items > 1000+batches*10 {
		t.Errorf("snapshot has %d items, want 1000..%d", items, 1000+batches*10)
	}
	if got := fileSHA(t, out); got != m.SHA256 {
		t.Errorf("plaintext SHA-256 = %s, manifest says %s", got, m.SHA256)
	}
}

func TestCreateFiles(t *testing.T) {
	db, _ := newDB(t, 50)
	recs, _, _ := testKeys(t)
	dir := filepath.Join(t.TempDir(), "backups")
	m, err := Create(context.Background(), db, CreateOptions{
		Dir: dir, Recipients: recs, SchemaVersion: 12, AuditHead: "feedface",
		Now: clock(t, "2025-03-04T05:06:07.89+02:00"),
	})
	if err != nil {
		t.Fatal(err)
	}
	const name = "safedesk-20250304T030607Z.db.age"
	if got, want := names(t, dir), []string{name, name + ".json"}; !slices.Equal(got, want) {
		t.Fatalf("backups folder holds %v, want %v", got, want)
	}
	if info, _ := os.Stat(dir); info.Mode().Perm() != 0o700 {
		t.Errorf("backups folder mode = %v, want 0700", info.Mode().Perm())
	}
	file := filepath.Join(dir, name)
	if info, _ := os.Stat(file); info.Mode().Perm() != 0o600 || info.Size() != m.EncryptedSize {
		t.Errorf("backup mode %v size %d, want 0600 and %d", info.Mode().Perm(), info.Size(), m.EncryptedSize)
	}
	if got := fileSHA(t, file); got != m.EncryptedSHA256 {
		t.Errorf("encrypted SHA-256 = %s, manifest says %s", got, m.EncryptedSHA256)
	}
	var onDisk Manifest
	b, err := os.ReadFile(file + ".json")
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &onDisk); err != nil {
		t.Fatal(err)
	}
	if onDisk != m {
		t.Errorf("manifest on disk = %+v, Create returned %+v", onDisk, m)
	}
	if m.File != name || m.SchemaVersion != 12 || m.AuditHead != "feedface" ||
		m.Created.Format("2006-01-02T15:04:05Z07:00") != "2025-03-04T03:06:07Z" || m.Size <= 0 {
		t.Errorf("manifest = %+v", m)
	}

	// Same second again: refused, the first backup untouched, nothing left over.
	_, err = Create(context.Background(), db, CreateOptions{Dir: dir, Recipients: recs, Now: clock(t, "2025-03-04T03:06:07Z")})
	if err == nil || !strings.Contains(err.Error(), "already exists") {
		t.Errorf("second Create in the same second: err = %v, want already exists", err)
	}
	if got := names(t, dir); len(got) != 2 || fileSHA(t, file) != m.EncryptedSHA256 {
		t.Errorf("after refused Create the folder holds %v", got)
	}
}

func TestCreateCopyTo(t *testing.T) {
	db, _ := newDB(t, 50)
	recs, _, _ := testKeys(t)
	dir, second := t.TempDir(), filepath.Join(t.TempDir(), "offsite")
	m, err := Create(context.Background(), db, CreateOptions{Dir: dir, CopyTo: second, Recipients: recs})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{m.File, m.File + ".json"} {
		a, _ := os.ReadFile(filepath.Join(dir, n))
		b, err := os.ReadFile(filepath.Join(second, n))
		if err != nil || string(a) != string(b) {
			t.Errorf("copy of %s differs from the original (err %v)", n, err)
		}
	}
	if got := names(t, second); len(got) != 2 {
		t.Errorf("second folder holds %v, want the backup and its manifest", got)
	}

	t.Run("copy fails, backup kept", func(t *testing.T) {
		dir := t.TempDir()
		notADir := filepath.Join(t.TempDir(), "file")
		if err := os.WriteFile(notADir, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		m, err := Create(context.Background(), db, CreateOptions{Dir: dir, CopyTo: notADir, Recipients: recs})
		if !errors.Is(err, ErrCopy) {
			t.Fatalf("err = %v, want ErrCopy", err)
		}
		if strings.Contains(err.Error(), "\n") || !strings.HasPrefix(err.Error(), "backup: copy to second folder failed: ") {
			t.Errorf("error %q is not one line with the ErrCopy prefix", err)
		}
		if got, want := names(t, dir), []string{m.File, m.File + ".json"}; !slices.Equal(got, want) {
			t.Errorf("primary folder holds %v, want %v", got, want)
		}
	})
}

// failingWriter passes limit bytes through, then fails every write.
type failingWriter struct {
	w     io.Writer
	limit int
}

var errDiskFull = errors.New("no space left on device (test)")

func (f *failingWriter) Write(p []byte) (int, error) {
	if len(p) > f.limit {
		n, _ := f.w.Write(p[:f.limit])
		f.limit = 0
		return n, errDiskFull
	}
	f.limit -= len(p)
	return f.w.Write(p)
}

func TestCreateWriterFailsMidStream(t *testing.T) {
	db, _ := newDB(t, 2000) // about 2 MB, many age chunks
	recs, _, _ := testKeys(t)
	dir, second := t.TempDir(), t.TempDir()
	testHookEncryptedWriter = func(w io.Writer) io.Writer { return &failingWriter{w: w, limit: 300 << 10} }
	t.Cleanup(func() { testHookEncryptedWriter = nil })

	_, err := Create(context.Background(), db, CreateOptions{Dir: dir, CopyTo: second, Recipients: recs})
	if !errors.Is(err, errDiskFull) {
		t.Fatalf("err = %v, want the write error", err)
	}
	if got := err.Error(); !strings.HasPrefix(got, "backup: encrypt: ") || !strings.Contains(got, "no space left on device") {
		t.Errorf("error %q does not say what failed", got)
	}
	if got := names(t, dir); len(got) != 0 {
		t.Errorf("backups folder holds %v after a failed write, want nothing", got)
	}
	if got := names(t, second); len(got) != 0 {
		t.Errorf("second folder holds %v after a failed write, want nothing", got)
	}

	testHookEncryptedWriter = nil
	if _, err := Create(context.Background(), db, CreateOptions{Dir: dir, Recipients: recs}); err != nil {
		t.Errorf("Create after a failed one: %v", err)
	}
}

func TestCreateCanceled(t *testing.T) {
	db, _ := newDB(t, 50)
	recs, _, _ := testKeys(t)
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Create(ctx, db, CreateOptions{Dir: dir, Recipients: recs}); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
	if got := names(t, dir); len(got) != 0 {
		t.Errorf("folder holds %v after a canceled backup", got)
	}
}

func TestCreateBusy(t *testing.T) {
	db, _ := newDB(t, 50)
	recs, ids, _ := testKeys(t)
	started, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	testHookEncryptedWriter = func(w io.Writer) io.Writer {
		return writerFunc(func(p []byte) (int, error) {
			once.Do(func() { close(started); <-release })
			return w.Write(p)
		})
	}
	t.Cleanup(func() { testHookEncryptedWriter = nil })

	first := make(chan error, 1)
	go func() {
		_, err := Create(context.Background(), db, CreateOptions{Dir: t.TempDir(), Recipients: recs})
		first <- err
	}()
	<-started
	if _, err := Create(context.Background(), db, CreateOptions{Dir: t.TempDir(), Recipients: recs}); !errors.Is(err, ErrBusy) {
		t.Errorf("second Create: err = %v, want ErrBusy", err)
	}
	if _, err := Restore(context.Background(), "x.db.age", ids, t.TempDir(), false); !errors.Is(err, ErrBusy) {
		t.Errorf("Restore during Create: err = %v, want ErrBusy", err)
	}
	close(release)
	if err := <-first; err != nil {
		t.Errorf("first Create: %v", err)
	}
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// TestCreateFromQueryOnlyPool: the snapshot only reads, so even a
// query_only connection (the store's reader pool) can take it.
func TestCreateFromQueryOnlyPool(t *testing.T) {
	_, path := newDB(t, 5)
	ro, err := sql.Open("sqlite", "file:"+path+"?_pragma=query_only(1)")
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	recs, ids, _ := testKeys(t)
	dir := t.TempDir()
	m, err := Create(context.Background(), ro, CreateOptions{Dir: dir, Recipients: recs})
	if err != nil {
		t.Fatalf("Create from a query_only pool: %v", err)
	}
	if _, err := Verify(context.Background(), filepath.Join(dir, m.File), ids, wantItems(5)); err != nil {
		t.Errorf("Verify: %v", err)
	}
}

func TestCreateReadOnlyPool(t *testing.T) {
	db, path := newDB(t, 20)
	ro, err := sql.Open("sqlite", "file:"+path+"?mode=ro&_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	recs, ids, _ := testKeys(t)
	dir := t.TempDir()
	m, err := Create(context.Background(), ro, CreateOptions{Dir: dir, Recipients: recs})
	if err != nil {
		t.Fatalf("Create from a mode=ro pool: %v", err)
	}
	insertRows(t, db, 5, 10) // after the snapshot: must not be in it
	if _, err := Verify(context.Background(), filepath.Join(dir, m.File), ids, wantItems(20)); err != nil {
		t.Errorf("Verify: %v", err)
	}
}

func TestCreateRemovesStaleTemps(t *testing.T) {
	db, _ := newDB(t, 5)
	recs, _, _ := testKeys(t)
	dir := t.TempDir()
	stale, fresh := filepath.Join(dir, tempPrefix+"crashed"), filepath.Join(dir, tempPrefix+"running")
	for _, p := range []string{stale, fresh} {
		if err := os.WriteFile(p, []byte("plaintext snapshot"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-25 * time.Hour)
	if err := os.Chtimes(stale, old, old); err != nil {
		t.Fatal(err)
	}
	if _, err := Create(context.Background(), db, CreateOptions{Dir: dir, Recipients: recs}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stale); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("temporary file left by a crash a day ago is still there (err %v)", err)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Errorf("recent temporary file, maybe another process's, was removed: %v", err)
	}
}
