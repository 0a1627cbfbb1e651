package web

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"safedesk/store"
)

var attachmentLinkRe = regexp.MustCompile(`href="(/tickets/\d+/attachments/\d+)"[^>]*data-testid="attachment-link">([^<]*)<`)

// attachmentLinks returns the download paths on a page by file name.
func attachmentLinks(t *testing.T, body string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, m := range attachmentLinkRe.FindAllStringSubmatch(body, -1) {
		out[m[2]] = m[1]
	}
	return out
}

// TestPortalAttachments: a customer sends a photo and a text file with a
// reply, is told the photo lost its location, sees a thumbnail, and
// downloads both with headers that keep them from running; nobody else
// can.
func TestPortalAttachments(t *testing.T) {
	env := newTestServer(t)
	ada, path := env.signIn("ada@example.org", "Grinder arrived cracked", "The hopper is cracked.")
	photo := photoWithGPS(t, "LatLongMarker")
	notesMarker := "NotesMarker-" + randText()
	notes := []byte("Order 1234, delivered on Monday. " + notesMarker + "\n")
	resp := ada.postParts(path+"/reply", textField("body", "Here is a photo and my order notes."),
		attach("hopper.jpg", photo), attach("order notes.txt", notes))
	if resp.status != http.StatusSeeOther || resp.header.Get("Location") != path {
		t.Fatalf("reply: %d %s\n%s", resp.status, resp.header.Get("Location"), resp.body)
	}
	page := ada.get(path)
	if !strings.Contains(page.body, "Location and camera data were removed from hopper.jpg") {
		t.Error("the customer is not told that the photo's location was removed")
	}
	links := attachmentLinks(t, page.body)
	photoURL, notesURL := links["hopper.jpg"], links["order notes.txt"]
	if photoURL == "" || notesURL == "" {
		t.Fatalf("attachment links %v in:\n%s", links, page.body)
	}
	if !strings.Contains(page.body, `src="`+photoURL+`/preview"`) || strings.Contains(page.body, `src="`+notesURL+`/preview"`) {
		t.Error("the photo has no thumbnail, or the text file has one")
	}

	t.Run("the photo downloads without its location", func(t *testing.T) {
		got := ada.get(photoURL)
		if got.status != 200 || got.header.Get("Content-Type") != "image/jpeg" {
			t.Fatalf("download: %d %s", got.status, got.header.Get("Content-Type"))
		}
		if strings.Contains(got.body, "LatLongMarker") || !strings.HasPrefix(got.body, "\xff\xd8") {
			t.Error("the downloaded photo still holds its EXIF location, or is no JPEG")
		}
		wantHeaders := map[string]string{
			"Content-Disposition":     `attachment; filename="hopper.jpg"; filename*=UTF-8''hopper.jpg`,
			"Content-Security-Policy": "sandbox; default-src 'none'",
			"X-Content-Type-Options":  "nosniff",
			"Cache-Control":           "private, no-store",
		}
		for k, v := range wantHeaders {
			if got.header.Get(k) != v {
				t.Errorf("%s: %q, want %q", k, got.header.Get(k), v)
			}
		}
		preview := ada.get(photoURL + "/preview")
		if preview.status != 200 || preview.body != got.body || !strings.HasPrefix(preview.header.Get("Content-Disposition"), "inline;") ||
			preview.header.Get("Content-Security-Policy") != "sandbox; default-src 'none'" {
			t.Errorf("preview: %d %q", preview.status, preview.header.Get("Content-Disposition"))
		}
	})
	t.Run("the text file downloads as it was, and has no preview", func(t *testing.T) {
		got := ada.get(notesURL)
		if got.status != 200 || got.body != string(notes) || got.header.Get("Content-Type") != "text/plain; charset=utf-8" ||
			got.header.Get("Content-Disposition") != `attachment; filename="order notes.txt"; filename*=UTF-8''order%20notes.txt` {
			t.Errorf("download: %d %q %q", got.status, got.header.Get("Content-Type"), got.header.Get("Content-Disposition"))
		}
		if p := ada.get(notesURL + "/preview"); p.status != 404 {
			t.Errorf("preview of a text file: %d", p.status)
		}
	})
	t.Run("another customer gets the same 404 as for nothing", func(t *testing.T) {
		bob, _ := env.signIn("bob@example.org", "Other", "Other request.")
		theirs := bob.get(photoURL)
		missing := bob.get(regexp.MustCompile(`\d+$`).ReplaceAllString(photoURL, "999999"))
		if theirs.status != 404 || missing.status != 404 || withoutRequestID(theirs) != withoutRequestID(missing) {
			t.Errorf("someone else's file: %d, a missing one: %d; bodies equal: %v", theirs.status, missing.status, withoutRequestID(theirs) == withoutRequestID(missing))
		}
		if p := bob.get(photoURL + "/preview"); p.status != 404 {
			t.Errorf("someone else's preview: %d", p.status)
		}
		if anon := env.client().get(photoURL); anon.status != http.StatusSeeOther {
			t.Errorf("without a session: %d", anon.status)
		}
	})
	t.Run("nothing of the files is in the data folder or the log", func(t *testing.T) {
		entries, err := os.ReadDir(env.dir)
		if err != nil {
			t.Fatal(err)
		}
		var all []byte
		for _, e := range entries {
			if b, err := os.ReadFile(filepath.Join(env.dir, e.Name())); err == nil {
				all = append(all, b...)
			}
		}
		if !bytes.Contains(all, []byte("CREATE TABLE attachment_chunks")) {
			t.Fatal("the scan does not see the database")
		}
		for _, m := range []string{notesMarker, "LatLongMarker", "order notes.txt", "hopper.jpg"} {
			if bytes.Contains(all, []byte(m)) || strings.Contains(env.logs.String(), m) {
				t.Errorf("%q is in the data folder or the log", m)
			}
		}
	})
	t.Run("the privacy page says how files are kept", func(t *testing.T) {
		if body := env.client().get("/privacy").body; !strings.Contains(body, `data-testid="keep-files"`) || !strings.Contains(body, "lose their location") {
			t.Error("the privacy page does not mention attached files")
		}
	})
	t.Run("the upload is audited", func(t *testing.T) {
		es, _ := env.db.ListAudit(t.Context(), store.AuditFilter{Action: "attachment.uploaded"})
		if len(es) != 2 || es[0].Actor.Type != store.ActorCustomer {
			t.Errorf("audit: %+v", es)
		}
	})
}

