package api

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"

	"safedesk/store"
	"safedesk/web/httpx"
)

// attachmentJSON is a message's file as the API shows it; a file staff
// deleted is listed with deleted set and can no longer be downloaded.
type attachmentJSON struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	Size        int64  `json:"size"`
	ContentType string `json:"content_type"`
	Deleted     bool   `json:"deleted,omitempty"`
}

func newAttachmentsJSON(as []store.Attachment) []attachmentJSON {
	out := make([]attachmentJSON, len(as))
	for i, a := range as {
		out[i] = attachmentJSON{ID: a.ID, Name: a.Name, Size: a.Size, ContentType: a.ContentType, Deleted: a.Deleted}
	}
	return out
}

// maxFormText bounds the text fields of a multipart message: the body
// and the internal flag.
const maxFormText = 1 << 20

// messageRequest reads the body of POST /tickets/{id}/messages: JSON, or
// multipart/form-data with the fields body and internal and the files in
// the repeatable field attachments, streamed into a store.Upload (nil for
// JSON). The caller defers discard of the upload.
func (h *Handler) messageRequest(w http.ResponseWriter, r *http.Request, ticketID int64) (messageCreateRequest, *store.Upload, error) {
	var req messageCreateRequest
	if !httpx.IsMultipart(r) {
		return req, nil, decodeJSON(r, &req)
	}
	// Before a byte of a file is stored: the ticket must exist.
	if _, err := h.db.GetTicket(r.Context(), ticketID); err != nil {
		return req, nil, err
	}
	up := h.db.NewUpload(h.cfg.AttachmentMaxSize)
	values, err := httpx.ReadMultipart(w, r, "attachments", maxFormText, func(name string, body io.Reader) error {
		_, err := up.Add(r.Context(), name, body)
		return err
	})
	if err != nil {
		return req, up, multipartError(err)
	}
	for name, vs := range values {
		switch {
		case len(vs) > 1:
			return req, up, errorf(http.StatusBadRequest, "invalid_form", "Field %s is given twice.", safeName(name))
		case name == "body":
			req.Body = vs[0]
		case name == "internal":
			if req.Internal, err = strconv.ParseBool(vs[0]); err != nil {
				return req, up, &store.ValidationError{Fields: map[string]string{"internal": "Use true or false."}}
			}
		default:
			return req, up, errorf(http.StatusBadRequest, "unknown_field", "Unknown field %s.", safeName(name))
		}
	}
	return req, up, nil
}

// multipartError explains a multipart body that could not be read.
func multipartError(err error) error {
	var ae *store.AttachmentError
	var maxErr *http.MaxBytesError
	switch {
	case errors.As(err, &ae), errors.As(err, &maxErr):
		return err
	case errors.Is(err, httpx.ErrTooManyParts):
		return errorf(http.StatusBadRequest, "invalid_form", "The form has more parts than a message can carry.")
	case errors.Is(err, httpx.ErrTruncated), errors.Is(err, io.ErrUnexpectedEOF):
		return errorf(http.StatusBadRequest, "invalid_form", "The multipart body ended early; send it again.")
	}
	return err
}

// attachmentError is an *store.AttachmentError in the API's shape: 413
// for a file over the size limit, 422 otherwise, naming the file.
func attachmentError(ae *store.AttachmentError) *apiError {
	if ae.TooLarge {
		return &apiError{status: http.StatusRequestEntityTooLarge, code: "attachment_too_large", message: ae.Message(),
			fields: map[string]string{"attachments": ae.Message()}}
	}
	return &apiError{status: http.StatusUnprocessableEntity, code: "invalid_attachment", message: ae.Message(),
		fields: map[string]string{"attachments": ae.Message()}}
}

// discard removes the files of an upload no message took, even after the
// request was cancelled.
func (h *Handler) discard(up *store.Upload) {
	if err := up.Discard(context.Background()); err != nil {
		h.log.Error("discard staged attachments", "err", err)
	}
}

// attachmentGet downloads a file of a ticket, recorded in the audit log.
func (h *Handler) attachmentGet(w http.ResponseWriter, r *http.Request, p *store.Principal) {
	ticketID, err := httpx.PathID(r, "id")
	if err != nil {
		h.ServeError(w, r, err)
		return
	}
	id, err := httpx.PathID(r, "aid")
	if err != nil {
		h.ServeError(w, r, err)
		return
	}
	a, err := h.db.GetAttachment(r.Context(), ticketID, id)
	if err != nil {
		h.ServeError(w, r, err)
		return
	}
	body, err := h.db.OpenAttachment(r.Context(), a)
	if errors.Is(err, store.ErrAttachmentDeleted) {
		h.ServeError(w, r, errorf(http.StatusGone, "gone", "This file was deleted; only its name and size are kept."))
		return
	}
	if err != nil {
		h.ServeError(w, r, err)
		return
	}
	if err := h.db.RecordAudit(r.Context(), h.actor(r, p), "attachment.downloaded", store.TicketTarget(ticketID),
		map[string]any{"attachment": a.ID}); err != nil {
		h.ServeError(w, r, err)
		return
	}
	err = httpx.ServeFile(w, r, httpx.File{Name: a.Name, ContentType: a.ContentType, Size: a.Size}, body)
	if httpx.Aborted(err) {
		h.log.Error("attachment download cut off", "attachment", a.ID, "err", err, "request_id", h.hooks.RequestID(r))
		panic(http.ErrAbortHandler)
	}
	if err != nil {
		h.ServeError(w, r, err)
	}
}
