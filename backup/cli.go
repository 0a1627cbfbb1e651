package backup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"safedesk/store"
)

// The commands `safedesk backup create|list|verify|restore` run once main
// has parsed their flags, and what they print.

// WriteDir prints the backups in dir as WriteList does, or says there are
// none.
func WriteDir(w io.Writer, dir, keep string, now time.Time) error {
	entries, err := List(dir)
	if err != nil {
		return err
	}
	if len(entries) == 0 {
		_, err := fmt.Fprintf(w, "no backups in %s\n", dir)
		return err
	}
	return WriteList(w, entries, keep, now)
}

// Write prints what a verification of file found.
func (r VerifyReport) Write(w io.Writer, file string) error {
	fmt.Fprintf(w, "ok: %s\nsnapshot: %d bytes, SHA-256 %s\n", file, r.Size, r.SHA256)
	if r.SchemaVersion > 0 {
		fmt.Fprintf(w, "schema %d, audit head %s\n", r.SchemaVersion, r.AuditHead)
	}
	checked := "audit chain and its signed checkpoints verify"
	if !r.Checkpoints {
		checked = "audit chain verifies (checkpoints unchecked: no audit public key)"
	}
	_, err := fmt.Fprintf(w, "integrity check ok, %s, every data key opens with the master key\n", checked)
	return err
}

// CreateNow makes one backup of the data folder in d with the settings o,
// as `safedesk backup create` does, and prints its size and hash, where
// it was copied, and its path on the last line.
func CreateNow(ctx context.Context, o Options, d Deps, w io.Writer) error {
	b, err := New(ctx, o, d)
	if err != nil {
		return err
	}
	m, err := b.Run(ctx, store.BackupSourceCLI, store.CLIActor)
	if m.File == "" {
		return err
	}
	st := b.Status()
	fmt.Fprintf(w, "backup written: %d bytes encrypted, snapshot SHA-256 %s\n", m.EncryptedSize, m.SHA256)
	if st.CopyTo != "" && err == nil {
		fmt.Fprintf(w, "copied to %s\n", filepath.Join(st.CopyTo, m.File))
	}
	fmt.Fprintln(w, filepath.Join(st.Dir, m.File))
	return err
}

// RestoreCLI is RestoreInto for `safedesk backup restore`: it says what was
// restored where, where the replaced database is kept, and how to start
// the server.
func RestoreCLI(ctx context.Context, file string, d Decrypt, dir, keyFile string, force bool, w io.Writer) error {
	res, err := RestoreInto(ctx, file, d, dir, keyFile, force)
	if res.DB == "" {
		return err
	}
	if werr := res.WriteReport(w, file); werr != nil || err != nil {
		return errors.Join(err, werr)
	}
	_, err = fmt.Fprintf(w, "start the server with: safedesk serve --data %s\n", dir)
	return err
}
