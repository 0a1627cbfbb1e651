package security

import (
	"bufio"
	"encoding/binary"
	"errors"
)

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
