package store_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"errors"
	"image"
	"image/png"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"safedesk/security"
	"safedesk/store"
)

// textFile is n bytes of printable text with marker at its start and end.
func textFile(n int, marker string) []byte {
	b := bytes.Repeat([]byte("The grinder arrived cracked. "), n/29+1)[:n]
	copy(b, marker)
	copy(b[n-len(marker):], marker)
	return b
}

func pngFile(t testing.TB) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewGray(image.Rect(0, 0, 8, 8))); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// upload stages files (name, bytes pairs) and fails the test on an error.
func upload(t *testing.T, db *store.DB, files ...any) *store.Upload {
	t.Helper()
	u := db.NewUpload(0)
	t.Cleanup(func() { u.Discard(context.Background()) })
	for i := 0; i < len(files); i += 2 {
		if _, err := u.Add(t.Context(), files[i].(string), bytes.NewReader(files[i+1].([]byte))); err != nil {
			t.Fatalf("Add(%s): %v", files[i], err)
		}
	}
	return u
}

func readAttachment(t *testing.T, db *store.DB, a store.Attachment) ([]byte, error) {
	t.Helper()
	r, err := db.OpenAttachment(t.Context(), a)
	if err != nil {
		return nil, err
	}
	return io.ReadAll(r)
}

func rowCount(t *testing.T, db *store.DB, query string, args ...any) int {
	t.Helper()
	var n int
	if err := db.Writer().QueryRowContext(t.Context(), query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestAttachmentsOnTicketAndReply(t *testing.T) {
	db, _ := newTestDB(t)
	ctx := t.Context()
	doc := textFile(3*security.ChunkSize+777, "DocMarker")
	img := pngFile(t)
	tk, err := db.CreateTicket(ctx, store.NewTicket{Email: "ada@example.org", Subject: "Cracked", Body: "See the photo.",
		Upload: upload(t, db, "photo.png", img, "order notes", doc)}, customerActor)
	if err != nil {
		t.Fatal(err)
	}
	reply, err := db.AddMessage(ctx, tk.ID, store.NewMessage{AuthorType: "staff", AuthorID: 1, Body: "Label attached.",
		Upload: upload(t, db, "label.pdf", []byte("%PDF-1.4 a return label"))}, editor)
	if err != nil {
		t.Fatal(err)
	}
	if len(reply.Attachments) != 1 || reply.Attachments[0].MessageID != reply.ID {
		t.Errorf("AddMessage's attachments: %+v", reply.Attachments)
	}
	msgs, err := db.ListMessages(ctx, tk.ID, false)
	if err != nil {
		t.Fatal(err)
	}
	first, second := msgs[0].Attachments, msgs[1].Attachments
	if len(first) != 2 || len(second) != 1 {
		t.Fatalf("attachments per message: %d and %d, want 2 and 1", len(first), len(second))
	}
	want := []struct {
		name, ctype string
		data        []byte
	}{
		{"photo.png", "image/png", img},
		{"order notes.txt", "text/plain; charset=utf-8", doc},
		{"label.pdf", "application/pdf", []byte("%PDF-1.4 a return label")},
	}
	for i, a := range append(first, second...) {
		w := want[i]
		if a.Name != w.name || a.ContentType != w.ctype || a.Size != int64(len(w.data)) || a.TicketID != tk.ID || a.Deleted {
			t.Errorf("attachment %d: %+v, want %s %s %d bytes", i, a, w.name, w.ctype, len(w.data))
		}
		got, err := readAttachment(t, db, a)
		if err != nil || !bytes.Equal(got, w.data) {
			t.Errorf("%s reads back %d bytes (%v), want %d", a.Name, len(got), err, len(w.data))
		}
	}
	if got, _ := db.GetAttachment(ctx, tk.ID+1, first[0].ID); got.ID != 0 {
		t.Error("an attachment is found under another ticket")
	}
	if n := len(auditActions(t, db, "attachment.uploaded")); n != 3 {
		t.Errorf("%d attachment.uploaded audit entries, want 3", n)
	}
	if n := rowCount(t, db, "SELECT COUNT(*) FROM attachments WHERE state <> 'linked' OR batch IS NOT NULL"); n != 0 {
		t.Errorf("%d attachments left staged", n)
	}
	if n := rowCount(t, db, `SELECT COUNT(*) FROM attachments a JOIN tickets t ON t.id = a.ticket_id JOIN customers c ON c.id = t.customer_id
		WHERE a.key_id <> c.key_id`); n != 0 {
		t.Errorf("%d attachments not sealed under their customer's key", n)
	}
}

func auditActions(t *testing.T, db *store.DB, action string) []store.AuditEntry {
	t.Helper()
	es, err := db.ListAudit(t.Context(), store.AuditFilter{Action: action})
	if err != nil {
		t.Fatal(err)
	}
	return es
}

// TestAttachmentInternalNote: a note's files are listed for staff only.
func TestAttachmentInternalNote(t *testing.T) {
	db, _ := newTestDB(t)
	tk := createTicket(t, db, "ada@example.org", "Cracked")
	if _, err := db.AddMessage(t.Context(), tk.ID, store.NewMessage{AuthorType: "staff", AuthorID: 1, Internal: true, Body: "Courier's report.",
		Upload: upload(t, db, "report.txt", []byte("damaged in transit"))}, editor); err != nil {
		t.Fatal(err)
	}
	staff, _ := db.ListAttachments(t.Context(), tk.ID, true)
	customer, _ := db.ListAttachments(t.Context(), tk.ID, false)
	if len(staff) != 1 || !staff[0].Internal || len(customer) != 0 {
		t.Errorf("staff see %d, the customer %d; want 1 and 0", len(staff), len(customer))
	}
}

// TestAttachmentTampering changes the stored chunks of real files in the
// database file: every change fails to open.
func TestAttachmentTampering(t *testing.T) {
	db, _ := newTestDB(t)
	ctx := t.Context()
	// twoFiles stores two files of five chunks on a new ticket.
	twoFiles := func() (a, b store.Attachment) {
		tk, err := db.CreateTicket(ctx, store.NewTicket{Email: "ada@example.org", Subject: "Logs", Body: "Attached.",
			Upload: upload(t, db, "a.txt", textFile(4*security.ChunkSize+10, "A"), "b.txt", textFile(4*security.ChunkSize+10, "B"))}, customerActor)
		if err != nil {
			t.Fatal(err)
		}
		atts, _ := db.ListAttachments(ctx, tk.ID, true)
		return atts[0], atts[1]
	}
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.Writer().ExecContext(ctx, q, args...); err != nil {
			t.Fatal(err)
		}
	}
	flip := func(a, _ int64) {
		var data []byte
		if err := db.Writer().QueryRowContext(ctx, "SELECT data FROM attachment_chunks WHERE attachment_id = ? AND idx = 1", a).Scan(&data); err != nil {
			t.Fatal(err)
		}
		data[100] ^= 1
		exec("UPDATE attachment_chunks SET data = ? WHERE attachment_id = ? AND idx = 1", data, a)
	}
	steps := []struct {
		name   string
		tamper func(a, b int64)
	}{
		{"a flipped bit", flip},
		{"two chunks swapped", func(a, _ int64) {
			exec("UPDATE attachment_chunks SET idx = -1 WHERE attachment_id = ? AND idx = 1", a)
			exec("UPDATE attachment_chunks SET idx = 1 WHERE attachment_id = ? AND idx = 2", a)
			exec("UPDATE attachment_chunks SET idx = 2 WHERE attachment_id = ? AND idx = -1", a)
		}},
		{"cut short", func(a, _ int64) { exec("UPDATE attachments SET chunks = chunks - 1 WHERE id = ?", a) }},
		{"a chunk of another file", func(a, b int64) {
			exec("UPDATE attachment_chunks SET data = (SELECT data FROM attachment_chunks WHERE attachment_id = ?2 AND idx = 2) WHERE attachment_id = ?1 AND idx = 2", a, b)
		}},
		{"a missing chunk", func(a, _ int64) { exec("DELETE FROM attachment_chunks WHERE attachment_id = ? AND idx = 3", a) }},
		{"a file key moved to another row", func(a, b int64) {
			exec("UPDATE attachments SET file_key = (SELECT file_key FROM attachments WHERE id = ?2) WHERE id = ?1", a, b)
		}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			a, b := twoFiles()
			st.tamper(a.ID, b.ID)
			if _, err := readAttachment(t, db, a); !errors.Is(err, security.ErrOpen) {
				t.Errorf("read: %v, want ErrOpen", err)
			}
			if got, err := readAttachment(t, db, b); err != nil || len(got) != int(b.Size) {
				t.Errorf("the untouched file reads %d bytes, %v", len(got), err)
			}
		})
	}
}

