package security

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"strings"
	"testing"
)

// testPicture is a small image with some detail, so that a broken copy
// decodes differently.
func testPicture() image.Image {
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for y := range 48 {
		for x := range 64 {
			img.Set(x, y, color.RGBA{uint8(x * 4), uint8(y * 5), uint8(x ^ y), 255})
		}
	}
	return img
}

// exifTIFF is a little-endian EXIF TIFF structure like a phone writes:
// orientation, camera make and a GPS IFD, with marker text in both.
func exifTIFF(orientation int, camera, gps string) []byte {
	le := binary.LittleEndian
	b := []byte("II*\x00\x08\x00\x00\x00")
	b = le.AppendUint16(b, 3)
	strOff := 8 + 2 + 3*12 + 4
	gpsOff := strOff + len(camera) + 1
	entry := func(tag, typ uint16, count, value uint32) {
		b = le.AppendUint16(b, tag)
		b = le.AppendUint16(b, typ)
		b = le.AppendUint32(b, count)
		b = le.AppendUint32(b, value)
	}
	entry(0x010f, 2, uint32(len(camera)+1), uint32(strOff))
	entry(0x0112, 3, 1, uint32(orientation))
	entry(0x8825, 4, 1, uint32(gpsOff))
	b = le.AppendUint32(b, 0)
	b = append(append(b, camera...), 0)
	b = le.AppendUint16(b, 1)
	b = le.AppendUint16(b, 0x001b) // GPSProcessingMethod, undefined
	b = le.AppendUint16(b, 7)
	b = le.AppendUint32(b, uint32(len(gps)))
	b = le.AppendUint32(b, uint32(gpsOff+2+12+4))
	b = le.AppendUint32(b, 0)
	return append(b, gps...)
}

func jpegSegment(marker byte, data []byte) []byte {
	return append([]byte{0xff, marker, byte((len(data) + 2) >> 8), byte(len(data) + 2)}, data...)
}

