package mail

import (
	"bytes"
	"io"
	"strings"
	"testing"

	"safedesk/store"
	"safedesk/store/storetest"
	"safedesk/web/mail/mailtest"
)

// TestInboxAttachments: the files of a real mail go through the
// attachment store: a photo loses its camera and location, a program is
// refused and named on the message with why, and so is a file over
// --attachment-max-size; the text of the mail stays whole.
func TestInboxAttachments(t *testing.T) {
	env := newInboxEnv(t, nil, nil)
	fixture := mailtest.Fixture(t, "attachments.eml")
	env.imap.Deliver(t, fixture)
	env.poll(t)
	ts := env.tickets(t)
	if len(ts) != 1 {
		t.Fatalf("%d tickets", len(ts))
	}
	msgs, _ := env.db.ListMessages(t.Context(), ts[0].ID, true)
	files := msgs[0].Attachments
	if len(files) != 2 || files[0].Name != "hopper.jpg" || !files[0].Stripped || files[1].Name != "Rechnung März.pdf" || files[1].ContentType != "application/pdf" {
		t.Fatalf("files %+v: want the photo, stripped, and the invoice", files)
	}
	r, err := env.db.OpenAttachment(t.Context(), files[0])
	if err != nil {
		t.Fatal(err)
	}
	photo, err := io.ReadAll(r)
	if err != nil || !bytes.HasPrefix(photo, []byte{0xff, 0xd8}) || bytes.Contains(photo, []byte("Kastanienallee")) || bytes.Contains(photo, []byte("HopperCamera")) {
		t.Errorf("the stored photo (%d bytes, %v) still holds its location or camera", len(photo), err)
	}
	notStored := func(id int64) []store.AttachmentNote {
		t.Helper()
		details, err := env.db.EmailDetails(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		msgs, _ := env.db.ListMessages(t.Context(), id, true)
		return details[msgs[0].ID].NotStored
	}
	if ns := notStored(ts[0].ID); len(ns) != 1 || ns[0].Name != "label-printer-setup.exe" || ns[0].Problem != "programs and scripts cannot be attached" || ns[0].Size == 0 {
		t.Errorf("not stored %+v: want the program, with why", ns)
	}
	if !strings.Contains(msgs[0].Body, "printer driver") {
		t.Errorf("body %q", msgs[0].Body)
	}

	env.inbox.fileMax = 200 // the invoice fits, the photo does not
	env.imap.Deliver(t, bytes.Replace(fixture, []byte("<att-1234@"), []byte("<att-5678@"), 1))
	env.poll(t)
	ts = env.tickets(t)
	msgs, _ = env.db.ListMessages(t.Context(), ts[0].ID, true)
	if len(ts) != 2 || len(msgs[0].Attachments) != 1 || msgs[0].Attachments[0].Name != "Rechnung März.pdf" {
		t.Fatalf("tickets %d, files %+v: want only the invoice stored", len(ts), msgs[0].Attachments)
	}
	if ns := notStored(ts[0].ID); len(ns) != 2 || ns[0].Name != "hopper.jpg" || !strings.Contains(ns[0].Problem, "larger than 200 bytes") {
		t.Errorf("not stored %+v: want the photo, too large", ns)
	}
	var staged int
	if err := storetest.Raw(t, env.db).QueryRow("SELECT COUNT(*) FROM attachments WHERE message_id IS NULL").Scan(&staged); err != nil || staged != 0 {
		t.Errorf("%d staged files left behind, %v", staged, err)
	}
}