func TestAttachmentRefusals(t *testing.T) {
	db, _ := newTestDB(t)
	ctx := t.Context()
	cases := []struct {
		name     string
		data     []byte
		problem  string
		tooLarge bool
	}{
		{"empty.txt", nil, "it is empty", false},
		{"big.txt", textFile(2<<10+1, "X"), "larger than 2 KB", true},
		{"../passwd", []byte("x"), "folder path", false},
		{"", []byte("x"), "no name", false},
		{"photo.png", []byte("<html><script>alert(1)</script>"), "web pages", false},
		{"setup.pdf", append([]byte("MZ"), make([]byte, 100)...), "programs", false},
		{"broken.png", []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x00"), "cut short", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			u := db.NewUpload(2 << 10)
			_, err := u.Add(ctx, c.name, bytes.NewReader(c.data))
			var ae *store.AttachmentError
			if !errors.As(err, &ae) || !strings.Contains(ae.Problem, c.problem) || ae.TooLarge != c.tooLarge || ae.Name != c.name {
				t.Fatalf("got %v (%+v), want a refusal %q", err, ae, c.problem)
			}
			if !strings.Contains(ae.Message(), c.problem) {
				t.Errorf("message %q", ae.Message())
			}
			if n := rowCount(t, db, "SELECT (SELECT COUNT(*) FROM attachments) + (SELECT COUNT(*) FROM attachment_chunks)"); n != 0 {
				t.Errorf("%d rows left behind", n)
			}
		})
	}
	t.Run("the eleventh file", func(t *testing.T) {
		u := upload(t, db)
		for i := range store.MaxAttachments {
			if _, err := u.Add(ctx, "f.txt", strings.NewReader("file "+string(rune('a'+i)))); err != nil {
				t.Fatal(err)
			}
		}
		_, err := u.Add(ctx, "eleven.txt", strings.NewReader("one too many"))
		var ae *store.AttachmentError
		if !errors.As(err, &ae) || !strings.Contains(ae.Problem, "at most 10") {
			t.Fatalf("got %v", err)
		}
		if err := u.Discard(ctx); err != nil {
			t.Fatal(err)
		}
		if n := rowCount(t, db, "SELECT COUNT(*) FROM attachments"); n != 0 {
			t.Errorf("Discard left %d files", n)
		}
	})
}