func TestStripJPEG(t *testing.T) {
	var plain bytes.Buffer
	if err := jpeg.Encode(&plain, testPicture(), &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	want, err := jpeg.Decode(bytes.NewReader(plain.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	markers := []string{"CameraMarker", "GPSMarker", "XMPMarker", "IPTCMarker", "CommentMarker", "TrailerMarker", "ThumbMarker"}
	icc := append([]byte("ICC_PROFILE\x00\x01\x01"), "colour profile"...)
	var dirty []byte
	dirty = append(dirty, 0xff, 0xd8)
	dirty = append(dirty, jpegSegment(0xe0, []byte("JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"))...)
	dirty = append(dirty, jpegSegment(0xe1, append([]byte("Exif\x00\x00"), exifTIFF(6, "CameraMarker", "GPSMarker")...))...)
	dirty = append(dirty, jpegSegment(0xe1, []byte("http://ns.adobe.com/xap/1.0/\x00<x:xmpmeta>XMPMarker</x:xmpmeta>"))...)
	dirty = append(dirty, jpegSegment(0xe0, []byte("JFXX\x00\x10ThumbMarker"))...)
	dirty = append(dirty, jpegSegment(0xe2, icc)...)
	dirty = append(dirty, jpegSegment(0xed, []byte("Photoshop 3.0\x00IPTCMarker"))...)
	dirty = append(dirty, jpegSegment(0xfe, []byte("CommentMarker"))...)
	dirty = append(dirty, plain.Bytes()[2:]...)
	dirty = append(dirty, "TrailerMarker and a second picture"...)

	var out bytes.Buffer
	removed, err := StripMetadata("jpeg", bytes.NewReader(dirty), &out, nil)
	if err != nil || !removed {
		t.Fatalf("StripMetadata: removed %v, %v", removed, err)
	}
	for _, m := range markers {
		if bytes.Contains(out.Bytes(), []byte(m)) {
			t.Errorf("%s survived", m)
		}
	}
	if !bytes.Contains(out.Bytes(), icc) || !bytes.Contains(out.Bytes(), []byte("JFIF\x00")) {
		t.Error("the colour profile or JFIF header went")
	}
	i := bytes.Index(out.Bytes(), []byte("Exif\x00\x00"))
	if i < 0 || exifOrientation(out.Bytes()[i:]) != 6 {
		t.Errorf("the orientation was not kept (EXIF at %d)", i)
	}
	got, err := jpeg.Decode(bytes.NewReader(out.Bytes()))
	if err != nil {
		t.Fatalf("the stripped JPEG does not decode: %v", err)
	}
	if !samePixels(got, want) {
		t.Error("the stripped JPEG shows another picture")
	}

	t.Run("a clean photo passes unchanged", func(t *testing.T) {
		var out bytes.Buffer
		removed, err := StripMetadata("jpeg", bytes.NewReader(plain.Bytes()), &out, nil)
		if err != nil || removed || !bytes.Equal(out.Bytes(), plain.Bytes()) {
			t.Errorf("removed %v, err %v, identical %v", removed, err, bytes.Equal(out.Bytes(), plain.Bytes()))
		}
	})
	t.Run("a progressive scan with stuffed bytes and restarts", func(t *testing.T) {
		// Restart markers and 0xFF00 in the scan must pass through.
		scan := []byte{0x12, 0xff, 0x00, 0x34, 0xff, 0xd0, 0x56, 0xff, 0xff, 0xd9}
		in := append([]byte{0xff, 0xd8}, jpegSegment(0xda, []byte{1, 1, 0, 0, 0x3f, 0})...)
		in = append(in, scan...)
		var out bytes.Buffer
		if _, err := StripMetadata("jpeg", bytes.NewReader(in), &out, nil); err != nil {
			t.Fatal(err)
		}
		if want := append(in[:len(in)-3:len(in)-3], 0xff, 0xd9); !bytes.Equal(out.Bytes(), want) {
			t.Errorf("got % x\nwant % x", out.Bytes(), want)
		}
	})
	for name, in := range map[string][]byte{
		"cut short":       dirty[:len(plain.Bytes())/2],
		"not a JPEG":      []byte("GIF89a"),
		"a bad length":    {0xff, 0xd8, 0xff, 0xe1, 0x00, 0x01},
		"junk for marker": {0xff, 0xd8, 0x12, 0x34},
	} {
		t.Run(name, func(t *testing.T) {
			var ref *FileRefusal
			if _, err := StripMetadata("jpeg", bytes.NewReader(in), &bytes.Buffer{}, nil); !errors.As(err, &ref) {
				t.Errorf("got %v, want a refusal", err)
			}
		})
	}
}

func samePixels(a, b image.Image) bool {
	if a.Bounds() != b.Bounds() {
		return false
	}
	for y := a.Bounds().Min.Y; y < a.Bounds().Max.Y; y++ {
		for x := a.Bounds().Min.X; x < a.Bounds().Max.X; x++ {
			r1, g1, b1, a1 := a.At(x, y).RGBA()
			r2, g2, b2, a2 := b.At(x, y).RGBA()
			if r1 != r2 || g1 != g2 || b1 != b2 || a1 != a2 {
				return false
			}
		}
	}
	return true
}

func pngChunk(typ string, data []byte) []byte {
	c := binary.BigEndian.AppendUint32(nil, uint32(len(data)))
	c = append(append(c, typ...), data...)
	return binary.BigEndian.AppendUint32(c, crc32.ChecksumIEEE(c[4:]))
}

func TestStripPNG(t *testing.T) {
	var plain bytes.Buffer
	if err := png.Encode(&plain, testPicture()); err != nil {
		t.Fatal(err)
	}
	p := plain.Bytes()
	ihdrEnd := 8 + 8 + 13 + 4
	var dirty []byte
	dirty = append(dirty, p[:ihdrEnd]...)
	dirty = append(dirty, pngChunk("tEXt", []byte("Author\x00TextMarker"))...)
	dirty = append(dirty, pngChunk("iTXt", []byte("XML:com.adobe.xmp\x00\x00\x00\x00\x00ITXTMarker"))...)
	dirty = append(dirty, pngChunk("zTXt", []byte("Comment\x00\x00ZTXTMarker"))...)
	dirty = append(dirty, pngChunk("tIME", []byte{0x07, 0xea, 1, 2, 3, 4, 5})...)
	dirty = append(dirty, pngChunk("eXIf", exifTIFF(8, "CameraMarker", "GPSMarker"))...)
	dirty = append(dirty, p[ihdrEnd:]...)
	dirty = append(dirty, "TrailerMarker"...)

	var out bytes.Buffer
	removed, err := StripMetadata("png", bytes.NewReader(dirty), &out, nil)
	if err != nil || !removed {
		t.Fatalf("removed %v, %v", removed, err)
	}
	for _, m := range []string{"TextMarker", "ITXTMarker", "ZTXTMarker", "tIME", "CameraMarker", "GPSMarker", "TrailerMarker"} {
		if bytes.Contains(out.Bytes(), []byte(m)) {
			t.Errorf("%s survived", m)
		}
	}
	i := bytes.Index(out.Bytes(), []byte("eXIf"))
	if i < 0 || exifOrientation(out.Bytes()[i+4:]) != 8 {
		t.Error("the orientation was not kept")
	}
	got, err := png.Decode(bytes.NewReader(out.Bytes())) // checks every CRC
	if err != nil {
		t.Fatalf("the stripped PNG does not decode: %v", err)
	}
	if !samePixels(got, testPicture()) {
		t.Error("the stripped PNG shows another picture")
	}

	t.Run("a clean image passes unchanged", func(t *testing.T) {
		var out bytes.Buffer
		removed, err := StripMetadata("png", bytes.NewReader(p), &out, nil)
		if err != nil || removed || !bytes.Equal(out.Bytes(), p) {
			t.Errorf("removed %v, err %v", removed, err)
		}
	})
	for name, in := range map[string][]byte{
		"cut short":         p[:len(p)-6],
		"no IHDR first":     append([]byte("\x89PNG\r\n\x1a\n"), pngChunk("tEXt", []byte("a\x00b"))...),
		"a bad chunk type":  append(append([]byte(nil), p[:ihdrEnd]...), pngChunk("t3Xt", nil)...),
		"a huge chunk size": append(append([]byte(nil), p[:ihdrEnd]...), 0xff, 0xff, 0xff, 0xff, 'I', 'D', 'A', 'T'),
	} {
		t.Run(name, func(t *testing.T) {
			var ref *FileRefusal
			if _, err := StripMetadata("png", bytes.NewReader(in), &bytes.Buffer{}, nil); !errors.As(err, &ref) {
				t.Errorf("got %v, want a refusal", err)
			}
		})
	}
}

// tinyWebP is a 1×1 lossless WebP.
const tinyWebP = "UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA=="

func riffChunk(fourcc string, data []byte) []byte {
	c := append([]byte(fourcc), binary.LittleEndian.AppendUint32(nil, uint32(len(data)))...)
	c = append(c, data...)
	if len(data)%2 == 1 {
		c = append(c, 0)
	}
	return c
}

func TestStripWebP(t *testing.T) {
	simple, _ := base64.StdEncoding.DecodeString(tinyWebP)
	vp8l := simple[12:]
	build := func(exifOrient int) []byte {
		body := []byte("WEBP")
		body = append(body, riffChunk("VP8X", []byte{0x08 | 0x04 | 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0})...)
		body = append(body, vp8l...)
		body = append(body, riffChunk("EXIF", exifTIFF(exifOrient, "CameraMarker", "GPSMarker"))...)
		body = append(body, riffChunk("XMP ", []byte("<x:xmpmeta>XMPMarker</x:xmpmeta>"))...)
		return append(append([]byte("RIFF"), binary.LittleEndian.AppendUint32(nil, uint32(len(body)))...), body...)
	}
	for _, orient := range []int{1, 6} {
		in := append(build(orient), "TrailerMarker"...)
		out := &patchable{}
		removed, err := StripMetadata("webp", bytes.NewReader(in), out, out.patch)
		if err != nil || !removed {
			t.Fatalf("orientation %d: removed %v, %v", orient, removed, err)
		}
		b := out.Bytes()
		for _, m := range []string{"CameraMarker", "GPSMarker", "XMPMarker", "TrailerMarker"} {
			if bytes.Contains(b, []byte(m)) {
				t.Errorf("orientation %d: %s survived", orient, m)
			}
		}
		if got := binary.LittleEndian.Uint32(b[4:]); int(got) != len(b)-8 {
			t.Errorf("orientation %d: RIFF length %d, file holds %d", orient, got, len(b)-8)
		}
		if !bytes.Contains(b, vp8l) {
			t.Errorf("orientation %d: the image data changed", orient)
		}
		flags := b[20]
		i := bytes.Index(b, []byte("EXIF"))
		switch orient {
		case 1:
			if i >= 0 || flags != 0x10 {
				t.Errorf("no rotation: EXIF at %d, flags %#x, want none and 0x10", i, flags)
			}
		case 6:
			if i < 0 || exifOrientation(b[i+8:]) != 6 || flags != 0x18 {
				t.Errorf("rotation: EXIF at %d, flags %#x, want the orientation kept and 0x18", i, flags)
			}
		}
	}
	t.Run("a simple WebP passes unchanged", func(t *testing.T) {
		out := &patchable{}
		removed, err := StripMetadata("webp", bytes.NewReader(simple), out, out.patch)
		if err != nil || removed || !bytes.Equal(out.Bytes(), simple) {
			t.Errorf("removed %v, err %v", removed, err)
		}
	})
	t.Run("a chunk longer than the file", func(t *testing.T) {
		bad := append([]byte(nil), simple...)
		binary.LittleEndian.PutUint32(bad[16:], 1000)
		var ref *FileRefusal
		if _, err := StripMetadata("webp", bytes.NewReader(bad), &patchable{}, nil); !errors.As(err, &ref) {
			t.Errorf("got %v, want a refusal", err)
		}
	})
}

// patchable is a buffer that takes PatchHead-like corrections.
type patchable struct{ bytes.Buffer }

func (p *patchable) patch(off int64, b []byte) error {
	copy(p.Bytes()[off:], b)
	return nil
}

func TestStripOtherKinds(t *testing.T) {
	in := "GIF89a whatever follows"
	var out strings.Builder
	removed, err := StripMetadata("gif", strings.NewReader(in), &out, nil)
	if err != nil || removed || out.String() != in {
		t.Errorf("gif: removed %v, err %v, got %q", removed, err, out.String())
	}
}
