package mail

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	netmail "net/mail"
	"strings"

	"github.com/emersion/go-message"
	_ "github.com/emersion/go-message/charset" // every charset of golang.org/x/text for message bodies and headers
	gomessage "github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"

	"safedesk/security"
)

// Parsed is an incoming message as the email channel needs it. Text is
// plain text whatever the message held: text/plain is preferred, an
// HTML-only message is turned into text (never kept as HTML), any charset
// is decoded to UTF-8.
type Parsed struct {
	From        []string // every address of the From header fields
	FromName    string
	MessageID   string   // without angle brackets
	References  []string // In-Reply-To, then References newest first
	Recipients  []string // To, Cc and the delivery headers, for reply tokens
	Subject     string
	Text        string // quoted history and signature trimmed
	FullText    string // the whole text
	Headers     string // the header section as received
	BodyHash    [32]byte
	AuthResults []string // Authentication-Results values, topmost first
	Loop        security.MailHeaders
	Bounce      *Bounce // set for a delivery status notification
	Attachments int     // files handed to the attachment function
	// Languages are the language tags of Content-Language, the message's
	// first, else its text part's: what the sender says it is written in.
	Languages []string
}

// Bounce is what a delivery status notification (RFC 3464) says.
type Bounce struct {
	Original []string // Message-IDs of the mail that failed
	Status   string   // like 5.1.1
}

// Attachment is a file of a message, read while parsing: Body must be read
// (or not) before the function it is handed to returns.
type Attachment struct {
	Name        string
	ContentType string
	Body        io.Reader
}

// maxDepth bounds the nesting of multiparts: deeper parts are ignored.
const maxDepth = 12

// ParseMessage parses a whole message (header and body as fetched). Each
// attachment is handed to attach while the message is read, so that a
// large file is streamed, not held twice.
func ParseMessage(raw []byte, attach func(Attachment) error) (*Parsed, error) {
	e, err := message.Read(bytes.NewReader(raw))
	if err != nil && !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err) {
		return nil, fmt.Errorf("mail: parse: %w", err)
	}
	p := &Parsed{BodyHash: sha256.Sum256(raw[headerEnd(raw):]), Headers: string(raw[:headerEnd(raw)])}
	h := gomessage.Header{Header: e.Header}
	p.readHeader(h)
	w := walker{p: p, attach: attach}
	if err := w.walk(e, 0); err != nil {
		return nil, err
	}
	texts := make([]string, len(w.texts))
	for i, t := range w.texts {
		texts[i] = t.text
	}
	full := strings.TrimSpace(strings.Join(texts, "\n\n"))
	p.FullText, p.Text = full, TrimQuoted(full)
	return p, nil
}

// headerEnd is the offset of the body: after the first empty line.
func headerEnd(raw []byte) int {
	if i := bytes.Index(raw, []byte("\r\n\r\n")); i >= 0 {
		if j := bytes.Index(raw, []byte("\n\n")); j >= 0 && j < i {
			return j + 2
		}
		return i + 4
	}
	if i := bytes.Index(raw, []byte("\n\n")); i >= 0 {
		return i + 2
	}
	return len(raw)
}

