package httpx

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/iotest"
)

func TestContentDisposition(t *testing.T) {
	for name, want := range map[string]string{
		"photo.jpg":         `attachment; filename="photo.jpg"; filename*=UTF-8''photo.jpg`,
		"order notes.txt":   `attachment; filename="order notes.txt"; filename*=UTF-8''order%20notes.txt`,
		"Überweisung.pdf":   `attachment; filename="_berweisung.pdf"; filename*=UTF-8''%C3%9Cberweisung.pdf`,
		`a"b\c.txt`:         `attachment; filename="a_bc.txt"; filename*=UTF-8''a%22bc.txt`,
		"line\r\nX-Evil: 1": `attachment; filename="lineX-Evil: 1"; filename*=UTF-8''lineX-Evil%3A%201`,
		"../../etc/passwd":  `attachment; filename="....etcpasswd"; filename*=UTF-8''....etcpasswd`,
		"100%.txt":          `attachment; filename="100_.txt"; filename*=UTF-8''100%25.txt`,
		"\x00\x01":          `attachment`,
		"résumé; x=1.docx":  `attachment; filename="r_sum_; x=1.docx"; filename*=UTF-8''r%C3%A9sum%C3%A9%3B%20x%3D1.docx`,
	} {
		if got := ContentDisposition("attachment", name); got != want {
			t.Errorf("%q:\n got %s\nwant %s", name, got, want)
		}
	}
}

func TestServeFile(t *testing.T) {
	t.Run("an image shown inline, anything else never", func(t *testing.T) {
		for ct, want := range map[string]string{"image/png": "inline", "image/svg+xml": "attachment", "text/html": "attachment", "application/pdf": "attachment"} {
			w := httptest.NewRecorder()
			err := ServeFile(w, httptest.NewRequest("GET", "/", nil), File{Name: "f", ContentType: ct, Size: 2, Inline: true}, strings.NewReader("ab"))
			if err != nil || !strings.HasPrefix(w.Header().Get("Content-Disposition"), want+";") || w.Body.String() != "ab" {
				t.Errorf("%s: %v %q", ct, err, w.Header().Get("Content-Disposition"))
			}
			if w.Header().Get("Content-Security-Policy") != "sandbox; default-src 'none'" || w.Header().Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("%s: headers %v", ct, w.Header())
			}
		}
	})
	t.Run("a file that does not open is an error before any header", func(t *testing.T) {
		w := httptest.NewRecorder()
		broken := errors.New("chunk does not open")
		err := ServeFile(w, httptest.NewRequest("GET", "/", nil), File{Name: "f", ContentType: "text/plain", Size: 10}, iotest.ErrReader(broken))
		if !errors.Is(err, broken) || Aborted(err) || w.Header().Get("Content-Disposition") != "" {
			t.Errorf("err %v, aborted %v", err, Aborted(err))
		}
	})
	t.Run("a failure after the header aborts", func(t *testing.T) {
		w := httptest.NewRecorder()
		broken := errors.New("chunk 3 does not open")
		body := iotest.DataErrReader(strings.NewReader(strings.Repeat("x", 200<<10)))
		err := ServeFile(w, httptest.NewRequest("GET", "/", nil), File{Name: "f", ContentType: "text/plain", Size: 400 << 10},
			readerThenError{body, broken})
		if !Aborted(err) || !errors.Is(err, broken) || w.Code != http.StatusOK {
			t.Errorf("err %v, status %d", err, w.Code)
		}
	})
}

// readerThenError reads r, then fails with err instead of ending.
type readerThenError struct {
	r   interface{ Read([]byte) (int, error) }
	err error
}

func (r readerThenError) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil {
		return n, r.err
	}
	return n, nil
}
