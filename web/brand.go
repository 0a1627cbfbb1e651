package web

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"time"

	"safedesk/store"
	"safedesk/templates"
)

// BrandOptions are the branding flags, for automation; the business's
// name is --product. The panel's settings win: a value saved there
// replaces the flag's, and a field left empty there falls back to it.
type BrandOptions struct {
	Color string // --brand-color
	Site  string // --brand-site
	Hours string // --support-hours
	Logo  string // --logo: a PNG, JPEG or WebP file, used until one is uploaded
}

// Flags adds the branding flags.
func (o *BrandOptions) Flags(fs *flag.FlagSet) {
	fs.StringVar(&o.Color, "brand-color", o.Color, "brand colour as #rrggbb; text on it is chosen and the colour adjusted to keep WCAG AA contrast (the admin settings win)")
	fs.StringVar(&o.Site, "brand-site", o.Site, "the business's own website, linked from the help centre and its emails (the admin settings win)")
	fs.StringVar(&o.Hours, "support-hours", o.Hours, "support hours as customers should read them, e.g. \"Mon–Fri 9:00–17:00 CET\" (the admin settings win)")
	fs.StringVar(&o.Logo, "logo", o.Logo, "logo file (PNG, JPEG or WebP, at most 2 MB), until one is uploaded in the admin settings")
}

// Validate checks the colour and the website, and that the logo file is a
// usable image.
func (o *BrandOptions) Validate() error {
	b := store.Branding{Color: o.Color, Site: o.Site, Hours: o.Hours}.Normalize()
	var verr *store.ValidationError
	if err := b.Validate(); errors.As(err, &verr) {
		for _, f := range []struct{ field, flag string }{{"color", "--brand-color"}, {"site", "--brand-site"}, {"hours", "--support-hours"}} {
			if msg := verr.Fields[f.field]; msg != "" {
				return fmt.Errorf("%s: %s", f.flag, msg)
			}
		}
	}
	o.Color, o.Site, o.Hours = b.Color, b.Site, b.Hours
	if o.Logo != "" {
		if _, _, err := o.logo(); err != nil {
			return err
		}
	}
	return nil
}

// logo reads and re-encodes the --logo file.
func (o *BrandOptions) logo() (logo, favicon []byte, err error) {
	data, err := os.ReadFile(o.Logo)
	if err != nil {
		return nil, nil, fmt.Errorf("--logo: %w", err)
	}
	logo, favicon, err = processLogo(data)
	if err != nil {
		return nil, nil, fmt.Errorf("--logo %s: %w", o.Logo, err)
	}
	return logo, favicon, nil
}

// brand is the branding in force: the panel's settings over the flags,
// with what is derived from it (the stylesheet, the images), built by
// loadBrand whenever a setting changes and read on every page.
type brand struct {
	store.Branding                 // every field set: the panel's or the flag's
	css, logo, favicon      []byte // the logo is nil without one
	cssTag, logoTag, icoTag string // strong ETags
}

// defaultAccent is app.css's light accent, for the default favicon.
var defaultAccent = rgb{0x0b, 0x5c, 0xad}

