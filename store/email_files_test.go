package store_test

import (
	"io"
	"strings"
	"testing"
	"time"

	"safedesk/store"
)

// withFile is e with one file staged for it, as the inbox stages a mail's
// files before importing it.
func withFile(t *testing.T, db *store.DB, e store.InboundEmail, name, content string) store.InboundEmail {
	t.Helper()
	up := db.NewUpload(0)
	t.Cleanup(func() { up.Discard(t.Context()) })
	if _, err := up.Add(t.Context(), name, strings.NewReader(content)); err != nil {
		t.Fatal(err)
	}
	e.Upload = up
	return e
}

// fileContent reads an attachment's bytes.
func fileContent(t *testing.T, db *store.DB, a store.Attachment) string {
	t.Helper()
	r, err := db.OpenAttachment(t.Context(), a)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestEmailFiles: a mail's files join its message in the import's
// transaction; a held reply's files wait with it, in no conversation and
// untouched by the purge of staged uploads, until the reply is accepted
// (they join its message) or dismissed (they are deleted).
func TestEmailFiles(t *testing.T) {
	ctx := t.Context()
	db, clk := newEmailDB(t)
	first, err := db.ImportEmail(ctx, withFile(t, db, inbound(db, 1, "Photo attached."), "notes.txt", "Serial 4471"))
	if err != nil {
		t.Fatal(err)
	}
	msgs, _ := db.ListMessages(ctx, first.TicketID, false)
	if len(msgs) != 1 || len(msgs[0].Attachments) != 1 || msgs[0].Attachments[0].Name != "notes.txt" ||
		fileContent(t, db, msgs[0].Attachments[0]) != "Serial 4471" {
		t.Fatalf("the first message's files: %+v", msgs)
	}

	hold := func(uid uint32, body, name string) int64 {
		t.Helper()
		e := inbound(db, uid, body)
		e.ReplyTokens, e.Authenticated = []string{db.ReplyToken(first.TicketID)}, false
		res, err := db.ImportEmail(ctx, withFile(t, db, e, name, body))
		if err != nil || res.Outcome != store.EmailQuarantined {
			t.Fatalf("%+v, %v", res, err)
		}
		return res.QuarantineID
	}
	accept, dismiss := hold(2, "The invoice.", "invoice.pdf.txt"), hold(3, "Another file.", "other.txt")
	if files, _ := db.ListAttachments(ctx, first.TicketID, true); len(files) != 1 {
		t.Errorf("the ticket lists %d files, want only the first message's", len(files))
	}
	clk.Advance(store.StagedAttachmentTTL + time.Hour)
	if purged, err := db.PurgeStagedAttachments(ctx); err != nil || purged != 0 {
		t.Errorf("the purge of staged uploads took %d files, %v; want none of the held ones", purged, err)
	}
	pending, _ := db.ListQuarantine(ctx, store.QuarantineFilter{})
	if len(pending) != 2 || len(pending[1].Files) != 1 || pending[1].Files[0].Name != "invoice.pdf.txt" || pending[1].Files[0].TicketID != first.TicketID {
		t.Fatalf("held replies %+v: want each with its file", pending)
	}

	m, err := db.AcceptQuarantined(ctx, accept, editor)
	if err != nil {
		t.Fatal(err)
	}
	msgs, _ = db.ListMessages(ctx, first.TicketID, false)
	if len(msgs) != 2 || msgs[1].ID != m.ID || len(msgs[1].Attachments) != 1 || fileContent(t, db, msgs[1].Attachments[0]) != "The invoice." {
		t.Errorf("the accepted reply: %+v, want its file", msgs)
	}
	if _, err := db.DismissQuarantined(ctx, dismiss, editor); err != nil {
		t.Fatal(err)
	}
	all, _ := db.ListQuarantine(ctx, store.QuarantineFilter{All: true})
	var left int
	if err := db.Writer().QueryRowContext(ctx, "SELECT COUNT(*) FROM attachments").Scan(&left); err != nil || left != 2 || len(all[0].Files) != 0 {
		t.Errorf("%d files stored, %v; want the dismissed reply's file deleted", left, err)
	}
}

// TestEmailDueTimes: mail moves a ticket on as a reply in the portal does:
// an email ticket is due for a first response, the customer's mail reopens
// a solved ticket with a fresh target, and an out-of-office reply changes
// nothing; an accepted held reply counts as the customer's message then.
func TestEmailDueTimes(t *testing.T) {
	ctx := t.Context()
	db, clk := newEmailDB(t)
	setTargets(t, db, store.DueTargets{"normal": {FirstResponse: 4 * time.Hour, Resolution: 24 * time.Hour}})
	first, err := db.ImportEmail(ctx, inbound(db, 1, "First."))
	if err != nil {
		t.Fatal(err)
	}
	if d := dueOf(t, db, first.TicketID); !d.Equal(clk.Now().Add(4 * time.Hour)) {
		t.Fatalf("a new email ticket is due %s, want in 4 hours", d)
	}
	solved := "solved"
	solve := func() {
		t.Helper()
		if _, _, err := db.UpdateTicket(ctx, first.TicketID, store.TicketUpdate{Status: &solved}, staffActor); err != nil {
			t.Fatal(err)
		}
	}
	reply := func(uid uint32, change func(*store.InboundEmail)) store.EmailResult {
		t.Helper()
		clk.Advance(time.Hour)
		e := inbound(db, uid, "More "+strings.Repeat("x", int(uid)))
		e.ReplyTokens = []string{db.ReplyToken(first.TicketID)}
		change(&e)
		res, err := db.ImportEmail(ctx, e)
		if err != nil {
			t.Fatal(err)
		}
		return res
	}
	solve()
	reply(2, func(e *store.InboundEmail) { e.Automatic, e.AutoReply = true, true })
	if tk, _ := db.GetTicket(ctx, first.TicketID); tk.Status != "solved" || !tk.DueAt.IsZero() {
		t.Errorf("after an out-of-office reply: %s, due %s; want it solved still", tk.Status, tk.DueAt)
	}
	reply(3, func(*store.InboundEmail) {})
	if tk, _ := db.GetTicket(ctx, first.TicketID); tk.Status != "open" || !tk.DueAt.Equal(clk.Now().Add(4*time.Hour)) {
		t.Errorf("after the customer's mail: %s, due %s; want open, due in 4 hours", tk.Status, tk.DueAt)
	}
	solve()
	held := reply(4, func(e *store.InboundEmail) { e.Authenticated = false })
	if tk, _ := db.GetTicket(ctx, first.TicketID); tk.Status != "solved" {
		t.Errorf("a held reply moved the ticket to %s", tk.Status)
	}
	if _, err := db.AcceptQuarantined(ctx, held.QuarantineID, editor); err != nil {
		t.Fatal(err)
	}
	if tk, _ := db.GetTicket(ctx, first.TicketID); tk.Status != "open" || tk.DueAt.IsZero() {
		t.Errorf("after accepting the held reply: %s, due %s; want open and due", tk.Status, tk.DueAt)
	}
}
