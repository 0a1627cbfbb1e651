package backup

import (
	"bytes"
	"crypto/rand"
	"io"
	"os"
	"path/filepath"
	"testing"

	"filippo.io/age"

	"safedesk/security"
	"safedesk/store"
	"safedesk/store/storetest"
)

// TestBackupCarriesAttachmentsSealed: a file's bytes travel in the backup
// with no extra step, sealed (a marker inside the file is nowhere in the
// decrypted backup), and a restore on another machine, with the master
// key, reads the file back whole.
func TestBackupCarriesAttachmentsSealed(t *testing.T) {
	dir, _ := dataFolder(t)
	marker := "AttachmentMarker-" + rand.Text()
	content := bytes.Repeat([]byte(marker+" scanned receipt line\n"), 8000) // several chunks
	db := storetest.Open(t, dir)
	up := db.NewUpload(0)
	if _, err := up.Add(t.Context(), "receipt.txt", bytes.NewReader(content)); err != nil {
		t.Fatal(err)
	}
	tk, err := db.CreateTicket(t.Context(), store.NewTicket{Email: "ada@example.com", Subject: "Receipt", Body: "Attached.", Upload: up},
		store.Actor{Type: store.ActorVisitor})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	file := backupOf(t, dir)

	ids, err := LoadIdentities(filepath.Join(dir, IdentityName))
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := age.Decrypt(f, ids...)
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(plain, []byte(marker)) {
		t.Error("the decrypted backup holds the file's text in the clear")
	}
	if !bytes.Contains(plain, []byte("CREATE TABLE attachment_chunks")) {
		t.Fatal("the decrypted backup is not the database: the scan sees nothing")
	}

	target := t.TempDir() // another machine: the backup and the master key
	key, err := os.ReadFile(filepath.Join(dir, MasterKeyName))
	if err != nil {
		t.Fatal(err)
	}
	if err := security.WriteFileAtomic(filepath.Join(target, MasterKeyName), key, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := RestoreInto(t.Context(), file, Decrypt{Identity: filepath.Join(dir, IdentityName)}, target, "", false); err != nil {
		t.Fatal(err)
	}
	restored := storetest.Open(t, target)
	atts, err := restored.ListAttachments(t.Context(), tk.ID, false)
	if err != nil || len(atts) != 1 {
		t.Fatalf("restored attachments %+v, %v", atts, err)
	}
	body, err := restored.OpenAttachment(t.Context(), atts[0])
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(body)
	if err != nil || !bytes.Equal(got, content) {
		t.Errorf("restored file: %d bytes, %v; want %d", len(got), err, len(content))
	}
}
