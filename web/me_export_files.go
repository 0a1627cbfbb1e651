package web

import (
	"archive/zip"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"safedesk/security"
	"safedesk/store"
)

// A customer with files gets their export as a ZIP: the same JSON document
// as personal-data.json, and each file under files/, named in the JSON.
// Not base64 inside the JSON: that would make a file of photos a third
// larger, hold it in memory to encode, and leave the customer unable to
// open a single photo without a program. The ZIP streams one file at a
// time, as downloads do.

// exportFile is a file in the export document.
type exportFile struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	Size        int64  `json:"size"`
	ContentType string `json:"content_type"`
	// Path is where the file is in the ZIP; empty for a file staff
	// deleted (of which only name and size are held).
	Path    string `json:"file,omitempty"`
	Deleted bool   `json:"deleted,omitempty"`
}

func exportFiles(as []store.Attachment) []exportFile {
	var out []exportFile
	for _, a := range as {
		f := exportFile{ID: a.ID, Name: a.Name, Size: a.Size, ContentType: a.ContentType, Deleted: a.Deleted}
		if !a.Deleted {
			f.Path = exportPath(a)
		}
		out = append(out, f)
	}
	return out
}

// exportPath is a file's place in the ZIP: unique by its id, and its name
// cleaned of anything that could climb out of the folder it unpacks into.
func exportPath(a store.Attachment) string {
	return "files/ticket-" + strconv.FormatInt(a.TicketID, 10) + "/" + strconv.FormatInt(a.ID, 10) + "-" + security.CleanFilename(a.Name)
}

// exportedFiles are the files the export carries: those of the messages in
// it and of the held replies, deleted ones excluded.
func exportedFiles(x store.SubjectExport) []store.Attachment {
	var out []store.Attachment
	add := func(as []store.Attachment) {
		for _, a := range as {
			if !a.Deleted {
				out = append(out, a)
			}
		}
	}
	for _, t := range x.Tickets {
		for _, m := range t.Messages {
			add(m.Attachments)
		}
		for _, q := range t.Held {
			add(q.Files)
		}
	}
	return out
}

// writeExportZip streams the export as a ZIP: the document, then each file
// read one chunk at a time. A failure once the answer has begun drops the
// connection, so that a cut-off ZIP never looks complete.
func (s *Server) writeExportZip(w http.ResponseWriter, r *http.Request, doc []byte, files []store.Attachment, now time.Time, name string) {
	h := w.Header()
	h.Set("Content-Type", "application/zip")
	h.Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", name))
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	if err := s.exportZip(w, r, doc, files, now); err != nil {
		s.log.Error("export cut off", "err", err, "request_id", info(r).id)
		panic(http.ErrAbortHandler)
	}
}

func (s *Server) exportZip(w http.ResponseWriter, r *http.Request, doc []byte, files []store.Attachment, now time.Time) error {
	zw := zip.NewWriter(s.longResponse(w)) // a large export outlasts the write timeout
	entry := func(name string, method uint16) (io.Writer, error) {
		return zw.CreateHeader(&zip.FileHeader{Name: name, Method: method, Modified: now})
	}
	f, err := entry("personal-data.json", zip.Deflate)
	if err != nil {
		return err
	}
	if _, err := f.Write(doc); err != nil {
		return err
	}
	for _, a := range files {
		body, err := s.db.OpenAttachment(r.Context(), a)
		if err != nil {
			return err
		}
		method := zip.Store // photos and documents are compressed already
		if strings.HasPrefix(a.ContentType, "text/") {
			method = zip.Deflate
		}
		f, err := entry(exportPath(a), method)
		if err != nil {
			return err
		}
		if _, err := io.Copy(f, body); err != nil {
			return err
		}
	}
	return zw.Close()
}