// readHeader fills the fields that come from the top-level header.
func (p *Parsed) readHeader(h gomessage.Header) {
	for _, v := range h.Values("From") {
		addrs, err := parseAddressList(v)
		if err != nil {
			continue
		}
		for _, a := range addrs {
			p.From = append(p.From, a.Address)
			if p.FromName == "" {
				p.FromName = a.Name
			}
		}
	}
	p.MessageID, _ = h.MessageID()
	if p.MessageID == "" {
		p.MessageID = NormalizeID(h.Get("Message-Id"))
	}
	irt, _ := h.MsgIDList("In-Reply-To")
	refs, _ := h.MsgIDList("References")
	p.References = append(p.References, irt...)
	for i := len(refs) - 1; i >= 0; i-- {
		p.References = append(p.References, refs[i])
	}
	for _, k := range []string{"To", "Cc", "Delivered-To", "X-Original-To", "X-Delivered-To", "Envelope-To"} {
		for _, v := range h.Values(k) {
			if addrs, err := parseAddressList(v); err == nil {
				for _, a := range addrs {
					p.Recipients = append(p.Recipients, a.Address)
				}
			}
		}
	}
	var err error
	if p.Subject, err = h.Subject(); err != nil {
		p.Subject = h.Get("Subject")
	}
	p.AuthResults = h.Values("Authentication-Results")
	p.Languages = contentLanguages(h.Get("Content-Language"))
	rp := h.Get("Return-Path")
	p.Loop = security.MailHeaders{
		ReturnPath: strings.Trim(strings.TrimSpace(rp), "<>"), HasReturnPath: h.Has("Return-Path"),
		AutoSubmitted: h.Get("Auto-Submitted"), Precedence: h.Get("Precedence"), ListID: h.Get("List-Id"),
		ListUnsubscribe: h.Get("List-Unsubscribe"), XAutoResponseSuppress: h.Get("X-Auto-Response-Suppress"),
		XAutoreply: h.Get("X-Autoreply") + h.Get("X-Autorespond"),
	}
	if len(p.From) > 0 {
		p.Loop.From = p.From[0]
	}
}

// parseAddressList reads an address list, with go-message (which decodes
// names in any charset), else the standard library.
func parseAddressList(v string) ([]*netmail.Address, error) {
	var h gomessage.Header
	h.Set("X", v)
	if list, err := h.AddressList("X"); err == nil {
		out := make([]*netmail.Address, len(list))
		for i, a := range list {
			out[i] = (*netmail.Address)(a)
		}
		return out, nil
	}
	return netmail.ParseAddressList(v)
}

// NormalizeID removes the angle brackets and spaces around a Message-ID.
func NormalizeID(id string) string {
	return strings.TrimSpace(strings.Trim(strings.TrimSpace(id), "<>"))
}

// walker collects the texts of a message and hands its files on.
type walker struct {
	p      *Parsed
	attach func(Attachment) error
	texts  []piece
}

// piece is one text part, and whether it was HTML.
type piece struct {
	text string
	html bool
}

// walk reads entity e: a multipart part by part, a leaf as text or file.
func (w *walker) walk(e *message.Entity, depth int) error {
	if depth > maxDepth {
		return nil
	}
	t, params, _ := e.Header.ContentType()
	if mr := e.MultipartReader(); mr != nil {
		switch {
		case t == "multipart/alternative":
			return w.alternative(mr, depth)
		case t == "multipart/report" && strings.EqualFold(params["report-type"], "delivery-status"):
			w.p.Bounce = &Bounce{}
		}
		return w.parts(mr, depth, nil)
	}
	text, err := w.leaf(e)
	if err != nil || text == nil {
		return err
	}
	if strings.TrimSpace(text.text) != "" {
		w.texts = append(w.texts, *text)
	}
	return nil
}

// parts walks every part of mr, or hands each to each when set.
func (w *walker) parts(mr message.MultipartReader, depth int, each func(*message.Entity) error) error {
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil && !message.IsUnknownCharset(err) && !message.IsUnknownEncoding(err) {
			return fmt.Errorf("mail: parse: %w", err)
		}
		if each != nil {
			err = each(part)
		} else {
			err = w.walk(part, depth+1)
		}
		if err != nil {
			return err
		}
	}
}

// alternative keeps one version of the text: the plain one when there is
// one, else the HTML one as text. Files inside (images of an HTML
// version) are handed on.
func (w *walker) alternative(mr message.MultipartReader, depth int) error {
	outer := w.texts
	w.texts = nil
	err := w.parts(mr, depth, nil)
	var plain, html []piece
	for _, t := range w.texts {
		if t.html {
			html = append(html, t)
		} else {
			plain = append(plain, t)
		}
	}
	w.texts = outer
	if len(plain) > 0 {
		w.texts = append(w.texts, plain...)
	} else {
		w.texts = append(w.texts, html...)
	}
	return err
}