// loadBrand builds the branding in force from the settings and the flags.
func (s *Server) loadBrand(ctx context.Context) error {
	saved, err := s.db.GetBranding(ctx)
	if err != nil {
		return err
	}
	o := s.cfg.Brand
	b := &brand{Branding: store.Branding{Name: cmp.Or(saved.Name, s.cfg.Product), Color: cmp.Or(saved.Color, o.Color),
		Site: cmp.Or(saved.Site, o.Site), Hours: cmp.Or(saved.Hours, o.Hours)}}
	b.css = brandCSS(b.Color)
	img, err := s.db.GetBrandImage(ctx, store.ImageLogo)
	switch {
	case err == nil:
		icon, err := s.db.GetBrandImage(ctx, store.ImageFavicon)
		if err != nil {
			return err
		}
		b.logo, b.favicon = img.PNG, icon.PNG
	case !errors.Is(err, store.ErrNotFound):
		return err
	case o.Logo != "":
		if b.logo, b.favicon, err = o.logo(); err != nil {
			return err
		}
	}
	if b.favicon == nil {
		accent := defaultAccent
		if c, ok := parseHex(b.Color); ok {
			accent = readableOn(c, black, lightBackgrounds...)
		}
		if b.favicon, err = defaultFavicon(accent); err != nil {
			return err
		}
	}
	b.cssTag, b.logoTag, b.icoTag = etag(b.css), etag(b.logo), etag(b.favicon)
	s.brand.Store(b)
	s.site.Brand.Set(b.Name, b.Site)
	s.kbCache.clear() // cached article pages carry the old brand
	return nil
}

func etag(b []byte) string {
	sum := sha256.Sum256(b)
	return `"` + base64.RawURLEncoding.EncodeToString(sum[:12]) + `"`
}

// brandCSS is the stylesheet /brand.css: the brand colour as the accent
// custom properties of static/app.css, adjusted per theme so that text on
// it and it on the page stay at WCAG AA (brandThemes). Without a colour
// it is empty and the default accent stays.
func brandCSS(color string) []byte {
	var buf bytes.Buffer
	buf.WriteString("/* The brand colour set in the admin settings, adjusted for contrast (web/brand_color.go). */\n")
	c, ok := parseHex(color)
	if !ok {
		return buf.Bytes()
	}
	light, dark := brandThemes(c)
	fmt.Fprintf(&buf, ":root { --accent: %s; --accent-fg: %s; --brand: %s; --brand-fg: %s; }\n", light.Accent.hex(), light.AccentText.hex(), light.Accent.hex(), light.AccentText.hex())
	fmt.Fprintf(&buf, "@media (prefers-color-scheme: dark) {\n  :root { --accent: %s; --accent-fg: %s; --brand: %s; --brand-fg: %s; }\n}\n", dark.Accent.hex(), dark.AccentText.hex(), dark.Accent.hex(), dark.AccentText.hex())
	return buf.Bytes()
}

// currentBrand is the branding in force.
func (s *Server) currentBrand() *brand { return s.brand.Load() }

// brandProps is what the layouts show of the branding.
func (s *Server) brandProps() templates.Brand {
	b := s.currentBrand()
	p := templates.Brand{Name: b.Name, Site: b.Site, Hours: b.Hours, CSS: "/brand.css?v=" + b.cssTag[1:9], Icon: "/favicon.ico?v=" + b.icoTag[1:9]}
	if b.logo != nil {
		p.Logo = "/brand/logo.png?v=" + b.logoTag[1:9]
	}
	return p
}

// serveBrandFile answers with one of the brand's files: revalidated by its
// ETag (the pages link it with a version, so a change shows at once).
func serveBrandFile(w http.ResponseWriter, r *http.Request, ctype, tag string, body []byte) {
	h := w.Header()
	h.Set("Content-Type", ctype)
	h.Set("ETag", tag)
	h.Set("Cache-Control", "public, max-age=300")
	http.ServeContent(w, r, "", time.Time{}, bytes.NewReader(body))
}

func (s *Server) brandStylesheet(w http.ResponseWriter, r *http.Request) {
	b := s.currentBrand()
	serveBrandFile(w, r, "text/css; charset=utf-8", b.cssTag, b.css)
}

func (s *Server) favicon(w http.ResponseWriter, r *http.Request) {
	b := s.currentBrand()
	serveBrandFile(w, r, "image/x-icon", b.icoTag, b.favicon)
}

func (s *Server) brandLogo(w http.ResponseWriter, r *http.Request) {
	b := s.currentBrand()
	if b.logo == nil {
		http.NotFound(w, r)
		return
	}
	serveBrandFile(w, r, "image/png", b.logoTag, b.logo)
}
