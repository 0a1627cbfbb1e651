package backup

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"
)

// What `safedesk backup list` and `safedesk backup verify` print.

// WriteList prints the backups in dir, newest first, as a table: when
// taken, size, the start of the snapshot's SHA-256, path.
func WriteList(w io.Writer, dir string) error {
	entries, err := List(dir)
	if err != nil {
		return err
	}
	if len(entries) == 0 {
		_, err := fmt.Fprintf(w, "no backups in %s\n", dir)
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TAKEN (UTC)\tBYTES\tSNAPSHOT SHA-256\tFILE")
	for _, e := range entries {
		sum := "(no manifest)"
		if e.Manifest != nil {
			sum = e.Manifest.SHA256[:16] + "…"
		}
		fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", e.Created.Format(time.DateTime), e.Size, sum, e.Path)
	}
	return tw.Flush()
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
