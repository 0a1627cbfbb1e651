package web

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"safedesk/security"
	"safedesk/store"
)

var adminAttachmentLinkRe = regexp.MustCompile(`href="(/admin/tickets/\d+/attachments/\d+)"[^>]*data-testid="attachment-link">([^<]*)<`)

// mailFile is a file of a test mail.
type mailFile struct {
	name, contentType string
	data              []byte
}

// mailWithFiles is customerMail as multipart/mixed: the text, then each
// file base64-encoded, as mail programs send attachments.
func mailWithFiles(id, subject, body string, pass bool, files []mailFile, extra ...string) string {
	raw := customerMail(id, subject, body, pass, extra...)
	head, text, _ := strings.Cut(raw, "Content-Type: text/plain; charset=utf-8\n\n")
	var b strings.Builder
	b.WriteString(head + "Content-Type: multipart/mixed; boundary=\"b42\"\n\n--b42\nContent-Type: text/plain; charset=utf-8\n\n" + text)
	for _, f := range files {
		b.WriteString("--b42\nContent-Type: " + f.contentType + "\nContent-Disposition: attachment; filename=\"" + f.name +
			"\"\nContent-Transfer-Encoding: base64\n\n")
		enc := base64.StdEncoding.EncodeToString(f.data)
		for len(enc) > 76 {
			b.WriteString(enc[:76] + "\n")
			enc = enc[76:]
		}
		b.WriteString(enc + "\n")
	}
	b.WriteString("--b42--\n")
	return b.String()
}

// TestEmailAttachments: the files of a mail go into the attachment store
// as every upload (a photo loses its location), a file the store refuses
// is named on the message with why, staff download what was stored, a
// staff reply mails its files' names but never the files, and no file
// content is in the data folder in the clear.
func TestEmailAttachments(t *testing.T) {
	env := newEmailEnv(t)
	notes := "Serial number 4471. " + "FileMarker" + randText()
	photo := photoWithGPS(t, "GPSMarker"+randText())
	env.deliver(mailWithFiles("files-1", "Cracked hopper", "Photo and notes attached.", true, []mailFile{
		{"hopper.jpg", "image/jpeg", photo},
		{"notes.txt", "text/plain", []byte(notes)},
		{"driver.exe", "application/octet-stream", []byte("MZ\x90\x00 a program")},
	}))
	env.mail.next(t) // the acknowledgment
	ts, _ := env.db.ListTickets(t.Context(), store.TicketFilter{AllCustomers: true})
	if len(ts) != 1 {
		t.Fatalf("%d tickets", len(ts))
	}
	tk := ts[0]
	msgs, err := env.db.ListMessages(t.Context(), tk.ID, true)
	if err != nil || len(msgs) != 1 || len(msgs[0].Attachments) != 2 {
		t.Fatalf("messages %+v, %v: want one with two files", msgs, err)
	}
	if a := msgs[0].Attachments[0]; a.Name != "hopper.jpg" || a.ContentType != "image/jpeg" || !a.Stripped {
		t.Errorf("the photo: %+v, want its metadata stripped", a)
	}

	agent, _, _ := env.member(security.RoleAgent, "agnes@northwind.example")
	page := agent.get(ticketPath(tk.ID)).body
	links := map[string]string{}
	for _, m := range adminAttachmentLinkRe.FindAllStringSubmatch(page, -1) {
		links[m[2]] = m[1]
	}
	if links["notes.txt"] == "" || links["hopper.jpg"] == "" {
		t.Fatalf("the panel does not offer the files: %v", links)
	}
	if got := agent.get(links["notes.txt"]); got.status != http.StatusOK || got.body != notes {
		t.Errorf("download: %d %q", got.status, got.body)
	}
	if !strings.Contains(page, `data-testid="files-not-stored"`) || !strings.Contains(page, "driver.exe") ||
		!strings.Contains(page, "programs and scripts cannot be attached") {
		t.Error("the panel does not say which file was not stored, and why")
	}

	label := []byte("%PDF-1.7 ReturnLabelMarker" + randText())
	if resp := agent.postParts(ticketPath(tk.ID)+"/reply", textField("body", "Here is your return label."),
		attach("return-label.pdf", label)); resp.status != http.StatusSeeOther {
		t.Fatalf("reply: %d %s", resp.status, resp.body)
	}
	env.wait()
	out := env.mail.next(t)
	if !strings.Contains(out.Text, "Here is your return label.") || !strings.Contains(out.Text, "return-label.pdf") ||
		strings.Contains(out.Text, "ReturnLabelMarker") || strings.Contains(out.Header.Get("Content-Type"), "multipart") {
		t.Errorf("the reply mail should name the file and carry none:\n%v\n%s", out.Header, out.Text)
	}

	all := dataFolderBytes(t, env.dir)
	for _, m := range []string{notes, "GPSMarker", "ReturnLabelMarker", "driver.exe", "hopper.jpg"} {
		if bytes.Contains(all, []byte(m)) {
			t.Errorf("%q is in the data folder in plaintext", m)
		}
	}
}

