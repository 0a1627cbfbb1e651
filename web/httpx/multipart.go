package httpx

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"time"
)

var (
	// ErrNotMultipart is a request whose body is not multipart/form-data.
	ErrNotMultipart = errors.New("httpx: the body is not multipart/form-data")
	// ErrTruncated is a multipart body that ended before its closing
	// boundary: the client went away or the request was cut.
	ErrTruncated = errors.New("httpx: the form ended early")
	// ErrTooManyParts is a multipart body of more parts than any form of
	// ours has.
	ErrTooManyParts = errors.New("httpx: too many form parts")
)

// IsMultipart reports whether r's body is multipart/form-data.
func IsMultipart(r *http.Request) bool {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return err == nil && mt == "multipart/form-data"
}

// maxParts bounds the parts of one form: text fields and files.
const maxParts = 64

// idleTimeout is how long an upload may stall before the connection is
// dropped: the server's whole-request timeouts would cut a large upload
// on a slow line, so each stretch of progress extends the deadlines.
const idleTimeout = 30 * time.Second

// ReadMultipart reads a multipart/form-data body as it streams, without
// spooling anything to disk (which ParseMultipartForm does with large
// files, in plaintext): text fields go into the returned values, at most
// maxText bytes in all (beyond, an *http.MaxBytesError); each part of
// fileField goes to add with the file name exactly as the client sent it
// (path and all, so that the caller can refuse it) and a reader of its
// bytes, in the order sent. A file part with no name and no bytes is what
// a browser sends when no file was chosen: it is skipped. The first error
// of add is returned as it is, with the values read so far; a body that
// ends early is ErrTruncated.
func ReadMultipart(w http.ResponseWriter, r *http.Request, fileField string, maxText int64,
	add func(name string, body io.Reader) error) (url.Values, error) {
	r.Body = &progressReader{r: r.Body, rc: http.NewResponseController(w)}
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, ErrNotMultipart
	}
	values := url.Values{}
	left := maxText
	for n := 0; ; n++ {
		p, err := mr.NextPart()
		if err == io.EOF {
			return values, nil
		}
		if err != nil {
			return values, partError(err)
		}
		if n >= maxParts {
			return values, ErrTooManyParts
		}
		name := p.FormName()
		if name == fileField {
			if err := filePart(p, add); err != nil {
				return values, err
			}
			continue
		}
		var b strings.Builder
		k, err := io.Copy(&b, io.LimitReader(p, left+1))
		if err != nil {
			return values, partError(err)
		}
		if left -= k; left < 0 {
			return values, &http.MaxBytesError{Limit: maxText}
		}
		values.Add(name, b.String())
	}
}

// filePart passes one file part to add, unless it is the empty, nameless
// part of a file input left blank.
func filePart(p *multipart.Part, add func(string, io.Reader) error) error {
	name, _ := rawFileName(p.Header.Get("Content-Disposition"))
	empty, body, err := emptyFile(p)
	switch {
	case err != nil:
		return err
	case empty && name == "":
		return nil
	case empty:
		body = strings.NewReader("")
	}
	return add(name, body)
}

// partError maps a failed read of the body: over the size limit stays as
// it is (413), a body cut short is ErrTruncated.
func partError(err error) error {
	var maxErr *http.MaxBytesError
	switch {
	case errors.As(err, &maxErr):
		return err
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return ErrTruncated
	}
	return fmt.Errorf("%w: %v", ErrTruncated, err)
}

// rawFileName is the filename parameter of a part's Content-Disposition as
// sent (mime/multipart's FileName keeps only the last path element, which
// would hide a name with a path from the check that refuses it); ok is
// false when the part has none.
func rawFileName(disposition string) (string, bool) {
	_, params, err := mime.ParseMediaType(disposition)
	if err != nil {
		return "", false
	}
	name, ok := params["filename"]
	return name, ok
}

// progressReader extends the connection's read and write deadlines as the
// body arrives.
type progressReader struct {
	r     io.ReadCloser
	rc    *http.ResponseController
	since int
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	if p.since += n; p.since >= 256<<10 {
		p.since = 0
		if derr := extendDeadlines(p.rc); derr != nil && err == nil {
			err = derr
		}
	}
	return n, err
}

func (p *progressReader) Close() error { return p.r.Close() }

// extendDeadlines moves the connection's deadlines idleTimeout ahead. A
// writer that has no connection (a test recorder) keeps no deadlines.
func extendDeadlines(rc *http.ResponseController) error {
	at := time.Now().Add(idleTimeout)
	for _, err := range []error{rc.SetReadDeadline(at), rc.SetWriteDeadline(at)} {
		if err != nil && !errors.Is(err, http.ErrNotSupported) {
			return err
		}
	}
	return nil
}

// emptyFile reports whether a part holds no bytes, and returns a reader of
// all of it otherwise.
func emptyFile(p io.Reader) (bool, io.Reader, error) {
	var one [1]byte
	n, err := io.ReadFull(p, one[:])
	if n == 0 {
		if err == io.EOF {
			return true, nil, nil
		}
		return false, nil, partError(err)
	}
	return false, io.MultiReader(bytes.NewReader(one[:]), p), nil
}
