package security

import (
	"bufio"
	"encoding/binary"
	"errors"
	"io"
)

// StripMetadata copies an image of kind (as SniffFile names it) from src to
// dst without the metadata that gives away where and with what a photo was
// taken, in one pass with bounded memory:
//
//   - JPEG: every APPn segment but JFIF, the ICC colour profile and Adobe's
//     colour marker (so EXIF with GPS, XMP, IPTC, maker notes, embedded
//     thumbnails and multi-picture data go), comments, and anything after
//     the end of the image;
//   - PNG: tEXt, iTXt, zTXt, eXIf and tIME chunks, and anything after IEND;
//   - WebP: EXIF and XMP chunks (the VP8X flags and the RIFF length are
//     corrected through patch, which must accept offsets in the file's
//     first 30 bytes), and anything after the RIFF container.
//
// The photo keeps its orientation: when the EXIF said to rotate or mirror
// it, a minimal EXIF holding only the Orientation tag takes its place.
// Other kinds (GIF, documents) are copied unchanged. It reports whether
// anything was removed. An image that does not parse is a *FileRefusal;
// errors reading src are returned as they are.
func StripMetadata(kind string, src io.Reader, dst io.Writer, patch func(off int64, b []byte) error) (removed bool, err error) {
	sr := &srcReader{r: src}
	s := &stripper{br: bufio.NewReaderSize(sr, 32<<10), w: &countWriter{w: dst}, patch: patch}
	switch kind {
	case "jpeg":
		err = s.jpeg()
	case "png":
		err = s.png()
	case "webp":
		err = s.webp()
	default:
		_, err = io.Copy(dst, src)
		return false, err
	}
	if err != nil {
		var ref *FileRefusal
		switch {
		case sr.err != nil:
			return false, sr.err // the upload failed, not the image
		case errors.As(err, &ref):
		case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
			err = refuse("the image is cut short")
		case s.w.err != nil:
			return false, err // the writer failed
		default:
			err = refuse("it is not a valid image")
		}
		return false, err
	}
	return s.removed, nil
}

// srcReader remembers a failure of the source other than its end, so that
// a broken upload is not mistaken for a broken image.
type srcReader struct {
	r   io.Reader
	err error
}

func (s *srcReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err != nil && err != io.EOF {
		s.err = err
	}
	return n, err
}

// countWriter counts what it writes, for offsets to patch.
type countWriter struct {
	w   io.Writer
	n   int64
	err error
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	if err != nil {
		c.err = err
	}
	return n, err
}

type stripper struct {
	br      *bufio.Reader
	w       *countWriter
	patch   func(off int64, b []byte) error
	removed bool

	vp8xFlags byte // a WebP's feature flags as they were
}

func (s *stripper) write(b ...byte) error {
	_, err := s.w.Write(b)
	return err
}

func (s *stripper) copyN(n int64) error {
	_, err := io.CopyN(s.w, s.br, n)
	return err
}

func (s *stripper) discard(n int64) error {
	for n > 0 {
		k := int(min(n, 1<<30))
		if _, err := s.br.Discard(k); err != nil {
			return err
		}
		n -= int64(k)
	}
	return nil
}

func (s *stripper) readN(n int) ([]byte, error) {
	b := make([]byte, n)
	_, err := io.ReadFull(s.br, b)
	return b, err
}

// trailing notes data after the image's end, which is dropped.
func (s *stripper) trailing() {
	if _, err := s.br.Peek(1); err == nil {
		s.removed = true
	}
}

var errBadImage = refuse("it is not a valid image")

// maxMetaChunk bounds the metadata read whole to find the orientation.
const maxMetaChunk = 64 << 10

// exifOrientation reads the Orientation tag (1–8) from the first IFD of
// EXIF's TIFF structure; 0 when it is absent or unreadable.
func exifOrientation(tiff []byte) int {
	if len(tiff) >= 6 && string(tiff[:6]) == "Exif\x00\x00" {
		tiff = tiff[6:]
	}
	if len(tiff) < 8 {
		return 0
	}
	var bo binary.ByteOrder
	switch string(tiff[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 0
	}
	off := int(bo.Uint32(tiff[4:]))
	if off < 8 || off+2 > len(tiff) {
		return 0
	}
	count := int(bo.Uint16(tiff[off:]))
	for i := range count {
		e := off + 2 + 12*i
		if e+12 > len(tiff) {
			return 0
		}
		if bo.Uint16(tiff[e:]) == 0x0112 && bo.Uint16(tiff[e+2:]) == 3 {
			if o := int(bo.Uint16(tiff[e+8:])); o >= 1 && o <= 8 {
				return o
			}
			return 0
		}
	}
	return 0
}

// minimalTIFF is an EXIF TIFF structure with one tag: Orientation.
func minimalTIFF(o int) []byte {
	return []byte{'M', 'M', 0, 42, 0, 0, 0, 8, // header, first IFD at 8
		0, 1, // one entry
		0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, byte(o), 0, 0, // Orientation, SHORT, 1 value
		0, 0, 0, 0} // no next IFD
}
