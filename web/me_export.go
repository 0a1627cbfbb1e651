package web

import (
	"encoding/json"
	"time"

	"safedesk/store"
)

// exportFormat names the layout of a customer's export; a change that
// removes or renames a member gets a new number.
const exportFormat = "safedesk-personal-data/1"

// subjectDoc is the JSON file a customer downloads from /me/export: what
// is held about them, and the facts an access request is owed (purposes,
// retention, recipients, rights). Staff appear as "support", never by
// name or number: their identity is not the customer's data.
type subjectDoc struct {
	Format     string          `json:"format"`
	ExportedAt string          `json:"exported_at"`
	Site       exportSite      `json:"site"`
	About      exportAbout     `json:"about"`
	Customer   exportCustomer  `json:"customer"`
	Tickets    []exportTicket  `json:"tickets"`
	Chats      []exportChat    `json:"chats"`
	Consents   []exportConsent `json:"consents"`
	Records    []exportRecord  `json:"records"`
}

type exportSite struct {
	Name    string `json:"name"`
	URL     string `json:"url"`
	Contact string `json:"contact,omitempty"`
}

type exportAbout struct {
	Purposes      []string          `json:"purposes"`
	Retention     map[string]string `json:"retention"`
	Recipients    []string          `json:"recipients"`
	InternalNotes bool              `json:"internal_notes_included"`
	Rights        string            `json:"rights"`
}

type exportCustomer struct {
	ID         int64   `json:"id"`
	Email      string  `json:"email"`
	Name       string  `json:"name"`
	VerifiedAt *string `json:"verified_at"`
	CreatedAt  string  `json:"created_at"`
}

type exportTicket struct {
	ID        int64           `json:"id"`
	Subject   string          `json:"subject"`
	Status    string          `json:"status"`
	Priority  string          `json:"priority"`
	CreatedAt string          `json:"created_at"`
	UpdatedAt string          `json:"updated_at"`
	Messages  []exportMessage `json:"messages"`
}

type exportMessage struct {
	ID        int64           `json:"id"`
	Author    string          `json:"author"`
	Internal  bool            `json:"internal_note,omitempty"`
	Body      string          `json:"body"`
	Extra     json.RawMessage `json:"assistant_details,omitempty"`
	Intent    string          `json:"understood_as,omitempty"`
	Outcome   string          `json:"assistant_action,omitempty"`
	Article   string          `json:"cited_article,omitempty"`
	Files     []exportFile    `json:"attachments,omitempty"`
	CreatedAt string          `json:"created_at"`
}

type exportChat struct {
	ID             int64           `json:"id"`
	Status         string          `json:"status"`
	ConsentVersion string          `json:"consent_version"`
	TicketID       int64           `json:"ticket_id,omitempty"`
	CreatedAt      string          `json:"created_at"`
	UpdatedAt      string          `json:"updated_at"`
	Messages       []exportMessage `json:"messages"`
}

type exportConsent struct {
	Kind    string `json:"kind"`
	Version string `json:"version"`
	GivenAt string `json:"given_at"`
	Chat    int64  `json:"chat_id"`
}

type exportRecord struct {
	At       string `json:"at"`
	Action   string `json:"action"`
	Target   string `json:"target"`
	By       string `json:"by"`
	ClientIP string `json:"network_address,omitempty"`
}

func exportTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// ticketAuthors and chatAuthors name authors from the customer's side.
var (
	ticketAuthors = map[string]string{"customer": "you", "staff": "support", "bot": "assistant", "system": "system"}
	chatAuthors   = map[string]string{store.ChatAuthorVisitor: "you", store.ChatAuthorAgent: "support",
		store.ChatAuthorBot: "assistant", store.ChatAuthorSystem: "system"}
)

