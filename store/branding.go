package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// Branding is how the business presents itself, set in the panel's
// settings. An empty field falls back to the command line's value (web
// applies that rule), so that flags can set up a deployment and the owner
// can still change each part later.
type Branding struct {
	Name  string // the business's name; "" is --product
	Color string // the brand colour, "#rrggbb"; "" is the default
	Site  string // the business's own website, http(s); "" for none
	Hours string // support hours as the business words them
}

var hexColor = regexp.MustCompile(`^#[0-9a-f]{6}$`)

// Normalize trims the fields and lowercases the colour, adding a missing
// "#" and expanding "#abc" to "#aabbcc".
func (b Branding) Normalize() Branding {
	b.Name, b.Site, b.Hours = strings.TrimSpace(b.Name), strings.TrimSpace(b.Site), strings.TrimSpace(b.Hours)
	c := strings.ToLower(strings.TrimSpace(b.Color))
	if c != "" && !strings.HasPrefix(c, "#") {
		c = "#" + c
	}
	if len(c) == 4 {
		c = string([]byte{'#', c[1], c[1], c[2], c[2], c[3], c[3]})
	}
	b.Color = c
	return b
}

// Validate checks each field; call it on a normalised Branding.
func (b Branding) Validate() error {
	var v ValidationError
	checkText(&v, "name", b.Name, 80, false, "a name")
	if b.Color != "" && !hexColor.MatchString(b.Color) {
		v.add("color", "Enter a colour as six hexadecimal digits, like #1f6feb.")
	}
	if b.Site != "" {
		if u, err := url.Parse(b.Site); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil || len(b.Site) > 300 {
			v.add("site", "Enter the full address of your website, like https://www.example.com.")
		}
	}
	checkText(&v, "hours", b.Hours, 200, false, "support hours")
	return v.err()
}

// settingBranding holds the Branding as JSON.
const settingBranding = "branding"

// GetBranding returns the saved branding; the zero Branding when none was
// saved.
func (db *DB) GetBranding(ctx context.Context) (Branding, error) {
	var b Branding
	err := db.getJSONSetting(ctx, settingBranding, &b)
	return b, err
}

// SaveBranding normalises, validates and saves the branding, audited.
func (db *DB) SaveBranding(ctx context.Context, b Branding, a Actor) error {
	b = b.Normalize()
	if err := b.Validate(); err != nil {
		return err
	}
	return db.setJSONSetting(ctx, settingBranding, b, a)
}

// getJSONSetting decodes the setting key into v; an unset one leaves v
// alone.
func (db *DB) getJSONSetting(ctx context.Context, key string, v any) error {
	s, err := db.GetSetting(ctx, key, "")
	if err != nil || s == "" {
		return err
	}
	if err := json.Unmarshal([]byte(s), v); err != nil {
		return fmt.Errorf("store: setting %s: %w", key, err)
	}
	return nil
}

// setJSONSetting saves v as JSON under key, audited as a settings change.
func (db *DB) setJSONSetting(ctx context.Context, key string, v any, a Actor) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("store: setting %s: %w", key, err)
	}
	return db.SetSetting(ctx, key, string(b), a)
}

// Brand image names (brand_images.name).
const (
	ImageLogo    = "logo"
	ImageFavicon = "favicon"
)

// BrandImage is a stored brand image: PNG bytes, re-encoded by the caller.
type BrandImage struct {
	PNG       []byte
	UpdatedAt time.Time
}

// GetBrandImage returns the logo or the favicon; ErrNotFound when none is
// set.
func (db *DB) GetBrandImage(ctx context.Context, name string) (BrandImage, error) {
	var img BrandImage
	var at int64
	err := db.read.QueryRowContext(ctx, "SELECT png, updated_at FROM brand_images WHERE name = ?", name).Scan(&img.PNG, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return BrandImage{}, ErrNotFound
	}
	if err != nil {
		return BrandImage{}, fmt.Errorf("store: brand image: %w", err)
	}
	img.UpdatedAt = fromNanos(at)
	return img, nil
}

// SaveLogo stores the logo and the favicon made from it, replacing the
// old ones, audited; nil for both removes them.
func (db *DB) SaveLogo(ctx context.Context, logo, favicon []byte, a Actor) error {
	return db.tx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, "DELETE FROM brand_images"); err != nil {
			return fmt.Errorf("store: save logo: %w", err)
		}
		action := "settings.logo_removed"
		if logo != nil {
			action = "settings.logo_changed"
			now := nanos(db.now())
			if _, err := tx.ExecContext(ctx, "INSERT INTO brand_images (name, png, updated_at) VALUES (?, ?, ?), (?, ?, ?)",
				ImageLogo, logo, now, ImageFavicon, favicon, now); err != nil {
				return fmt.Errorf("store: save logo: %w", err)
			}
		}
		return db.appendAudit(ctx, tx, a, action, "setting:logo", map[string]any{"bytes": len(logo)})
	})
}