// TestAttachmentBrokenUpload: a stream that fails half-way (a client gone,
// a cancelled request) leaves nothing, and its error is the stream's.
func TestAttachmentBrokenUpload(t *testing.T) {
	db, _ := newTestDB(t)
	broken := errors.New("connection reset")
	for name, r := range map[string]io.Reader{
		"text": io.MultiReader(bytes.NewReader(textFile(3*security.ChunkSize, "Z")), iotest.ErrReader(broken)),
		"jpeg": io.MultiReader(bytes.NewReader([]byte("\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")), iotest.ErrReader(broken)),
	} {
		t.Run(name, func(t *testing.T) {
			u := db.NewUpload(0)
			if _, err := u.Add(t.Context(), "file", r); !errors.Is(err, broken) {
				t.Fatalf("got %v, want the stream's error", err)
			}
			if n := rowCount(t, db, "SELECT (SELECT COUNT(*) FROM attachments) + (SELECT COUNT(*) FROM attachment_chunks)"); n != 0 {
				t.Errorf("%d rows left behind", n)
			}
		})
	}
	t.Run("cancelled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(t.Context())
		r := io.MultiReader(bytes.NewReader(textFile(security.ChunkSize*20, "C")), readerFunc(func([]byte) (int, error) {
			cancel()
			return 0, context.Canceled
		}))
		if _, err := db.NewUpload(0).Add(ctx, "f.txt", r); err == nil {
			t.Fatal("a cancelled upload succeeded")
		}
		if n := rowCount(t, db, "SELECT (SELECT COUNT(*) FROM attachments) + (SELECT COUNT(*) FROM attachment_chunks)"); n != 0 {
			t.Errorf("%d rows left behind", n)
		}
	})
}