// subjectDocument builds the export file from the store's export.
func (s *Server) subjectDocument(x store.SubjectExport, notes bool, now time.Time) subjectDoc {
	doc := subjectDoc{
		Format: exportFormat, ExportedAt: exportTime(now),
		Site:  exportSite{Name: s.cfg.Product, URL: s.cfg.BaseURL.String(), Contact: s.cfg.MailFrom},
		About: s.exportAbout(notes),
		Customer: exportCustomer{ID: x.Customer.ID, Email: x.Customer.Email, Name: x.Customer.Name,
			CreatedAt: exportTime(x.Customer.CreatedAt)},
		Tickets: []exportTicket{}, Chats: []exportChat{}, Consents: []exportConsent{}, Records: []exportRecord{},
	}
	if !x.Customer.VerifiedAt.IsZero() {
		v := exportTime(x.Customer.VerifiedAt)
		doc.Customer.VerifiedAt = &v
	}
	for _, t := range x.Tickets {
		et := exportTicket{ID: t.Ticket.ID, Subject: t.Ticket.Subject, Status: t.Ticket.Status, Priority: t.Ticket.Priority,
			CreatedAt: exportTime(t.Ticket.CreatedAt), UpdatedAt: exportTime(t.Ticket.UpdatedAt), Messages: []exportMessage{}}
		for _, m := range t.Messages {
			et.Messages = append(et.Messages, exportMessage{ID: m.ID, Author: ticketAuthors[m.AuthorType], Internal: m.Internal,
				Body: m.Body, Files: exportFiles(m.Attachments), CreatedAt: exportTime(m.CreatedAt)})
		}
		doc.Tickets = append(doc.Tickets, et)
	}
	for _, c := range x.Chats {
		ec := exportChat{ID: c.Conversation.ID, Status: c.Conversation.Status, ConsentVersion: c.Conversation.ConsentVersion,
			TicketID: c.Conversation.TicketID, CreatedAt: exportTime(c.Conversation.CreatedAt),
			UpdatedAt: exportTime(c.Conversation.UpdatedAt), Messages: []exportMessage{}}
		for _, m := range c.Messages {
			em := exportMessage{ID: m.ID, Author: chatAuthors[m.Author], Body: m.Body, Intent: m.Intent, Outcome: m.Outcome,
				Article: m.Article, CreatedAt: exportTime(m.CreatedAt)}
			if json.Valid(m.Extra) {
				em.Extra = m.Extra
			}
			ec.Messages = append(ec.Messages, em)
		}
		doc.Chats = append(doc.Chats, ec)
		doc.Consents = append(doc.Consents, exportConsent{Kind: "chat", Version: c.Conversation.ConsentVersion,
			GivenAt: exportTime(c.Conversation.ConsentAt), Chat: c.Conversation.ID})
	}
	for _, r := range x.Records {
		doc.Records = append(doc.Records, exportRecord{At: exportTime(r.At), Action: r.Action, Target: r.Target, By: r.By, ClientIP: r.ClientIP})
	}
	return doc
}

// exportAbout states purposes, retention and recipients from the running
// configuration, as the privacy page does.
func (s *Server) exportAbout(notes bool) exportAbout {
	ret := s.cfg.Privacy.Retention
	keep := func(d time.Duration, what string) string {
		if d <= 0 {
			return "kept until you ask us to erase it"
		}
		return "deleted " + humanPeriod(d) + " after " + what
	}
	a := exportAbout{
		Purposes: []string{
			"Your email address and name: to answer your requests and to let you prove they are yours.",
			"Your requests, messages and chats: to help you.",
			"Records of actions with their network address: to keep the service and your data secure.",
		},
		Retention: map[string]string{
			"requests":        keep(ret.ResolvedTickets, "a request is solved or closed and nothing more happens on it"),
			"customer_record": keep(ret.ResolvedTickets, "you last confirmed your email, once no request or chat of yours is left"),
			"chats":           "deleted " + humanPeriod(s.cfg.ChatRetention) + " after the last message; a chat that became a request is kept with it",
			"security_events": keep(ret.SecurityEvents, "they happened"),
			"audit_log":       "kept for the life of the service; it names you by number, never by address or name",
		},
		Recipients:    []string{},
		InternalNotes: notes,
		Rights: "You may download this file again at /me/export and erase your data at /me/delete at any time. " +
			"For anything else, write to us.",
	}
	if b := s.backupNotice(); b.Enabled {
		a.Retention["backups"] = "encrypted backups keep " + b.Ladder + "; data erased today leaves the last of them after " + b.Longest
	}
	if d := s.cfg.MailRelay; d != "" {
		a.Recipients = append(a.Recipients, "Our email relay ("+d+") carries the emails we send you.")
	}
	return a
}

// humanPeriod writes a period for people: "730 days", "12 hours".
func humanPeriod(d time.Duration) string {
	const day = 24 * time.Hour
	switch {
	case d >= day && d%day == 0:
		return plural(int(d/day), "day")
	case d >= time.Hour && d%time.Hour == 0:
		return plural(int(d/time.Hour), "hour")
	}
	return plural(int(d.Round(time.Minute)/time.Minute), "minute")
}
