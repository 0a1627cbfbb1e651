package backup

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"filippo.io/age"
	_ "modernc.org/sqlite"
)

// openDB opens (creating if needed) a WAL database at path, as the server does.
func openDB(t testing.TB, path string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if _, err := db.Exec(`CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, body TEXT NOT NULL, blob BLOB);
		CREATE TABLE IF NOT EXISTS counter (n INTEGER NOT NULL);
		INSERT INTO counter (n) SELECT 0 WHERE NOT EXISTS (SELECT 1 FROM counter);`); err != nil {
		t.Fatal(err)
	}
	return db
}

// insertRows adds n rows to items and bumps counter by n in one transaction,
// so any consistent snapshot has count(items) == counter.n.
func insertRows(t testing.TB, db *sql.DB, n int, blobSize int) {
	t.Helper()
	if err := insertTx(db, n, blobSize); err != nil {
		t.Fatal(err)
	}
}

func insertTx(db *sql.DB, n int, blobSize int) error {
	tx, err := db.Begin()
	if err != nil {
		return err
	}
	defer tx.Rollback()
	blob := make([]byte, blobSize)
	for i := range n {
		if blobSize > 0 {
			blob[i%blobSize] = byte(i)
		}
		if _, err := tx.Exec("INSERT INTO items (body, blob) VALUES (?, ?)", "ticket text", blob); err != nil {
			return err
		}
	}
	if _, err := tx.Exec("UPDATE counter SET n = n + ?", n); err != nil {
		return err
	}
	return tx.Commit()
}

// newDB returns a populated database in a fresh data folder and its path.
func newDB(t testing.TB, rows int) (*sql.DB, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), DBName)
	db := openDB(t, path)
	insertRows(t, db, rows, 1000)
	return db, path
}

// testKeys makes an identity with EnsureIdentity in a temporary data folder.
func testKeys(t testing.TB) (recs []age.Recipient, ids []age.Identity, idPath string) {
	t.Helper()
	dir := t.TempDir()
	if _, err := EnsureIdentity(dir); err != nil {
		t.Fatal(err)
	}
	recs, err := LoadRecipients(filepath.Join(dir, RecipientsName))
	if err != nil {
		t.Fatal(err)
	}
	idPath = filepath.Join(dir, IdentityName)
	ids, err = LoadIdentities(idPath)
	if err != nil {
		t.Fatal(err)
	}
	return recs, ids, idPath
}

// clock returns a fixed clock at the RFC 3339 time s.
func clock(t testing.TB, s string) func() time.Time {
	t.Helper()
	tm, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return func() time.Time { return tm }
}

// makeBackup creates a backup of db in a new folder and returns its path.
func makeBackup(t testing.TB, db *sql.DB, recs []age.Recipient) (string, Manifest) {
	t.Helper()
	dir := t.TempDir()
	m, err := Create(context.Background(), db, CreateOptions{Dir: dir, Recipients: recs, SchemaVersion: 7, AuditHead: "abc123"})
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, m.File), m
}

// counts returns count(items) and counter.n of the database file at path,
// opened read-only.
func counts(t testing.TB, path string) (items, counter int) {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.QueryRow("SELECT (SELECT count(*) FROM items), (SELECT n FROM counter)").Scan(&items, &counter); err != nil {
		t.Fatalf("count rows in %s: %v", path, err)
	}
	return items, counter
}

// integrity runs PRAGMA integrity_check on the database file at path.
func integrity(t testing.TB, path string) string {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var res string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&res); err != nil {
		t.Fatal(err)
	}
	return res
}

// names lists the file names in dir, sorted.
func names(t testing.TB, dir string) []string {
	t.Helper()
	des, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	var out []string
	for _, de := range des {
		out = append(out, de.Name())
	}
	slices.Sort(out)
	return out
}

// fileSHA returns the hex SHA-256 of the file at path.
func fileSHA(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// ageCLI returns the path of the age command, skipping the test where it is
// missing (failing instead when CI is set).
func ageCLI(t testing.TB) string {
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

// flipByte inverts one byte of the file at path, at offset off from the end.
func flipByte(t testing.TB, path string, fromEnd int64) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 1)
	off := info.Size() - fromEnd
	if _, err := f.ReadAt(b, off); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0xff
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}
