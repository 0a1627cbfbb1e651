package web

import (
	"bytes"
	"encoding/binary"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"

	"golang.org/x/image/draw"
	"golang.org/x/image/webp"
)

// Logo limits: the upload's size in bytes and in pixels (checked from the
// header before anything is decoded), and the box the stored logo fits in.
const (
	maxLogoBytes  = 2 << 20
	maxLogoSide   = 4096
	maxLogoPixels = 12_000_000
	logoMaxWidth  = 480
	logoMaxHeight = 120
	faviconSide   = 32
)

// errLogo is an upload the logo field refuses; its text is for the owner.
type errLogo string

func (e errLogo) Error() string { return string(e) }

// decoders are the formats a logo may come in, by their magic bytes:
// PNG, JPEG and WebP. Anything else (SVG, GIF, a polyglot that only
// pretends) is refused.
var decoders = []struct {
	at     int
	sig    string
	decode func([]byte) (image.Image, error)
	config func([]byte) (image.Config, error)
}{
	{0, "\x89PNG\r\n\x1a\n", decodeWith(png.Decode), configWith(png.DecodeConfig)},
	{0, "\xff\xd8\xff", decodeWith(jpeg.Decode), configWith(jpeg.DecodeConfig)},
	{8, "WEBP", decodeWith(webp.Decode), configWith(webp.DecodeConfig)},
}

func decodeWith(f func(r io.Reader) (image.Image, error)) func([]byte) (image.Image, error) {
	return func(b []byte) (image.Image, error) { return f(bytes.NewReader(b)) }
}

func configWith(f func(r io.Reader) (image.Config, error)) func([]byte) (image.Config, error) {
	return func(b []byte) (image.Config, error) { return f(bytes.NewReader(b)) }
}

// processLogo decodes an uploaded logo and re-encodes it as PNG, scaled to
// fit logoMaxWidth × logoMaxHeight, with a square favicon.ico made from
// it. Only the pixels survive: no metadata (EXIF, GPS, comments), no
// trailing data, nothing of a polyglot.
func processLogo(data []byte) (logo, favicon []byte, err error) {
	if len(data) == 0 {
		return nil, nil, errLogo("Choose an image file.")
	}
	if len(data) > maxLogoBytes {
		return nil, nil, errLogo("This file is too large: a logo may have at most 2 MB.")
	}
	for _, d := range decoders {
		if len(data) < d.at+len(d.sig) || string(data[d.at:d.at+len(d.sig)]) != d.sig {
			continue
		}
		cfg, err := d.config(data)
		if err != nil {
			return nil, nil, errLogo("This image cannot be read.")
		}
		if cfg.Width < 1 || cfg.Height < 1 || cfg.Width > maxLogoSide || cfg.Height > maxLogoSide || cfg.Width*cfg.Height > maxLogoPixels {
			return nil, nil, errLogo("This image is too large: a logo may have at most 4096 pixels a side and 12 million in all.")
		}
		img, err := d.decode(data)
		if err != nil {
			return nil, nil, errLogo("This image cannot be read.")
		}
		return encodeLogo(img)
	}
	return nil, nil, errLogo("Upload a PNG, JPEG or WebP image.")
}

// encodeLogo scales img into the logo's box and the favicon's square.
func encodeLogo(img image.Image) (logo, favicon []byte, err error) {
	b := img.Bounds()
	w, h := fit(b.Dx(), b.Dy(), logoMaxWidth, logoMaxHeight)
	dst := image.NewNRGBA(image.Rect(0, 0, w, h))
	draw.CatmullRom.Scale(dst, dst.Bounds(), img, b, draw.Src, nil)
	if logo, err = encodePNG(dst); err != nil {
		return nil, nil, err
	}
	fw, fh := fit(b.Dx(), b.Dy(), faviconSide, faviconSide)
	icon := image.NewNRGBA(image.Rect(0, 0, faviconSide, faviconSide))
	off := image.Pt((faviconSide-fw)/2, (faviconSide-fh)/2)
	draw.CatmullRom.Scale(icon, image.Rectangle{Min: off, Max: off.Add(image.Pt(fw, fh))}, img, b, draw.Src, nil)
	ico, err := encodePNG(icon)
	if err != nil {
		return nil, nil, err
	}
	return logo, icoOf(ico, faviconSide), nil
}

// fit scales w × h down (never up) to fit in maxW × maxH, keeping the
// aspect ratio; at least one pixel a side.
func fit(w, h, maxW, maxH int) (int, int) {
	if w > maxW {
		w, h = maxW, max(1, h*maxW/w)
	}
	if h > maxH {
		w, h = max(1, w*maxH/h), maxH
	}
	return w, h
}

func encodePNG(img image.Image) ([]byte, error) {
	var buf bytes.Buffer
	enc := png.Encoder{CompressionLevel: png.BestCompression}
	if err := enc.Encode(&buf, img); err != nil {
		return nil, errors.Join(errors.New("web: encode logo"), err)
	}
	return buf.Bytes(), nil
}

// icoOf wraps one square PNG of side pixels in an ICO container (PNG
// entries are valid in ICO since Windows Vista and in every browser).
func icoOf(pngData []byte, side int) []byte {
	var buf bytes.Buffer
	le := binary.LittleEndian
	buf.Write(le.AppendUint16(le.AppendUint16(le.AppendUint16(nil, 0), 1), 1)) // reserved, type icon, one image
	buf.Write([]byte{byte(side), byte(side), 0, 0})                            // width, height, no palette, reserved
	buf.Write(le.AppendUint16(le.AppendUint16(nil, 1), 32))                    // planes, bits per pixel
	buf.Write(le.AppendUint32(le.AppendUint32(nil, uint32(len(pngData))), 6+16))
	buf.Write(pngData)
	return buf.Bytes()
}

// defaultFavicon is the favicon without a logo: a rounded square in the
// accent colour, so that /favicon.ico never answers 404.
func defaultFavicon(accent rgb) ([]byte, error) {
	img := image.NewNRGBA(image.Rect(0, 0, faviconSide, faviconSide))
	c := color.NRGBA{accent.r, accent.g, accent.b, 255}
	const r = 6 // corner radius
	for y := range faviconSide {
		for x := range faviconSide {
			dx, dy := max(r-x, x-(faviconSide-1-r), 0), max(r-y, y-(faviconSide-1-r), 0)
			if dx*dx+dy*dy <= r*r {
				img.SetNRGBA(x, y, c)
			}
		}
	}
	p, err := encodePNG(img)
	if err != nil {
		return nil, err
	}
	return icoOf(p, faviconSide), nil
}
