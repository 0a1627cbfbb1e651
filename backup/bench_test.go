package backup

import (
	"context"
	"database/sql"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"filippo.io/age"
)

// benchDir holds the generated benchmark database; TestMain removes it.
var (
	benchOnce sync.Once
	benchDir  string
	benchDB   *sql.DB
	benchPath string
	benchErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if benchDB != nil {
		benchDB.Close()
	}
	if benchDir != "" {
		os.RemoveAll(benchDir)
	}
	os.Exit(code)
}

// benchDatabase generates, once per run, a database of random blobs:
// 200 MB, or 20 MB with -short.
func benchDatabase(b *testing.B) (*sql.DB, string, int64) {
	b.Helper()
	benchOnce.Do(func() {
		size := 200 << 20
		if testing.Short() {
			size = 20 << 20
		}
		benchDir, benchErr = os.MkdirTemp("", "safedesk-bench-")
		if benchErr != nil {
			return
		}
		benchPath = filepath.Join(benchDir, DBName)
		benchDB, benchErr = sql.Open("sqlite", "file:"+benchPath+"?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)")
		if benchErr != nil {
			return
		}
		benchErr = fillRandom(benchDB, size)
	})
	if benchErr != nil {
		b.Fatal(benchErr)
	}
	info, err := os.Stat(benchPath)
	if err != nil {
		b.Fatal(err)
	}
	return benchDB, benchPath, info.Size()
}

// fillRandom inserts size bytes of random 16 KiB blobs in one transaction
// and checkpoints, so the database file holds them all.
func fillRandom(db *sql.DB, size int) error {
	if _, err := db.Exec("CREATE TABLE blobs (id INTEGER PRIMARY KEY, data BLOB NOT NULL)"); err != nil {
		return err
	}
	tx, err := db.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	stmt, err := tx.Prepare("INSERT INTO blobs (data) VALUES (?)")
	if err != nil {
		return err
	}
	rng := rand.NewChaCha8([32]byte{1})
	blob := make([]byte, 16<<10)
	for range size / len(blob) {
		rng.Read(blob)
		if _, err := stmt.Exec(blob); err != nil {
			return err
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	_, err = db.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
	return err
}

// BenchmarkBackup measures Create: snapshot, encryption, hashing, atomic
// write with fsync, manifest.
func BenchmarkBackup(b *testing.B) {
	db, _, size := benchDatabase(b)
	recs, _, _ := testKeys(b)
	dir := b.TempDir()
	b.SetBytes(size)
	b.ResetTimer()
	for b.Loop() {
		m, err := Create(context.Background(), db, CreateOptions{Dir: dir, Recipients: recs})
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		os.Remove(filepath.Join(dir, m.File))
		os.Remove(filepath.Join(dir, m.File+".json"))
		b.StartTimer()
	}
}

// BenchmarkFloorCopyAge is the floor for BenchmarkBackup: the same database
// file read and piped through age encryption to a synced file.
func BenchmarkFloorCopyAge(b *testing.B) {
	_, path, size := benchDatabase(b)
	recs, _, _ := testKeys(b)
	out := filepath.Join(b.TempDir(), "copy.age")
	b.SetBytes(size)
	b.ResetTimer()
	for b.Loop() {
		if err := copyAge(path, out, recs); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		os.Remove(out)
		b.StartTimer()
	}
}

func copyAge(src, dst string, recs []age.Recipient) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	defer out.Close()
	w, err := age.Encrypt(out, recs...)
	if err != nil {
		return err
	}
	if _, err := io.Copy(w, in); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	return out.Sync()
}
