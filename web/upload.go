package web

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"safedesk/security"
	"safedesk/store"
	"safedesk/templates/i18n"
	"safedesk/web/api"
	"safedesk/web/httpx"
	"safedesk/web/mail"
)

// AttachmentOptions are the settings of files on tickets.
type AttachmentOptions struct {
	// MaxSize is the largest file accepted, in bytes;
	// store.DefaultAttachmentMaxSize (20 MiB) when zero.
	MaxSize int64
}

// Flags binds --attachment-max-size.
func (o *AttachmentOptions) Flags(fs *flag.FlagSet) {
	if o.MaxSize == 0 {
		o.MaxSize = store.DefaultAttachmentMaxSize
	}
	fs.Var((*mail.ByteSize)(&o.MaxSize), "attachment-max-size", fmt.Sprintf("largest file accepted on a ticket, like 20MiB or 512KiB (at most %d files per message)", store.MaxAttachments))
}

// Validate checks the limits; zero takes the default.
func (o *AttachmentOptions) Validate() error {
	if o.MaxSize != 0 && (o.MaxSize < 1<<10 || o.MaxSize > 1<<30) {
		return errors.New("--attachment-max-size must be between 1KiB and 1GiB")
	}
	return nil
}

// bodyLimit is the largest body r may have: for a multipart body on an
// upload route, the most files a message may carry at the largest size,
// plus the form; otherwise MaxFormBytes.
func (s *Server) bodyLimit(r *http.Request) int64 {
	if r.Method != http.MethodPost || !httpx.IsMultipart(r) {
		return s.cfg.MaxFormBytes
	}
	if _, pattern := s.uploads.Handler(r); pattern == "" {
		return s.cfg.MaxFormBytes
	}
	const partOverhead = 16 << 10 // boundaries and part headers
	return store.MaxAttachments*(s.cfg.Attachments.MaxSize+partOverhead) + s.cfg.MaxFormBytes
}

// formInput is a posted form read by readForm: urlencoded, or multipart
// with files.
type formInput struct {
	Values url.Values
	// Upload holds the files, staged; nil for a form without files.
	Upload *store.Upload
	// FileError says what is wrong with a file, for the person; Status is
	// then 413 (too large) or 422.
	FileError string
	Status    int
}

// readForm reads the form of r. Files in the repeatable field
// "attachments" stream into a store.Upload as they arrive (never into
// memory or onto disk whole); a file refused leaves the rest of the form
// readable for the 422 answer, and discards every file of the form, so
// nothing half-written remains. The caller defers in.discard.
func (s *Server) readForm(w http.ResponseWriter, r *http.Request) (formInput, error) {
	if !httpx.IsMultipart(r) {
		if err := r.ParseForm(); err != nil {
			return formInput{}, formError(err)
		}
		return formInput{Values: r.PostForm}, nil
	}
	in := formInput{Upload: s.db.NewUpload(s.cfg.Attachments.MaxSize)}
	current := ""
	values, err := httpx.ReadMultipart(w, r, "attachments", s.cfg.MaxFormBytes, func(name string, body io.Reader) error {
		current = name
		_, err := in.Upload.Add(r.Context(), name, body)
		return err
	})
	in.Values = values
	if err == nil && s.scanUploadFields(w, r, values) {
		err = errBlocked
	}
	if err == nil {
		return in, nil
	}
	in.discard(s)
	var ae *store.AttachmentError
	var maxErr *http.MaxBytesError
	switch {
	case errors.As(err, &ae):
		in.FileError, in.Status = fileMessage(i18n.From(r.Context()), ae, in.Upload.MaxSize()), http.StatusUnprocessableEntity
		if ae.TooLarge {
			in.Status = http.StatusRequestEntityTooLarge
		}
	case current != "" && (errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, httpx.ErrTruncated)):
		in.FileError, in.Status = fileMessage(i18n.From(r.Context()), &store.AttachmentError{Name: current, Problem: fileIncomplete}, in.Upload.MaxSize()), http.StatusUnprocessableEntity
	case errors.As(err, &maxErr):
		return in, errTooLarge
	case errors.Is(err, httpx.ErrTruncated), errors.Is(err, httpx.ErrTooManyParts), errors.Is(err, io.ErrUnexpectedEOF):
		return in, fmt.Errorf("%w: %v", errBadRequest, err)
	default:
		return in, err
	}
	return in, nil
}

// errBlocked is a request the abuse guard answered already.
var errBlocked = errors.New("web: blocked by the abuse guard")

// failForm answers a form that could not be read, unless the abuse guard
// already did.
func (s *Server) failForm(w http.ResponseWriter, r *http.Request, err error) {
	if !errors.Is(err, errBlocked) {
		s.serveError(w, r, err)
	}
}

// discard removes the files no message took, even when the request was
// cancelled; a failure is logged, and the scheduled purge retries.
func (in formInput) discard(s *Server) {
	if err := in.Upload.Discard(context.WithoutCancel(context.Background())); err != nil {
		s.log.Error("discard staged attachments", "err", err)
	}
}

// formErrors are the field errors and status of a form that comes back:
// a refused file (413 or 422), or what the store refused (422). A form
// that comes back cannot keep the files chosen, so the attachments field
// says to choose them again. Status 0: nothing to show (err is nil or a
// fault for serveError).
func (in formInput) formErrors(ctx context.Context, err error) (int, map[string]string) {
	again := " " + i18n.T(ctx, i18n.FilesAgain)
	var verr *store.ValidationError
	var ae *store.AttachmentError
	switch {
	case in.FileError != "":
		return in.Status, map[string]string{"attachments": in.FileError + again}
	case errors.As(err, &ae):
		return http.StatusUnprocessableEntity, map[string]string{"attachments": fileMessage(i18n.From(ctx), ae, in.Upload.MaxSize()) + again}
	case errors.As(err, &verr):
		errs := localFields(ctx, verr.Fields)
		if len(in.Upload.Files()) > 0 {
			errs["attachments"] = strings.TrimSpace(again)
		}
		return http.StatusUnprocessableEntity, errs
	}
	return 0, nil
}

// scanUploadFields runs the abuse guard's payload scan over the text fields
// of a portal multipart form, as abuseCheck does for urlencoded ones (which
// it can read before the handler). It reports whether the client was
// blocked, in which case the answer is written.
func (s *Server) scanUploadFields(w http.ResponseWriter, r *http.Request, values url.Values) bool {
	ip := info(r).ip
	if strings.HasPrefix(r.URL.Path, "/admin/") || api.Handles(r.URL.Path) || !ip.IsValid() || s.abuse.isExempt(ip) {
		return false
	}
	sig, ok := scanValues(values)
	return ok && s.abuseFinding(w, r, string(info(r).key[:]), security.Event{Kind: security.EventPayload, Sig: sig})
}

// strippedNotice tells the person, in their language, which photos lost
// their hidden location and camera data, or "" when none did.
func strippedNotice(ctx context.Context, files []store.Attachment) string {
	var names []string
	for _, f := range files {
		if f.Stripped {
			names = append(names, f.Name)
		}
	}
	if len(names) == 0 {
		return ""
	}
	return " " + i18n.N(ctx, i18n.StrippedCount, len(names), strings.Join(names, ", "))
}
