package backup

import (
	"context"
	"crypto/sha256"
	"database/sql"
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

	"safedesk/security"
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

// Create takes a consistent snapshot of db while the server keeps serving,
// encrypts it to opts.Recipients and writes it atomically as
// opts.Dir/safedesk-YYYYMMDDTHHMMSSZ.db.age with its manifest beside it.
//
// The snapshot only reads (see encryptSnapshot), so any pool works; prefer
// a reader pool, so the snapshot never holds up the writer.
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
	if err := encryptSnapshot(ctx, db, enc, opts.Recipients, &m); err != nil {
		return Manifest{}, err
	}
	if err := enc.finish(); err != nil {
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

// encryptSnapshot streams a consistent image of the database straight into
// age: one SELECT over the sqlite_dbpage virtual table reads every page of
// the database file as of one read transaction (WAL frames included), so the
// writer keeps serving and no plaintext copy ever touches the disk. The page
// image is a valid SQLite database file; freed pages are zeroed because the
// store runs with secure_delete. Both hashes run off the encrypting
// goroutine, so SHA-256 does not slow the stream.
func encryptSnapshot(ctx context.Context, db *sql.DB, dst io.Writer, recipients []age.Recipient, m *Manifest) error {
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
	plain := newPageSink(w)
	defer plain.stop()
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("backup: snapshot: %w", err)
	}
	defer conn.Close()
	// Map the file while reading it: without it every 4 KiB page costs a
	// pread system call. The mapping ends with the query.
	if _, err := conn.ExecContext(ctx, "PRAGMA mmap_size = 1099511627776"); err != nil {
		return fmt.Errorf("backup: snapshot: %w", err)
	}
	defer conn.ExecContext(context.Background(), "PRAGMA mmap_size = 0")
	rows, err := conn.QueryContext(ctx, "SELECT data FROM sqlite_dbpage")
	if err != nil {
		return fmt.Errorf("backup: snapshot: %w", err)
	}
	defer rows.Close()
	var page sql.RawBytes
	var pages int64
	for rows.Next() {
		if err := rows.Scan(&page); err != nil {
			return fmt.Errorf("backup: snapshot: %w", err)
		}
		if _, err := plain.Write(page); err != nil {
			return fmt.Errorf("backup: encrypt: %w", err)
		}
		pages++
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("backup: snapshot: %w", err)
	}
	if pages == 0 {
		return errors.New("backup: snapshot: the database has no pages")
	}
	if err := plain.Flush(); err != nil {
		return fmt.Errorf("backup: encrypt: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("backup: encrypt: %w", err)
	}
	m.Size, m.SHA256 = plain.sum()
	m.EncryptedSize, m.EncryptedSHA256 = encHash.sum()
	return nil
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
	if err := security.SyncDir(filepath.Dir(final)); err != nil {
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

// bgHash counts and hashes buffers on its own goroutine. A buffer handed
// to it with hash comes back on its free list once hashed, for the writer
// to reuse (take); the writer blocks only when the hasher is depth buffers
// behind.
type bgHash struct {
	work chan []byte
	free chan []byte
	done chan struct{}
	h    hash.Hash
	n    int64
	once sync.Once
}

func newBGHash(depth int) *bgHash {
	b := &bgHash{work: make(chan []byte, depth), free: make(chan []byte, depth+1), done: make(chan struct{}), h: sha256.New()}
	go func() {
		defer close(b.done)
		for buf := range b.work {
			b.h.Write(buf)
			b.n += int64(len(buf))
			select {
			case b.free <- buf[:0]:
			default:
			}
		}
	}()
	return b
}

// hash hands buf to the hashing goroutine; the caller must not touch it
// again.
func (b *bgHash) hash(buf []byte) { b.work <- buf }

// take returns a hashed buffer to reuse, or nil when none is free.
func (b *bgHash) take() []byte {
	select {
	case buf := <-b.free:
		return buf
	default:
		return nil
	}
}

// stop ends the hashing goroutine; it is safe to call more than once.
func (b *bgHash) stop() {
	b.once.Do(func() { close(b.work) })
	<-b.done
}

// sum stops the hasher and returns the byte count and hex SHA-256.
func (b *bgHash) sum() (int64, string) {
	b.stop()
	return b.n, hex.EncodeToString(b.h.Sum(nil))
}

// asyncHash counts and hashes what is written to it on its own goroutine.
// Write copies p, so the writer may reuse p at once.
type asyncHash struct{ *bgHash }

func newAsyncHash() asyncHash { return asyncHash{newBGHash(8)} }

// Write hands a copy of p to the hashing goroutine.
func (a asyncHash) Write(p []byte) (int, error) {
	a.hash(append(a.take(), p...))
	return len(p), nil
}

// pageSink gathers pages into 1 MiB chunks, writes each chunk to w and hands
// the same chunk to a hashing goroutine: the plaintext is hashed without
// being copied again, and a chunk is reused only once it has been hashed.
type pageSink struct {
	*bgHash
	w   io.Writer
	buf []byte
}

const sinkChunk = 1 << 20

func newPageSink(w io.Writer) *pageSink {
	return &pageSink{bgHash: newBGHash(3), w: w, buf: make([]byte, 0, sinkChunk)}
}

// Write adds page to the current chunk, sending the chunk on when full.
func (p *pageSink) Write(page []byte) (int, error) {
	if len(p.buf)+len(page) > cap(p.buf) {
		if err := p.Flush(); err != nil {
			return 0, err
		}
	}
	p.buf = append(p.buf, page...)
	return len(page), nil
}

// Flush writes the current chunk and passes it to the hasher.
func (p *pageSink) Flush() error {
	if len(p.buf) == 0 {
		return nil
	}
	if _, err := p.w.Write(p.buf); err != nil {
		return err
	}
	p.hash(p.buf)
	if p.buf = p.take(); p.buf == nil {
		p.buf = make([]byte, 0, sinkChunk)
	}
	return nil
}
