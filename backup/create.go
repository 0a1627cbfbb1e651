package backup

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"database/sql/driver"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"filippo.io/age"
)

// CreateOptions configures Create.
type CreateOptions struct {
	// Dir is the backups folder; it is created (0700) if missing.
	Dir string
	// Recipients are the age recipients the backup is encrypted to
	// (LoadRecipients, or one PassphraseRecipient alone).
	Recipients []age.Recipient
	// CopyTo, if set, is a second folder that receives a copy of the backup
	// and its manifest, also written atomically.
	CopyTo string
	// SchemaVersion is recorded in the manifest.
	SchemaVersion int
	// AuditHead is recorded in the manifest: the hash of the last audit entry.
	AuditHead string
	// Now is the clock; nil means time.Now. The backup is named after it in UTC.
	Now func() time.Time
}

// testHookEncryptedWriter, when set by a test, wraps the writer that receives
// the encrypted stream, so a test can make it fail part way.
var testHookEncryptedWriter func(io.Writer) io.Writer

// Create takes a consistent snapshot of db with VACUUM INTO while the server
// keeps serving, encrypts it to opts.Recipients and writes it atomically as
// opts.Dir/safedesk-YYYYMMDDTHHMMSSZ.db.age with its manifest beside it.
//
// db must be able to run VACUUM INTO: a writer pool or a reader pool opened
// with mode=ro works, a connection with PRAGMA query_only=1 does not. Prefer
// the reader pool, so the snapshot never holds up the writer.
//
// No temporary file is left behind on any error, and ones older than a day
// (left by a crash) are deleted. If the backup was written but the copy to
// opts.CopyTo failed, Create returns the manifest together with an error
// that wraps ErrCopy. A second Create while one runs returns ErrBusy.
func Create(ctx context.Context, db *sql.DB, opts CreateOptions) (Manifest, error) {
	if !running.TryLock() {
		return Manifest{}, ErrBusy
	}
	defer running.Unlock()

	if db == nil || opts.Dir == "" {
		return Manifest{}, errors.New("backup: create needs a database and a folder")
	}
	if len(opts.Recipients) == 0 {
		return Manifest{}, errors.New("backup: no recipients to encrypt to")
	}
	now := time.Now
	if opts.Now != nil {
		now = opts.Now
	}
	created := now().UTC().Truncate(time.Second)
	name := FileName(created)
	final := filepath.Join(opts.Dir, name)

	if err := os.MkdirAll(opts.Dir, 0o700); err != nil {
		return Manifest{}, fmt.Errorf("backup: %w", err)
	}
	removeStaleTemps(opts.Dir)
	if _, err := os.Lstat(final); err == nil {
		return Manifest{}, fmt.Errorf("backup: %s already exists", final)
	}

	snap, err := snapshot(ctx, db, opts.Dir)
	if err != nil {
		return Manifest{}, err
	}
	defer snap.remove()

	enc, err := newTempFile(opts.Dir)
	if err != nil {
		return Manifest{}, err
	}
	defer enc.remove()

	m := Manifest{
		Format:        manifestFmt,
		File:          name,
		Created:       created,
		SchemaVersion: opts.SchemaVersion,
		AuditHead:     opts.AuditHead,
	}
	if err := encrypt(ctx, snap.File, enc, opts.Recipients, &m); err != nil {
		return Manifest{}, err
	}
	// Free the plaintext as soon as it is no longer needed, while the
	// encrypted file is flushed: unlinking a large file takes a while, and
	// its pages then never need writing back.
	removed := make(chan struct{})
	go func() { snap.remove(); close(removed) }()
	err = enc.finish()
	<-removed
	if err != nil {
		return Manifest{}, err
	}

	if err := commitBackup(enc, &m, opts.Dir); err != nil {
		return Manifest{}, err
	}
	if opts.CopyTo != "" {
		if err := copyBackup(ctx, final, opts.CopyTo, &m); err != nil {
			return m, withCause(ErrCopy, err)
		}
	}
	return m, nil
}