// TestStaffAttachments: staff attach files to replies and notes, download
// them (audited), delete one (a tombstone stays), and the customer's
// notification names no file.
func TestStaffAttachments(t *testing.T) {
	env := newTestServer(t)
	ada, path := env.signIn("ada@example.org", "Kettle leaks", "It drips.")
	id := strings.TrimPrefix(path, "/tickets/")
	staff, _ := env.owner()
	admin := "/admin/tickets/" + id

	resp := staff.postParts(admin+"/reply", textField("body", "Our return label is attached."), attach("return-label.pdf", []byte("%PDF-1.4 RETURN LABEL")))
	if resp.status != http.StatusSeeOther {
		t.Fatalf("reply: %d\n%s", resp.status, resp.body)
	}
	m := env.mail.next(t)
	if !strings.Contains(m.Text, "1 attachment") || strings.Contains(m.Text, "return-label") || strings.Contains(m.Text, "RETURN LABEL") {
		t.Errorf("notification:\n%s", m.Text)
	}
	resp = staff.postParts(admin+"/reply", textField("body", "Courier report."), textField("internal", "1"), attach("courier.txt", []byte("Dropped in the depot.")))
	if resp.status != http.StatusSeeOther {
		t.Fatalf("note: %d\n%s", resp.status, resp.body)
	}

	customerPage := ada.get(path).body
	if !strings.Contains(customerPage, "return-label.pdf") || strings.Contains(customerPage, "courier.txt") {
		t.Fatal("the customer does not see the reply's file, or sees the note's")
	}
	staffPage := staff.get(admin).body
	staffLinks := regexp.MustCompile(`href="(/admin/tickets/\d+/attachments/(\d+))"[^>]*data-testid="attachment-link">([^<]*)<`).FindAllStringSubmatch(staffPage, -1)
	if len(staffLinks) != 2 {
		t.Fatalf("staff see %d files:\n%s", len(staffLinks), staffPage)
	}
	label, note := staffLinks[0], staffLinks[1]
	if ada.get(path+"/attachments/"+note[2]).status != 404 {
		t.Error("the customer can download the internal note's file")
	}
	if got := staff.get(label[1]); got.status != 200 || got.body != "%PDF-1.4 RETURN LABEL" || got.header.Get("Content-Type") != "application/pdf" {
		t.Errorf("staff download: %d %q", got.status, got.header.Get("Content-Type"))
	}
	if es, _ := env.db.ListAudit(t.Context(), store.AuditFilter{Action: "attachment.downloaded"}); len(es) != 1 || es[0].Actor.Type != store.ActorStaff {
		t.Errorf("download audit: %+v", es)
	}

	t.Run("deleting leaves a tombstone", func(t *testing.T) {
		if resp := staff.post(label[1]+"/delete", nil); resp.status != http.StatusSeeOther {
			t.Fatalf("delete: %d", resp.status)
		}
		if got := staff.get(label[1]); got.status != http.StatusGone {
			t.Errorf("staff download after deletion: %d", got.status)
		}
		if got := ada.get(path + "/attachments/" + label[2]); got.status != http.StatusGone {
			t.Errorf("customer download after deletion: %d", got.status)
		}
		page := ada.get(path).body
		if !strings.Contains(page, "return-label.pdf") || !strings.Contains(page, "deleted") || strings.Contains(page, `href="`+path+"/attachments/"+label[2]) {
			t.Error("the tombstone is missing or still links to the file")
		}
		if es, _ := env.db.ListAudit(t.Context(), store.AuditFilter{Action: "attachment.deleted"}); len(es) != 1 {
			t.Errorf("deletion audit: %d entries", len(es))
		}
	})
	t.Run("an agent without write access cannot delete", func(t *testing.T) {
		auditor, _, _ := env.member("auditor", "audit@northwind.example")
		if resp := auditor.post(note[1]+"/delete", nil); resp.status != http.StatusForbidden {
			t.Errorf("auditor delete: %d", resp.status)
		}
	})
}

