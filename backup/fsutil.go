package backup

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// staleAfter is the age past which a temporary file of ours is taken to be
// left over from a crash. No backup runs that long; a younger one may belong
// to a backup running in another process.
const staleAfter = 24 * time.Hour

// tempFile is a file being written under a temporary name in its final
// folder. Until commit succeeds, remove deletes it; after, remove does nothing.
type tempFile struct {
	*os.File
	committed bool
}

// newTempFile creates an empty 0600 temporary file in dir.
func newTempFile(dir string) (*tempFile, error) {
	f, err := os.CreateTemp(dir, tempPrefix+"*")
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	return &tempFile{File: f}, nil
}

// finish flushes the file to stable storage and closes it.
func (t *tempFile) finish() error {
	if err := t.Sync(); err != nil {
		t.Close()
		return fmt.Errorf("backup: sync %s: %w", t.Name(), err)
	}
	if err := t.Close(); err != nil {
		return fmt.Errorf("backup: close %s: %w", t.Name(), err)
	}
	return nil
}

// remove closes and deletes the file unless it was committed. It is safe to
// call more than once, and meant for defer.
func (t *tempFile) remove() {
	if t == nil || t.committed {
		return
	}
	t.Close()
	os.Remove(t.Name())
}

// commit renames the finished file to final, refusing to replace an
// existing file. The caller syncs the folder afterwards.
func (t *tempFile) commit(final string) error {
	if err := noClobberRename(t.Name(), final); err != nil {
		return err
	}
	t.committed = true
	return nil
}

// noClobberRename renames from to to unless to exists.
func noClobberRename(from, to string) error {
	if _, err := os.Lstat(to); err == nil {
		return fmt.Errorf("backup: %s already exists", to)
	} else if !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("backup: %w", err)
	}
	if err := os.Rename(from, to); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	return nil
}

// copyToTemp copies src into a new temporary file in dir and checks the
// copy's SHA-256 against wantSHA (hex). The file is synced and closed.
func copyToTemp(ctx context.Context, src, dir, wantSHA string) (*tempFile, error) {
	in, err := os.Open(src)
	if err != nil {
		return nil, fmt.Errorf("backup: %w", err)
	}
	defer in.Close()
	t, err := newTempFile(dir)
	if err != nil {
		return nil, err
	}
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(t, h), ctxReader{ctx, in}); err != nil {
		t.remove()
		return nil, fmt.Errorf("backup: copy to %s: %w", dir, err)
	}
	if err := t.finish(); err != nil {
		t.remove()
		return nil, err
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != wantSHA {
		t.remove()
		return nil, fmt.Errorf("backup: copy to %s: checksum differs from the original", dir)
	}
	return t, nil
}

// removeStaleTemps deletes temporary files left in dir by a crash: they may
// hold a plaintext snapshot. It is best effort.
func removeStaleTemps(dir string) {
	des, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, de := range des {
		if !strings.HasPrefix(de.Name(), tempPrefix) || !de.Type().IsRegular() {
			continue
		}
		if info, err := de.Info(); err == nil && time.Since(info.ModTime()) > staleAfter {
			os.Remove(filepath.Join(dir, de.Name()))
		}
	}
}

// ctxReader stops a long copy once its context is done.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

// Read reads, unless the context is done.
func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