// TestEmailExport: a customer's access request holds their email tickets
// with each mail's verdict and headers, and the replies sent from their
// address that were held back, with their files; a held reply from
// someone else's address is not theirs.
func TestEmailExport(t *testing.T) {
	env := newEmailEnv(t)
	env.deliver(customerMail("first-1", "Grinder arrived cracked", "The hopper is cracked.", true))
	env.mail.next(t)
	ts, _ := env.db.ListTickets(t.Context(), store.TicketFilter{AllCustomers: true})
	tk := ts[0]
	to := "To: support+" + env.db.ReplyToken(tk.ID) + "@northwind.example"
	invoice := []byte("%PDF-1.7 HeldInvoice" + randText())
	held := mailWithFiles("held-2", "Re: Grinder arrived cracked", "HeldFromAnna: the invoice.", false, []mailFile{{"invoice.pdf", "application/pdf", invoice}})
	env.deliver(strings.Replace(held, "To: support@northwind.example", to, 1))
	other := strings.Replace(customerMail("other-3", "Re: Grinder", "HeldFromMallory", true), "anna.berg@example.com", "mallory@example.com", -1)
	other = strings.Replace(other, "To: support@northwind.example", to, 1)
	env.deliver(other)
	if q, _ := env.db.ListQuarantine(t.Context(), store.QuarantineFilter{}); len(q) != 2 {
		t.Fatalf("%d held replies, want 2", len(q))
	}

	resp := env.verifyAs("anna.berg@example.com").get("/me/export")
	if resp.status != http.StatusOK || resp.header.Get("Content-Type") != "application/zip" {
		t.Fatalf("export: %d %q", resp.status, resp.header.Get("Content-Type"))
	}
	files := unzip(t, []byte(resp.body))
	var doc struct {
		Tickets []struct {
			Channel  string
			Messages []struct {
				Email *struct {
					From          string
					Authenticated bool `json:"sender_authenticated"`
					Verdict       string
					Headers       string
				}
			}
			Held []struct {
				Status, Body string
				Email        struct{ Verdict string }
				Attachments  []struct{ Name, File string }
			} `json:"held_replies"`
		}
	}
	if err := json.Unmarshal(files["personal-data.json"], &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Tickets) != 1 || doc.Tickets[0].Channel != "email" || len(doc.Tickets[0].Messages) != 1 {
		t.Fatalf("tickets %+v", doc.Tickets)
	}
	e := doc.Tickets[0].Messages[0].Email
	if e == nil || e.From != "anna.berg@example.com" || !e.Authenticated || !strings.Contains(e.Verdict, "DMARC pass") ||
		!strings.Contains(e.Headers, "Message-ID: <first-1@mail.example.com>") {
		t.Errorf("the mail's details: %+v", e)
	}
	h := doc.Tickets[0].Held
	if len(h) != 1 || !strings.Contains(h[0].Body, "HeldFromAnna") || !strings.HasPrefix(h[0].Status, "held") ||
		!strings.Contains(h[0].Email.Verdict, "DMARC fail") || len(h[0].Attachments) != 1 || !bytes.Equal(files[h[0].Attachments[0].File], invoice) {
		t.Errorf("held replies %+v: want Anna's, with its file in the ZIP", h)
	}
	if bytes.Contains(files["personal-data.json"], []byte("HeldFromMallory")) {
		t.Error("a reply held from someone else's address is in Anna's export")
	}
}

// unzip reads every file of a ZIP.
func unzip(t *testing.T, b []byte) map[string][]byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		if out[f.Name], err = io.ReadAll(rc); err != nil {
			t.Fatal(err)
		}
		rc.Close()
	}
	return out
}