type readerFunc func([]byte) (int, error)

func (f readerFunc) Read(p []byte) (int, error) { return f(p) }

// TestStagedAttachments: files no message took are deleted by Discard, or
// by the purge once they are older than a day (an upload cut by a crash).
func TestStagedAttachments(t *testing.T) {
	db, clk := newTestDB(t)
	ctx := t.Context()
	old := db.NewUpload(0)
	if _, err := old.Add(ctx, "old.txt", strings.NewReader("left by a crash")); err != nil {
		t.Fatal(err)
	}
	clk.Advance(store.StagedAttachmentTTL + 1)
	fresh := upload(t, db, "fresh.txt", []byte("being written now"))
	if n, err := db.PurgeStagedAttachments(ctx); err != nil || n != 1 {
		t.Fatalf("purged %d, %v; want 1", n, err)
	}
	if _, err := db.CreateTicket(ctx, store.NewTicket{Email: "a@example.org", Subject: "S", Body: "B", Upload: old}, customerActor); err == nil {
		t.Error("a purged upload was linked")
	}
	if _, err := db.CreateTicket(ctx, store.NewTicket{Email: "a@example.org", Subject: "S", Body: "B", Upload: fresh}, customerActor); err != nil {
		t.Fatal(err)
	}
	if n, _ := db.PurgeStagedAttachments(ctx); n != 0 {
		t.Errorf("the purge took %d linked files", n)
	}
}

func TestDeleteAttachment(t *testing.T) {
	db, _ := newTestDB(t)
	ctx := t.Context()
	tk, err := db.CreateTicket(ctx, store.NewTicket{Email: "ada@example.org", Subject: "S", Body: "B",
		Upload: upload(t, db, "id-card.png", pngFile(t))}, customerActor)
	if err != nil {
		t.Fatal(err)
	}
	atts, _ := db.ListAttachments(ctx, tk.ID, false)
	gone, err := db.DeleteAttachment(ctx, tk.ID, atts[0].ID, editor)
	if err != nil {
		t.Fatal(err)
	}
	if !gone.Deleted || gone.Name != "id-card.png" || gone.Size != atts[0].Size {
		t.Errorf("tombstone %+v", gone)
	}
	after, _ := db.ListAttachments(ctx, tk.ID, false)
	if len(after) != 1 || !after[0].Deleted || after[0].Name != "id-card.png" || after[0].Previewable() {
		t.Errorf("listed after deletion: %+v", after)
	}
	if _, err := readAttachment(t, db, after[0]); !errors.Is(err, store.ErrAttachmentDeleted) {
		t.Errorf("read after deletion: %v", err)
	}
	if n := rowCount(t, db, "SELECT COUNT(*) FROM attachment_chunks") + rowCount(t, db, "SELECT COUNT(*) FROM attachments WHERE length(file_key) > 0"); n != 0 {
		t.Errorf("%d chunks or keys remain", n)
	}
	if _, err := db.DeleteAttachment(ctx, tk.ID, atts[0].ID, editor); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleting again: %v", err)
	}
	es := auditActions(t, db, "attachment.deleted")
	if len(es) != 1 || es[0].Actor.ID != editor.ID {
		t.Errorf("audit: %+v", es)
	}
}