// TestExportWithAttachments: a customer with files gets a ZIP of the
// export document and the files, byte for byte.
func TestExportWithAttachments(t *testing.T) {
	env := newTestServer(t)
	ada, path := env.signIn("ada@example.org", "Invoice", "Wrong amount.")
	invoice := []byte("%PDF-1.7 the invoice")
	if resp := ada.postParts(path+"/reply", textField("body", "The invoice."), attach("invoice.pdf", invoice)); resp.status != http.StatusSeeOther {
		t.Fatalf("reply: %d", resp.status)
	}
	resp := ada.get("/me/export")
	if resp.status != 200 || resp.header.Get("Content-Type") != "application/zip" || !strings.HasSuffix(resp.header.Get("Content-Disposition"), `.zip"`) {
		t.Fatalf("export: %d %q %q", resp.status, resp.header.Get("Content-Type"), resp.header.Get("Content-Disposition"))
	}
	zr, err := zip.NewReader(bytes.NewReader([]byte(resp.body)), int64(len(resp.body)))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		files[f.Name], _ = io.ReadAll(rc)
		rc.Close()
	}
	var doc struct {
		Customer struct{ Email string }
		Tickets  []struct {
			Messages []struct {
				Attachments []struct{ Name, File string }
			}
		}
	}
	if err := json.Unmarshal(files["personal-data.json"], &doc); err != nil {
		t.Fatalf("personal-data.json: %v", err)
	}
	if doc.Customer.Email != "ada@example.org" || len(doc.Tickets) != 1 || len(doc.Tickets[0].Messages) != 2 {
		t.Fatalf("document: %+v", doc)
	}
	att := doc.Tickets[0].Messages[1].Attachments
	if len(att) != 1 || att[0].Name != "invoice.pdf" || !bytes.Equal(files[att[0].File], invoice) {
		t.Errorf("attachments %+v; the ZIP holds %d bytes at %q", att, len(files[att[0].File]), att[0].File)
	}
	if es, _ := env.db.ListAudit(t.Context(), store.AuditFilter{Action: "customer.exported"}); len(es) != 1 || es[0].Details["files"] != float64(1) {
		t.Errorf("export audit: %+v", es)
	}
}