// snapshot writes a consistent copy of db into a new temporary file in dir.
func snapshot(ctx context.Context, db *sql.DB, dir string) (*tempFile, error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("backup: snapshot: %w", err)
	}
	defer conn.Close()
	var queryOnly bool
	if err := conn.QueryRowContext(ctx, "PRAGMA query_only").Scan(&queryOnly); err != nil {
		return nil, fmt.Errorf("backup: snapshot: %w", err)
	}
	if queryOnly {
		return nil, errors.New("backup: snapshot: the connection is query_only; pass the writer or a mode=ro pool")
	}

	// VACUUM INTO accepts an existing empty file, so the temporary file
	// gets a unique name and mode 0600 from the start.
	t, err := newTempFile(dir)
	if err != nil {
		return nil, err
	}
	restore, err := unsynced(ctx, conn)
	if err != nil {
		t.remove()
		return nil, err
	}
	_, err = conn.ExecContext(ctx, "VACUUM INTO ?", t.Name())
	if rerr := restore(); err == nil {
		err = rerr
	}
	if err != nil {
		t.remove()
		return nil, fmt.Errorf("backup: snapshot: %w", err)
	}
	return t, nil
}

// unsynced turns off fsync on conn for VACUUM INTO, which writes its output
// with the connection's synchronous setting: the snapshot is a temporary
// file, read once and deleted, and syncing it cost a third of a backup's
// time. restore puts the setting back; if it cannot, the connection is
// discarded rather than returned to its pool unsynced.
func unsynced(ctx context.Context, conn *sql.Conn) (restore func() error, err error) {
	var level int
	if err := conn.QueryRowContext(ctx, "PRAGMA synchronous").Scan(&level); err != nil {
		return nil, fmt.Errorf("backup: snapshot: %w", err)
	}
	if level < 0 || level > 3 {
		return nil, fmt.Errorf("backup: snapshot: unexpected synchronous level %d", level)
	}
	if _, err := conn.ExecContext(ctx, "PRAGMA synchronous = OFF"); err != nil {
		return nil, fmt.Errorf("backup: snapshot: %w", err)
	}
	return func() error {
		// Not ctx: the setting must come back even when the backup was canceled.
		_, err := conn.ExecContext(context.Background(), fmt.Sprintf("PRAGMA synchronous = %d", level))
		if err != nil {
			conn.Raw(func(any) error { return driver.ErrBadConn })
			return fmt.Errorf("backup: snapshot: restore synchronous: %w", err)
		}
		return nil
	}, nil
}

// encrypt streams src through age to dst, filling in the sizes and hashes of
// m. SHA-256 is slower than the encryption, so neither hash runs on the
// encrypting goroutine: the plaintext is hashed by a second reader of the
// same (private, unchanging) snapshot, the ciphertext by an asyncHash.
func encrypt(ctx context.Context, src *os.File, dst io.Writer, recipients []age.Recipient, m *Manifest) error {
	hctx, cancel := context.WithCancel(ctx)
	var plain hashResult
	done := make(chan struct{})
	go func() {
		defer close(done)
		plain = hashFile(hctx, src.Name())
	}()
	defer func() { cancel(); <-done }()

	encHash := newAsyncHash()
	defer encHash.stop()
	out := io.MultiWriter(dst, encHash)
	if testHookEncryptedWriter != nil {
		out = testHookEncryptedWriter(out)
	}
	w, err := age.Encrypt(out, recipients...)
	if err != nil {
		return fmt.Errorf("backup: encrypt: %w", err)
	}
	n, err := io.CopyBuffer(w, ctxReader{ctx, src}, make([]byte, 256<<10))
	if err != nil {
		return fmt.Errorf("backup: encrypt: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("backup: encrypt: %w", err)
	}
	<-done
	if plain.err != nil {
		return fmt.Errorf("backup: hash snapshot: %w", plain.err)
	}
	if plain.n != n {
		return fmt.Errorf("backup: snapshot changed while it was read (%d bytes, then %d)", n, plain.n)
	}
	m.Size = n
	m.SHA256 = plain.sum
	m.EncryptedSize, m.EncryptedSHA256 = encHash.sum()
	return nil
}

// hashResult is the size and hex SHA-256 of a file, or why they are missing.
type hashResult struct {
	n   int64
	sum string
	err error
}

// hashFile reads the file at path through SHA-256.
func hashFile(ctx context.Context, path string) hashResult {
	f, err := os.Open(path)
	if err != nil {
		return hashResult{err: err}
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, ctxReader{ctx, f})
	if err != nil {
		return hashResult{err: err}
	}
	return hashResult{n: n, sum: hex.EncodeToString(h.Sum(nil))}
}

// commitBackup writes the manifest for the finished encrypted file enc and
// renames both into dir, then syncs dir. On error neither is left behind.
func commitBackup(enc *tempFile, m *Manifest, dir string) error {
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("backup: manifest: %w", err)
	}
	man, err := newTempFile(dir)
	if err != nil {
		return err
	}
	defer man.remove()
	if _, err := man.Write(append(data, '\n')); err != nil {
		return fmt.Errorf("backup: manifest: %w", err)
	}
	if err := man.finish(); err != nil {
		return err
	}
	return commitPair(enc, man, filepath.Join(dir, m.File))
}

