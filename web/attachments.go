package web

import (
	"errors"
	"net/http"
	"strconv"

	"safedesk/store"
	"safedesk/templates"
	"safedesk/templates/i18n"
	"safedesk/web/httpx"
)

func (s *Server) ticketAttachment(w http.ResponseWriter, r *http.Request) {
	s.customerAttachment(w, r, false)
}

func (s *Server) ticketAttachmentPreview(w http.ResponseWriter, r *http.Request) {
	s.customerAttachment(w, r, true)
}

// customerAttachment serves a file of the customer's own ticket.
func (s *Server) customerAttachment(w http.ResponseWriter, r *http.Request, inline bool) {
	t, err := s.ownTicket(r)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	a, err := s.pathAttachment(r, t.ID)
	if err == nil && a.Internal {
		err = errNotFound // staff only, as the note it is on
	}
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	s.serveAttachment(w, r, a, inline)
}

func (s *Server) adminAttachment(w http.ResponseWriter, r *http.Request) {
	s.staffAttachment(w, r, false)
}

func (s *Server) adminAttachmentPreview(w http.ResponseWriter, r *http.Request) {
	s.staffAttachment(w, r, true)
}

// staffAttachment serves any ticket's file to staff, recording who looked.
func (s *Server) staffAttachment(w http.ResponseWriter, r *http.Request, inline bool) {
	t, err := s.adminTicket(r)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	a, err := s.pathAttachment(r, t.ID)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	if !a.Deleted {
		if err := s.db.RecordAudit(r.Context(), s.staffActor(r), "attachment.downloaded", store.TicketTarget(t.ID),
			map[string]any{"attachment": a.ID, "preview": inline}); err != nil {
			s.serveError(w, r, err)
			return
		}
	}
	s.serveAttachment(w, r, a, inline)
}

// pathAttachment loads the attachment {aid} of ticket ticketID.
func (s *Server) pathAttachment(r *http.Request, ticketID int64) (store.Attachment, error) {
	id, err := httpx.PathID(r, "aid")
	if err != nil {
		return store.Attachment{}, err
	}
	return s.db.GetAttachment(r.Context(), ticketID, id)
}

// serveAttachment streams a file (httpx.ServeFile's headers); a preview is
// served inline only for raster images, and a deleted file is 410.
func (s *Server) serveAttachment(w http.ResponseWriter, r *http.Request, a store.Attachment, inline bool) {
	if inline && !a.Previewable() && !a.Deleted {
		s.serveError(w, r, errNotFound) // only raster images have a preview
		return
	}
	body, err := s.db.OpenAttachment(r.Context(), a)
	if errors.Is(err, store.ErrAttachmentDeleted) {
		s.render(w, r, http.StatusGone, templates.ErrorPage(templates.ErrorProps{Page: s.page(r, i18n.T(r.Context(), i18n.FileDeletedTitle)), Status: http.StatusGone,
			Message: i18n.T(r.Context(), i18n.FileDeletedText), RequestID: info(r).id}))
		return
	}
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	err = httpx.ServeFile(w, r, httpx.File{Name: a.Name, ContentType: a.ContentType, Size: a.Size, Inline: inline}, body)
	if httpx.Aborted(err) {
		s.log.Error("attachment download cut off", "attachment", a.ID, "err", err, "request_id", info(r).id)
		panic(http.ErrAbortHandler)
	}
	if err != nil {
		s.serveError(w, r, err)
	}
}

// adminAttachmentDeletePost deletes a file's bytes; a tombstone with its
// name and size stays on the ticket, and the audit log records who did it.
func (s *Server) adminAttachmentDeletePost(w http.ResponseWriter, r *http.Request) {
	t, err := s.adminTicket(r)
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	id, err := httpx.PathID(r, "aid")
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	a, err := s.db.DeleteAttachment(r.Context(), t.ID, id, s.staffActor(r))
	if err != nil {
		s.serveError(w, r, err)
		return
	}
	s.flash(r, "Deleted "+a.Name+". Its name and size stay on the ticket.")
	http.Redirect(w, r, "/admin/tickets/"+strconv.FormatInt(t.ID, 10), http.StatusSeeOther)
}
