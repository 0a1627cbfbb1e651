package web

import (
	"strings"

	"safedesk/store"
)

// What an access request holds of mail: each ticket's channel; for each
// message that came by email, what it carried besides its text (the
// address it came from, whether its sender was authenticated and why, the
// whole text before quotes and signature were trimmed, the header section,
// the files that were not stored); and the replies sent from the
// customer's address that were held back because their sender could not
// be authenticated, with their files, unless a person accepted them (they
// are messages then).

// exportEmail is what an emailed message carried besides its text.
type exportEmail struct {
	From          string            `json:"from"`
	Authenticated bool              `json:"sender_authenticated"`
	Verdict       string            `json:"verdict"`
	FullText      string            `json:"full_text,omitempty"` // when quotes or a signature were trimmed
	Headers       string            `json:"headers"`
	NotStored     []exportNotStored `json:"files_not_stored,omitempty"`
}

// exportNotStored is a file that came with a mail but was not stored.
type exportNotStored struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	Reason string `json:"reason"`
}

// exportHeld is a reply held back.
type exportHeld struct {
	ReceivedAt string       `json:"received_at"`
	Status     string       `json:"status"`
	Subject    string       `json:"subject"`
	Body       string       `json:"body"`
	Email      exportEmail  `json:"email"`
	Files      []exportFile `json:"attachments,omitempty"`
}

// exportTicketDoc is one ticket of the export document; notes says that
// internal notes are included, and with them the ticket's tags.
func exportTicketDoc(t store.TicketExport, notes bool) exportTicket {
	et := exportTicket{ID: t.Ticket.ID, Subject: t.Ticket.Subject, Status: t.Ticket.Status, Priority: t.Ticket.Priority,
		Channel: t.Ticket.Channel, Language: t.Ticket.Lang, CreatedAt: exportTime(t.Ticket.CreatedAt), UpdatedAt: exportTime(t.Ticket.UpdatedAt),
		Messages: []exportMessage{}}
	if notes {
		et.Tags = t.Ticket.Tags
	}
	for _, m := range t.Messages {
		em := exportMessage{ID: m.ID, Author: ticketAuthors[m.AuthorType], Internal: m.Internal,
			Body: m.Body, Files: exportFiles(m.Attachments), CreatedAt: exportTime(m.CreatedAt)}
		if d, ok := t.Email[m.ID]; ok {
			e := exportEmailOf(d, m.Body)
			em.Email = &e
		}
		et.Messages = append(et.Messages, em)
	}
	for _, q := range t.Held {
		status := "held: the sender could not be authenticated, and nobody has accepted it yet"
		if q.Decision == store.QuarantineDismissed {
			status = "dismissed: the sender could not be authenticated, and it was left out of the conversation"
		}
		et.Held = append(et.Held, exportHeld{ReceivedAt: exportTime(q.ReceivedAt), Status: status, Subject: q.Subject, Body: q.Text,
			Email: exportEmailOf(store.EmailDetail{Sender: q.Sender, Authenticated: q.Authenticated, Verdict: q.Verdict, FullText: q.FullText,
				Headers: q.Headers, NotStored: q.NotStored}, q.Text),
			Files: exportFiles(q.Files)})
	}
	return et
}

// exportEmailOf is the email part of a message or held reply whose shown
// text is body.
func exportEmailOf(d store.EmailDetail, body string) exportEmail {
	e := exportEmail{From: d.Sender, Authenticated: d.Authenticated, Verdict: d.Verdict, Headers: d.Headers}
	if strings.TrimSpace(d.FullText) != strings.TrimSpace(body) {
		e.FullText = d.FullText
	}
	for _, f := range d.NotStored {
		e.NotStored = append(e.NotStored, exportNotStored{Name: f.Name, Size: f.Size, Reason: f.Problem})
	}
	return e
}