// commitPair renames the finished encrypted file and manifest to final and
// final+".json", and syncs the folder. If the manifest cannot be renamed the
// encrypted file is removed again.
func commitPair(enc, man *tempFile, final string) error {
	if err := enc.commit(final); err != nil {
		return err
	}
	if err := man.commit(final + manifestExt); err != nil {
		os.Remove(final)
		return err
	}
	if err := syncDir(filepath.Dir(final)); err != nil {
		os.Remove(final + manifestExt)
		os.Remove(final)
		return err
	}
	return nil
}

// copyBackup copies the committed backup at file and its manifest into dir.
func copyBackup(ctx context.Context, file, dir string, m *Manifest) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	removeStaleTemps(dir)
	enc, err := copyToTemp(ctx, file, dir, m.EncryptedSHA256)
	if err != nil {
		return err
	}
	defer enc.remove()
	man, err := newTempFile(dir)
	if err != nil {
		return err
	}
	defer man.remove()
	data, err := os.ReadFile(file + manifestExt)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if _, err := man.Write(data); err != nil {
		return fmt.Errorf("backup: copy manifest: %w", err)
	}
	if err := man.finish(); err != nil {
		return err
	}
	return commitPair(enc, man, filepath.Join(dir, m.File))
}

// asyncHash counts and hashes what is written to it on its own goroutine.
// Write copies p into a buffer from a small free list, so the writer may
// reuse p at once, and blocks only when the hasher is eight buffers behind.
type asyncHash struct {
	work chan []byte
	free chan []byte
	done chan struct{}
	h    hash.Hash
	n    int64
	once sync.Once
}

func newAsyncHash() *asyncHash {
	a := &asyncHash{work: make(chan []byte, 8), free: make(chan []byte, 9), done: make(chan struct{}), h: sha256.New()}
	go func() {
		defer close(a.done)
		for b := range a.work {
			a.h.Write(b)
			a.n += int64(len(b))
			select {
			case a.free <- b[:0]:
			default:
			}
		}
	}()
	return a
}

func (a *asyncHash) Write(p []byte) (int, error) {
	var b []byte
	select {
	case b = <-a.free:
	default:
	}
	a.work <- append(b, p...)
	return len(p), nil
}

// stop ends the hashing goroutine; it is safe to call more than once.
func (a *asyncHash) stop() {
	a.once.Do(func() { close(a.work) })
	<-a.done
}

// sum stops the hasher and returns the byte count and hex SHA-256.
func (a *asyncHash) sum() (int64, string) {
	a.stop()
	return a.n, hex.EncodeToString(a.h.Sum(nil))
}