// leaf reads a single part: text shown in the message (returned), a part
// of a delivery report, or a file.
func (w *walker) leaf(e *message.Entity) (*piece, error) {
	t, params, _ := e.Header.ContentType()
	disp, dparams, _ := e.Header.ContentDisposition()
	name := dparams["filename"]
	if name == "" {
		name = params["name"]
	}
	switch {
	case w.p.Bounce != nil && (t == "message/delivery-status" || t == "message/rfc822" || t == "text/rfc822-headers" || t == "message/global-headers"):
		return nil, w.report(e, t)
	case disp != "attachment" && name == "" && (t == "text/plain" || t == ""):
		b, err := io.ReadAll(e.Body)
		if err != nil {
			return nil, fmt.Errorf("mail: parse: %w", err)
		}
		if len(w.p.Languages) == 0 {
			w.p.Languages = contentLanguages(e.Header.Get("Content-Language"))
		}
		text := strings.ReplaceAll(string(b), "\r\n", "\n")
		if strings.EqualFold(params["format"], "flowed") {
			text = unflow(text, strings.EqualFold(params["delsp"], "yes"))
		}
		return &piece{text: text}, nil
	case disp != "attachment" && name == "" && t == "text/html":
		b, err := io.ReadAll(e.Body)
		if err != nil {
			return nil, fmt.Errorf("mail: parse: %w", err)
		}
		return &piece{text: HTMLToText(string(b)), html: true}, nil
	}
	return nil, w.file(e, t, name)
}

// file hands a part on as an attachment.
func (w *walker) file(e *message.Entity, t, name string) error {
	if name == "" {
		name = "attachment"
		if t == "message/rfc822" {
			name = "message.eml"
		}
	}
	w.p.Attachments++
	if w.attach == nil {
		_, err := io.Copy(io.Discard, e.Body)
		return err
	}
	if err := w.attach(Attachment{Name: name, ContentType: t, Body: e.Body}); err != nil {
		return err
	}
	_, err := io.Copy(io.Discard, e.Body) // whatever the function left
	return err
}

// report reads the parts of a delivery status notification: the status of
// the failed recipient, and the Message-ID of the mail that failed.
func (w *walker) report(e *message.Entity, t string) error {
	br := bufio.NewReader(io.LimitReader(e.Body, 1<<20))
	if t == "message/delivery-status" {
		// A block of fields for the message, then one per recipient.
		for {
			h, err := textproto.ReadHeader(br)
			if err != nil {
				break
			}
			if s := strings.TrimSpace(h.Get("Status")); s != "" && w.p.Bounce.Status == "" {
				s, _, _ = strings.Cut(s, " ")
				w.p.Bounce.Status = s
			}
			if h.Len() == 0 {
				break
			}
		}
	} else if h, err := textproto.ReadHeader(br); err == nil {
		if id := NormalizeID(h.Get("Message-Id")); id != "" {
			w.p.Bounce.Original = append(w.p.Bounce.Original, id)
		}
	}
	_, err := io.Copy(io.Discard, br)
	return err
}

// unflow joins the soft line breaks of format=flowed text (RFC 3676): a
// line ending in a space goes on in the next, except the signature
// separator "-- ".
func unflow(text string, delsp bool) string {
	lines := strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	var b strings.Builder
	for i, l := range lines {
		if strings.HasPrefix(l, " ") {
			l = l[1:] // space-stuffing
		}
		soft := strings.HasSuffix(l, " ") && l != "-- "
		if soft && delsp {
			l = l[:len(l)-1]
		}
		b.WriteString(l)
		if !soft && i < len(lines)-1 {
			b.WriteByte('\n')
		}
	}
	return b.String()
}