// TestAttachmentsErasedAndRetained: erasure and retention take files with
// their tickets, and the customer's key with them.
func TestAttachmentsErasedAndRetained(t *testing.T) {
	db, clk := newTestDB(t)
	ctx := t.Context()
	erased, err := db.CreateTicket(ctx, store.NewTicket{Email: "erase@example.org", Subject: "S", Body: "B",
		Upload: upload(t, db, "a.txt", textFile(100_000, "E"))}, customerActor)
	if err != nil {
		t.Fatal(err)
	}
	kept, err := db.CreateTicket(ctx, store.NewTicket{Email: "keep@example.org", Subject: "S", Body: "B",
		Upload: upload(t, db, "b.txt", textFile(100_000, "K"))}, customerActor)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.EraseCustomer(ctx, erased.CustomerID, editor); err != nil {
		t.Fatal(err)
	}
	if n := rowCount(t, db, "SELECT COUNT(*) FROM attachments WHERE ticket_id = ?", erased.ID); n != 0 {
		t.Errorf("erasure left %d attachments", n)
	}
	if n := rowCount(t, db, "SELECT COUNT(*) FROM attachments WHERE ticket_id = ?", kept.ID); n != 1 {
		t.Errorf("erasure took another customer's file")
	}
	setStatus(t, db, kept.ID, "closed")
	clk.Advance(31 * 24 * 3600 * 1e9)
	if _, err := db.ApplyRetention(ctx, store.Retention{ResolvedTickets: 30 * 24 * 3600 * 1e9}, store.SystemActor); err != nil {
		t.Fatal(err)
	}
	if n := rowCount(t, db, "SELECT (SELECT COUNT(*) FROM attachments) + (SELECT COUNT(*) FROM attachment_chunks)"); n != 0 {
		t.Errorf("retention left %d rows", n)
	}
}

// TestNoAttachmentPlaintextAtRest: a marker inside an uploaded file and in
// its name is nowhere in the data folder, staged or linked, with the data
// in the WAL or checkpointed.
func TestNoAttachmentPlaintextAtRest(t *testing.T) {
	db, _ := newTestDB(t)
	ctx := t.Context()
	dir := strings.TrimSuffix(db.Path(), "safedesk.db")
	body, staged, name := "FileMarker-"+rand.Text(), "StagedMarker-"+rand.Text(), "NameMarker-"+rand.Text()
	if _, err := db.CreateTicket(ctx, store.NewTicket{Email: "ada@example.org", Subject: "S", Body: "B",
		Upload: upload(t, db, name+".txt", textFile(200_000, body))}, customerActor); err != nil {
		t.Fatal(err)
	}
	if _, err := db.NewUpload(0).Add(ctx, "waiting.txt", bytes.NewReader(textFile(1000, staged))); err != nil {
		t.Fatal(err)
	}
	public := "PublicMarker-" + rand.Text()
	saveArticle(t, db, "public", public, "Text.", true)
	for _, phase := range []string{"in the WAL", "checkpointed"} {
		if phase == "checkpointed" {
			if err := db.Close(); err != nil {
				t.Fatal(err)
			}
		}
		all := folderBytes(t, dir)
		for _, m := range []string{body, staged, name} {
			if bytes.Contains(all, []byte(m)) {
				t.Errorf("%s: %q is in the data folder", phase, m)
			}
		}
		if !bytes.Contains(all, []byte(public)) {
			t.Errorf("%s: the scan does not see the public article", phase)
		}
	}
}
