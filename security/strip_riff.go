package security

// PNG and WebP: chunked formats, stripped chunk by chunk.

import (
	"encoding/binary"
	"hash/crc32"
)

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
