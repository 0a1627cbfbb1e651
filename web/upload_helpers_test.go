package web

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"strings"
	"testing"

	"safedesk/store/storetest"
)

// formPart is one part of a multipart form: a text field, or a file of
// the attachments field.
type formPart struct {
	field  string // the form field
	name   string // the file name, for a file part
	noName bool   // a file part without any filename parameter
	data   string
	file   bool
}

func textField(name, value string) formPart { return formPart{field: name, data: value} }

func attach(name string, data []byte) formPart {
	return formPart{field: "attachments", name: name, data: string(data), file: true}
}

// multipartBody writes the parts in order, as a browser sends a form.
func multipartBody(t testing.TB, parts ...formPart) (*bytes.Buffer, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, p := range parts {
		h := textproto.MIMEHeader{}
		switch {
		case p.file && p.noName:
			h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q`, p.field))
			h.Set("Content-Type", "application/octet-stream")
		case p.file:
			// Quoted as browsers quote: only " and newlines are escaped.
			h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q; filename="%s"`, p.field, strings.ReplaceAll(p.name, `"`, "%22")))
			h.Set("Content-Type", "application/octet-stream")
		default:
			h.Set("Content-Disposition", fmt.Sprintf(`form-data; name=%q`, p.field))
		}
		w, err := mw.CreatePart(h)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, p.data)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return &buf, mw.FormDataContentType()
}

// postParts posts a multipart form.
func (c *client) postParts(path string, parts ...formPart) response {
	c.env.t.Helper()
	body, ct := multipartBody(c.env.t, parts...)
	req, _ := http.NewRequest("POST", c.env.http.URL+path, body)
	req.Header.Set("Content-Type", ct)
	return c.do(req)
}

// photoWithGPS is a JPEG as a phone writes it: EXIF with the camera,
// orientation 6 (turned) and a GPS position, each holding marker.
func photoWithGPS(t testing.TB, marker string) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 48, 32))
	for y := range 32 {
		for x := range 48 {
			img.Set(x, y, color.RGBA{uint8(x * 5), uint8(y * 7), 90, 255})
		}
	}
	var plain bytes.Buffer
	if err := jpeg.Encode(&plain, img, nil); err != nil {
		t.Fatal(err)
	}
	le := binary.LittleEndian
	camera, gps := "Camera "+marker, "GPS "+marker
	tiff := []byte("II*\x00\x08\x00\x00\x00")
	tiff = le.AppendUint16(tiff, 3)
	strOff, gpsOff := 8+2+3*12+4, 8+2+3*12+4+len(camera)+1
	for _, e := range [][3]uint32{{0x010f<<16 | 2, uint32(len(camera) + 1), uint32(strOff)}, {0x0112<<16 | 3, 1, 6}, {0x8825<<16 | 4, 1, uint32(gpsOff)}} {
		tiff = le.AppendUint16(tiff, uint16(e[0]>>16))
		tiff = le.AppendUint16(tiff, uint16(e[0]))
		tiff = le.AppendUint32(tiff, e[1])
		tiff = le.AppendUint32(tiff, e[2])
	}
	tiff = append(le.AppendUint32(tiff, 0), camera+"\x00"...)
	tiff = le.AppendUint16(tiff, 1)
	tiff = le.AppendUint16(tiff, 0x001b)
	tiff = le.AppendUint16(tiff, 7)
	tiff = le.AppendUint32(tiff, uint32(len(gps)))
	tiff = le.AppendUint32(tiff, uint32(gpsOff+2+12+4))
	tiff = append(le.AppendUint32(tiff, 0), gps...)
	app1 := append([]byte("Exif\x00\x00"), tiff...)
	out := []byte{0xff, 0xd8, 0xff, 0xe1, byte((len(app1) + 2) >> 8), byte(len(app1) + 2)}
	out = append(out, app1...)
	return append(out, plain.Bytes()[2:]...)
}

// attachmentRows counts the files in the database, staged or not, and
// their chunks.
func (e *testEnv) attachmentRows() int {
	e.t.Helper()
	var n int
	if err := storetest.Raw(e.t, e.db).QueryRow("SELECT (SELECT COUNT(*) FROM attachments) + (SELECT COUNT(*) FROM attachment_chunks)").Scan(&n); err != nil {
		e.t.Fatal(err)
	}
	return n
}

// withoutRequestID blanks the request id an error page quotes, so that two
// answers can be compared byte for byte.
func withoutRequestID(r response) string {
	return strings.ReplaceAll(r.body, r.header.Get("X-Request-Id"), "ID")
}
