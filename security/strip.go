package security

import (
	"bufio"
	"encoding/binary"
	"errors"
	"hash/crc32"
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

// jpeg strips a JPEG's metadata segments. After a start-of-scan the
// entropy-coded data is copied up to the next marker.
func (s *stripper) jpeg() error {
	soi, err := s.readN(2)
	if err != nil || soi[0] != 0xff || soi[1] != 0xd8 {
		return errBadImage
	}
	if err := s.write(0xff, 0xd8); err != nil {
		return err
	}
	var m byte
	for {
		if m == 0 {
			if m, err = s.jpegMarker(); err != nil {
				return err
			}
		}
		switch {
		case m == 0xd9: // end of image
			s.trailing()
			return s.write(0xff, 0xd9)
		case m >= 0xd0 && m <= 0xd7, m == 0x01:
			if err := s.write(0xff, m); err != nil {
				return err
			}
			m = 0
			continue
		}
		if m, err = s.jpegSegment(m); err != nil {
			return err
		}
	}
}

// jpegMarker reads the next marker: 0xFF, any fill bytes, the code.
func (s *stripper) jpegMarker() (byte, error) {
	b, err := s.br.ReadByte()
	if err != nil {
		return 0, err
	}
	if b != 0xff {
		return 0, errBadImage
	}
	for b == 0xff {
		if b, err = s.br.ReadByte(); err != nil {
			return 0, err
		}
	}
	if b == 0 {
		return 0, errBadImage
	}
	return b, nil
}

// jpegSegment keeps, drops or replaces the segment of marker m. After a
// start-of-scan it returns the marker that ends the scan data; otherwise 0.
func (s *stripper) jpegSegment(m byte) (byte, error) {
	lb, err := s.readN(2)
	if err != nil {
		return 0, err
	}
	n := int(binary.BigEndian.Uint16(lb)) - 2
	if n < 0 {
		return 0, errBadImage
	}
	id, _ := s.br.Peek(min(n, 14))
	switch jpegKeep(m, id) {
	case keepSegment:
		if err := s.write(0xff, m, lb[0], lb[1]); err != nil {
			return 0, err
		}
		if err := s.copyN(int64(n)); err != nil {
			return 0, err
		}
		if m == 0xda {
			return s.jpegScan()
		}
		return 0, nil
	case exifSegment:
		data, err := s.readN(n)
		if err != nil {
			return 0, err
		}
		s.removed = true
		if o := exifOrientation(data[6:]); o > 1 {
			seg := append([]byte("Exif\x00\x00"), minimalTIFF(o)...)
			if err := s.write(0xff, 0xe1, byte((len(seg)+2)>>8), byte(len(seg)+2)); err != nil {
				return 0, err
			}
			return 0, s.write(seg...)
		}
		return 0, nil
	}
	s.removed = true
	return 0, s.discard(int64(n))
}

const (
	dropSegment = iota
	keepSegment
	exifSegment
)

// jpegKeep decides a segment by its marker and the start of its data.
func jpegKeep(m byte, id []byte) int {
	has := func(p string) bool { return len(id) >= len(p) && string(id[:len(p)]) == p }
	switch {
	case m == 0xe0:
		if has("JFIF\x00") {
			return keepSegment
		}
	case m == 0xe1:
		if has("Exif\x00\x00") {
			return exifSegment
		}
	case m == 0xe2:
		if has("ICC_PROFILE\x00") {
			return keepSegment
		}
	case m == 0xee:
		if has("Adobe") {
			return keepSegment
		}
	case m > 0xe0 && m <= 0xef, m == 0xfe:
	default:
		return keepSegment
	}
	return dropSegment
}

// jpegScan copies entropy-coded data (with its stuffed zero bytes and
// restart markers) and returns the marker that ends it.
func (s *stripper) jpegScan() (byte, error) {
	for {
		chunk, err := s.br.ReadSlice(0xff)
		if errors.Is(err, bufio.ErrBufferFull) {
			if err := s.write(chunk...); err != nil {
				return 0, err
			}
			continue
		}
		if err != nil {
			return 0, err
		}
		if err := s.write(chunk[:len(chunk)-1]...); err != nil {
			return 0, err
		}
		b, err := s.br.ReadByte()
		if err != nil {
			return 0, err
		}
		switch {
		case b == 0x00, b >= 0xd0 && b <= 0xd7:
			if err := s.write(0xff, b); err != nil {
				return 0, err
			}
		case b == 0xff: // fill before a marker
			if err := s.br.UnreadByte(); err != nil {
				return 0, err
			}
		default:
			return b, nil
		}
	}
}

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

// png strips a PNG's text, time and EXIF chunks.
func (s *stripper) png() error {
	sig, err := s.readN(8)
	if err != nil || string(sig) != "\x89PNG\r\n\x1a\n" {
		return errBadImage
	}
	if err := s.write(sig...); err != nil {
		return err
	}
	for first := true; ; first = false {
		hdr, err := s.readN(8)
		if err != nil {
			return err
		}
		n := binary.BigEndian.Uint32(hdr)
		typ := string(hdr[4:])
		if n > 1<<31-1 || !pngType(typ) || first && typ != "IHDR" {
			return errBadImage
		}
		switch typ {
		case "tEXt", "iTXt", "zTXt", "tIME":
			s.removed = true
			err = s.discard(int64(n) + 4)
		case "eXIf":
			s.removed = true
			err = s.pngExif(n)
		default:
			if err = s.write(hdr...); err == nil {
				err = s.copyN(int64(n) + 4)
			}
		}
		if err != nil {
			return err
		}
		if typ == "IEND" {
			s.trailing()
			return nil
		}
	}
}

func pngType(t string) bool {
	for i := range 4 {
		if c := t[i] | 0x20; c < 'a' || c > 'z' {
			return false
		}
	}
	return true
}

// pngExif replaces an eXIf chunk of n bytes by one holding only the
// orientation, when it has one that turns the picture.
func (s *stripper) pngExif(n uint32) error {
	if n > maxMetaChunk {
		return s.discard(int64(n) + 4)
	}
	data, err := s.readN(int(n) + 4)
	if err != nil {
		return err
	}
	o := exifOrientation(data[:n])
	if o <= 1 {
		return nil
	}
	chunk := append([]byte{0, 0, 0, 26}, "eXIf"...)
	chunk = append(chunk, minimalTIFF(o)...)
	chunk = binary.BigEndian.AppendUint32(chunk, crc32.ChecksumIEEE(chunk[4:]))
	return s.write(chunk...)
}

// webp strips a WebP's EXIF and XMP chunks and corrects its header.
func (s *stripper) webp() error {
	hdr, err := s.readN(12)
	if err != nil || string(hdr[:4]) != "RIFF" || string(hdr[8:]) != "WEBP" {
		return errBadImage
	}
	size := int64(binary.LittleEndian.Uint32(hdr[4:]))
	if size < 4 || size&1 != 0 {
		return errBadImage
	}
	if err := s.write(hdr...); err != nil {
		return err
	}
	var delta int64      // bytes added minus bytes removed
	flagsAt := int64(-1) // where the VP8X flags byte went
	exifKept := false
	for left := size - 4; left > 0; {
		ch, err := s.readN(8)
		if err != nil {
			return err
		}
		n := int64(binary.LittleEndian.Uint32(ch[4:]))
		padded := n + n&1
		if 8+padded > left {
			return errBadImage
		}
		left -= 8 + padded
		switch string(ch[:4]) {
		case "XMP ":
			s.removed, delta = true, delta-8-padded
			err = s.discard(padded)
		case "EXIF":
			s.removed = true
			var added int64
			added, err = s.webpExif(padded)
			delta += added - 8 - padded
			exifKept = added > 0
		default:
			if string(ch[:4]) == "VP8X" && flagsAt < 0 && n > 0 {
				flagsAt = s.w.n + 8
				var flags []byte
				if flags, err = s.br.Peek(1); err != nil {
					return err
				}
				s.vp8xFlags = flags[0]
			}
			if err = s.write(ch...); err == nil {
				err = s.copyN(padded)
			}
		}
		if err != nil {
			return err
		}
	}
	s.trailing()
	return s.webpPatch(size+delta, flagsAt, exifKept)
}

// webpExif replaces an EXIF chunk by one holding only the orientation when
// it turns the picture, and returns how many bytes it wrote.
func (s *stripper) webpExif(padded int64) (int64, error) {
	if padded > maxMetaChunk {
		return 0, s.discard(padded)
	}
	data, err := s.readN(int(padded))
	if err != nil {
		return 0, err
	}
	o := exifOrientation(data)
	if o <= 1 {
		return 0, nil
	}
	chunk := append([]byte("EXIF"), 26, 0, 0, 0)
	chunk = append(chunk, minimalTIFF(o)...)
	return int64(len(chunk)), s.write(chunk...)
}

// webpPatch writes the new RIFF length and clears the VP8X flags of the
// metadata that went (EXIF 0x08 unless an orientation was kept, XMP 0x04).
func (s *stripper) webpPatch(size, flagsAt int64, exifKept bool) error {
	if !s.removed {
		return nil
	}
	if err := s.patch(4, binary.LittleEndian.AppendUint32(nil, uint32(size))); err != nil {
		return err
	}
	if flagsAt < 0 {
		return nil
	}
	drop := byte(0x04)
	if !exifKept {
		drop |= 0x08
	}
	return s.patch(flagsAt, []byte{s.vp8xFlags &^ drop})
}
