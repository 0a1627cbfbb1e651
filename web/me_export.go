package web

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"safedesk/store"
	"safedesk/templates"
	"safedesk/templates/i18n"
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
	Devices    []exportDevice  `json:"devices"`
}

// exportDevice is a device the customer stays signed in on (/me/devices).
type exportDevice struct {
	Device     string `json:"device"`
	CreatedAt  string `json:"created_at"`
	LastUsedAt string `json:"last_used_at"`
	ExpiresAt  string `json:"expires_at"`
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
	ID        int64  `json:"id"`
	Subject   string `json:"subject"`
	Status    string `json:"status"`
	Priority  string `json:"priority"`
	Channel   string `json:"channel"`
	Language  string `json:"language"` // mail about it speaks it; "" for the site's
	CreatedAt string `json:"created_at"`
	UpdatedAt string `json:"updated_at"`
	// Tags are the labels staff put on the ticket, exported with the
	// internal notes (both are staff's own working data about it).
	Tags     []string        `json:"tags,omitempty"`
	Messages []exportMessage `json:"messages"`
	// Held are replies sent from the customer's address that were held
	// back (web/me_export_email.go).
	Held []exportHeld `json:"held_replies,omitempty"`
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
	Email     *exportEmail    `json:"email,omitempty"`
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

// exportRecord is an audit entry about the customer. Their own actions
// carry the network they came from: a pseudonym of the address in records
// since the audit log stopped keeping addresses, the address in older ones.
type exportRecord struct {
	At        string `json:"at"`
	Action    string `json:"action"`
	Target    string `json:"target"`
	By        string `json:"by"`
	ClientIP  string `json:"network_address,omitempty"`
	Pseudonym string `json:"network_pseudonym,omitempty"`
}

func exportTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// ticketAuthors and chatAuthors name authors from the customer's side.
var (
	ticketAuthors = map[string]string{"customer": "you", "staff": "support", "bot": "assistant", "system": "system"}
	chatAuthors   = map[string]string{store.ChatAuthorVisitor: "you", store.ChatAuthorAgent: "support",
		store.ChatAuthorBot: "assistant", store.ChatAuthorSystem: "system"}
)

// subjectExport is an export made by exportSubject: the JSON document,
// the files it lists (sent with it in a ZIP), and when it was made.
type subjectExport struct {
	doc   []byte
	files []store.Attachment
	at    time.Time
}

// exportSubject answers an access request of customer id: it builds the
// one document that the portal (/me/export), the staff panel and the API
// hand out, everything held about the customer (subjectDoc), and records
// the export by a in the audit log before anything is sent. Internal notes
// are in it when the owner's setting says so, whoever asks.
func (s *Server) exportSubject(ctx context.Context, id int64, a store.Actor) (subjectExport, error) {
	notes, err := s.exportNotes(ctx)
	if err != nil {
		return subjectExport{}, err
	}
	x, err := s.db.ExportSubject(ctx, id, notes)
	if err != nil {
		return subjectExport{}, err
	}
	out := subjectExport{files: exportedFiles(x), at: s.db.Now()}
	body, err := json.MarshalIndent(s.subjectDocument(x, notes, out.at), "", "  ")
	if err != nil {
		return subjectExport{}, fmt.Errorf("web: export: %w", err)
	}
	if err := s.db.RecordAudit(ctx, a, "customer.exported", "customer:"+strconv.FormatInt(id, 10), map[string]any{
		"tickets": len(x.Tickets), "chats": len(x.Chats), "internal_notes": notes, "files": len(out.files),
	}); err != nil {
		return subjectExport{}, err
	}
	out.doc = append(body, '\n')
	return out, nil
}

// exportDocument is exportSubject for the API, whose access request
// answers with the document alone: it lists the files, which the API
// serves one by one.
func (s *Server) exportDocument(ctx context.Context, id int64, a store.Actor) ([]byte, error) {
	x, err := s.exportSubject(ctx, id, a)
	return x.doc, err
}

// sendExport sends an export as a download named name plus its extension:
// the JSON document alone, or a ZIP of it and the files (web/me_export_files.go).
// A large one may take longer than the write timeout.
func (s *Server) sendExport(w http.ResponseWriter, r *http.Request, x subjectExport, name string) {
	if len(x.files) > 0 {
		s.writeExportZip(w, r, x.doc, x.files, x.at, name+".zip")
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", name+".json"))
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	if _, err := s.longResponse(w).Write(x.doc); err != nil {
		s.log.Warn("export not fully sent", "route", r.Pattern, "err", err, "request_id", info(r).id)
	}
}

// subjectDocument builds the export file from the store's export.
func (s *Server) subjectDocument(x store.SubjectExport, notes bool, now time.Time) subjectDoc {
	doc := subjectDoc{
		Format: exportFormat, ExportedAt: exportTime(now),
		Site:  exportSite{Name: s.site.Name(), URL: s.cfg.BaseURL.String(), Contact: s.cfg.MailFrom},
		About: s.exportAbout(notes),
		Customer: exportCustomer{ID: x.Customer.ID, Email: x.Customer.Email, Name: x.Customer.Name,
			CreatedAt: exportTime(x.Customer.CreatedAt)},
		Tickets: []exportTicket{}, Chats: []exportChat{}, Consents: []exportConsent{}, Records: []exportRecord{},
		Devices: []exportDevice{},
	}
	if !x.Customer.VerifiedAt.IsZero() {
		v := exportTime(x.Customer.VerifiedAt)
		doc.Customer.VerifiedAt = &v
	}
	for _, t := range x.Tickets {
		doc.Tickets = append(doc.Tickets, exportTicketDoc(t, notes))
	}
	for _, d := range x.Devices {
		doc.Devices = append(doc.Devices, exportDevice{Device: d.Device, CreatedAt: exportTime(d.CreatedAt),
			LastUsedAt: exportTime(d.LastUsedAt), ExpiresAt: exportTime(d.ExpiresAt)})
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
		rec := exportRecord{At: exportTime(r.At), Action: r.Action, Target: r.Target, By: r.By, ClientIP: r.ClientIP}
		if store.IsClientPseudonym(r.ClientIP) {
			rec.ClientIP, rec.Pseudonym = "", r.ClientIP
		}
		doc.Records = append(doc.Records, rec)
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
		return "deleted " + templates.Duration(d) + " after " + what
	}
	a := exportAbout{
		Purposes: []string{
			"Your email address and name: to answer your requests and to let you prove they are yours.",
			"Your requests, messages and chats: to help you.",
			"Records of actions with the network address they came from: to keep the service and your data secure.",
		},
		Retention: map[string]string{
			"requests":        keep(ret.ResolvedTickets, "a request is solved or closed and nothing more happens on it"),
			"customer_record": keep(ret.ResolvedTickets, "you last confirmed your email, once no request or chat of yours is left"),
			"chats":           "deleted " + templates.Duration(s.cfg.ChatRetention) + " after the last message; a chat that became a request is kept with it",
			"security_events": keep(ret.SecurityEvents, "they happened") + "; they are the only records that keep network addresses",
			"audit_log": "kept for the life of the service; it names you by number, never by email address or name, and the network " +
				"address of your own actions only by a keyed pseudonym (older records may hold the address itself)",
		},
		Recipients:    []string{},
		InternalNotes: notes,
		Rights: "You may download this file again at /me/export and erase your data at /me/delete at any time. " +
			"For anything else, write to us.",
	}
	if b := s.backupNotice(); b.Enabled {
		words, longest := templates.Ladder(i18n.New(i18n.Default, nil), b.Keep)
		a.Retention["backups"] = "encrypted backups keep " + words + "; data erased today leaves the last of them after " + longest
	}
	if d := s.cfg.MailRelay; d != "" {
		a.Recipients = append(a.Recipients, "Our email relay ("+d+") carries the emails we send you.")
	}
	if s.inbox != nil {
		p := emailProcessor(s.cfg.Email.Options).Words(i18n.New(i18n.Default, nil))
		a.Recipients = append(a.Recipients, p.Name+": "+p.Purpose)
	}
	if h := s.chat.modelHost; h != "" {
		p := modelProcessor(h).Words(i18n.New(i18n.Default, nil))
		a.Recipients = append(a.Recipients, p.Name+": "+p.Purpose+" It receives "+p.Data+".")
	}
	return a
}
