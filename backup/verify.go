package backup

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"filippo.io/age"
	_ "modernc.org/sqlite" // the "sqlite" driver, to open decrypted copies
)

// Verify decrypts the backup at file into a private temporary folder (file
// mode 0600, removed afterwards; TMPDIR chooses where), checks its sizes and
// SHA-256 hashes against the manifest beside it when there is one, runs
// PRAGMA integrity_check and then each check against the decrypted copy
// opened read-only. It returns the manifest; without one, the returned
// manifest is computed from the file and has no schema version or audit head.
//
// A backup no identity can open gives ErrWrongIdentity; a damaged or
// truncated one gives ErrCorrupt; one that differs from its manifest gives
// ErrMismatch.
func Verify(ctx context.Context, file string, identities []age.Identity, checks ...Check) (Manifest, error) {
	dir, err := os.MkdirTemp("", "safedesk-verify-")
	if err != nil {
		return Manifest{}, fmt.Errorf("backup: %w", err)
	}
	defer os.RemoveAll(dir)
	t, m, err := decryptTo(ctx, file, identities, dir)
	if err != nil {
		return Manifest{}, err
	}
	defer t.remove()
	if err := checkDB(ctx, t.Name(), checks); err != nil {
		return Manifest{}, err
	}
	return m, nil
}

// decryptTo decrypts file into a new temporary file in dir and checks it
// against the manifest beside file, if any. The returned file is synced and
// closed; the caller removes or commits it.
func decryptTo(ctx context.Context, file string, identities []age.Identity, dir string) (*tempFile, Manifest, error) {
	if len(identities) == 0 {
		return nil, Manifest{}, errors.New("backup: no identities to decrypt with")
	}
	want, err := readManifest(file)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, Manifest{}, err
	}
	f, err := os.Open(file)
	if err != nil {
		return nil, Manifest{}, fmt.Errorf("backup: %w", err)
	}
	defer f.Close()

	encHash, plainHash := sha256.New(), sha256.New()
	src := &trackedReader{r: f}
	enc := io.TeeReader(src, encHash)
	plain, err := age.Decrypt(enc, identities...)
	if err != nil {
		return nil, Manifest{}, decryptError(file, src, err)
	}
	t, err := newTempFile(dir)
	if err != nil {
		return nil, Manifest{}, err
	}
	dst := &trackedWriter{w: io.MultiWriter(t, plainHash)}
	n, err := io.Copy(dst, ctxReader{ctx, plain})
	if err == nil {
		// Hash any bytes age did not need to read (there should be none).
		_, err = io.Copy(io.Discard, enc)
	}
	switch {
	case err == nil:
	case ctx.Err() != nil:
		err = fmt.Errorf("backup: decrypt: %w", ctx.Err())
	case dst.err != nil:
		err = fmt.Errorf("backup: write decrypted copy: %w", dst.err)
	default:
		err = decryptError(file, src, err)
	}
	if err == nil {
		err = t.finish()
	}
	if err != nil {
		t.remove()
		return nil, Manifest{}, err
	}

	m, err := holdAgainst(want, Manifest{
		Format:          manifestFmt,
		File:            filepath.Base(file),
		Size:            n,
		SHA256:          hex.EncodeToString(plainHash.Sum(nil)),
		EncryptedSize:   src.n,
		EncryptedSHA256: hex.EncodeToString(encHash.Sum(nil)),
	})
	if err != nil {
		t.remove()
		return nil, Manifest{}, err
	}
	return t, m, nil
}

// holdAgainst checks what was decrypted (got) against want, the manifest
// beside the file, and returns the manifest to report: want, or got with
// the time from the file name when the file has no manifest.
func holdAgainst(want *Manifest, got Manifest) (Manifest, error) {
	if want == nil {
		got.Created, _ = parseFileName(got.File)
		return got, nil
	}
	if got.Size != want.Size || got.SHA256 != want.SHA256 ||
		got.EncryptedSize != want.EncryptedSize || got.EncryptedSHA256 != want.EncryptedSHA256 {
		return Manifest{}, ErrMismatch
	}
	return *want, nil
}

// decryptError turns an error from reading an age stream into a one-line
// error: an I/O error as such, otherwise wrong identity or corrupt.
func decryptError(file string, src *trackedReader, err error) error {
	if src.err != nil {
		return fmt.Errorf("backup: read %s: %w", filepath.Base(file), src.err)
	}
	var noMatch *age.NoIdentityMatchError
	if errors.As(err, &noMatch) {
		return withDetail(ErrWrongIdentity, err)
	}
	return withDetail(ErrCorrupt, err)
}

// checkDB opens the database at path read-only and runs the integrity check
// and then each check.
func checkDB(ctx context.Context, path string, checks []Check) error {
	db, err := sql.Open("sqlite", readOnlyDSN(path))
	if err != nil {
		return fmt.Errorf("backup: open decrypted copy: %w", err)
	}
	defer db.Close()
	return checkOpen(ctx, db, checks)
}

// checkOpen runs the integrity check and then each check on db.
func checkOpen(ctx context.Context, db *sql.DB, checks []Check) error {
	rows, err := db.QueryContext(ctx, "PRAGMA integrity_check")
	if err != nil {
		return fmt.Errorf("backup: integrity check: %w", err)
	}
	var problems []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			rows.Close()
			return fmt.Errorf("backup: integrity check: %w", err)
		}
		// A row may hold several lines under a "*** in database" heading.
		for line := range strings.Lines(s) {
			if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "*** in database") {
				problems = append(problems, line)
			}
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("backup: integrity check: %w", err)
	}
	if len(problems) != 1 || problems[0] != "ok" {
		if len(problems) == 0 {
			return errors.New("backup: integrity check failed")
		}
		return fmt.Errorf("backup: integrity check failed: %s (%d problems)", problems[0], len(problems))
	}
	for _, check := range checks {
		if err := check(ctx, db); err != nil {
			return fmt.Errorf("backup: check failed: %w", err)
		}
	}
	return nil
}

// readOnlyDSN is a DSN that opens the private decrypted copy at path
// read-only. immutable=1 keeps SQLite from creating -wal or -shm files
// beside it: nothing else ever opens that file.
func readOnlyDSN(path string) string {
	esc := strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
	return "file:" + esc + "?mode=ro&immutable=1&_pragma=query_only(1)"
}

// trackedReader counts bytes and remembers a read error other than EOF, so
// an I/O error is not reported as a corrupt file.
type trackedReader struct {
	r   io.Reader
	n   int64
	err error
}

func (t *trackedReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	t.n += int64(n)
	if err != nil && err != io.EOF {
		t.err = err
	}
	return n, err
}

// trackedWriter remembers a write error, so a full disk is not reported as a
// corrupt file.
type trackedWriter struct {
	w   io.Writer
	err error
}

func (t *trackedWriter) Write(p []byte) (int, error) {
	n, err := t.w.Write(p)
	if err != nil {
		t.err = err
	}
	return n, err
}
