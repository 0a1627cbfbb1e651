package web

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"

	"safedesk/store"
)

// brandOwner is a signed-in owner who has just confirmed with a passkey.
func brandOwner(e *testEnv) *client {
	e.t.Helper()
	c, d := e.owner()
	e.stepUp(c, d)
	return c
}

func TestBrandSettingsForm(t *testing.T) {
	e := newTestServer(t)
	c := brandOwner(e)
	bad := url.Values{"name": {"Nordic Brew Co."}, "color": {"not-a-colour"}, "site": {"ftp://nordicbrew.example"}, "hours": {"Mon–Fri 9–17"}}
	resp := c.post("/admin/settings/brand", bad)
	if resp.status != http.StatusUnprocessableEntity {
		t.Fatalf("bad branding: %d, want 422", resp.status)
	}
	for _, want := range []string{
		`value="not-a-colour"`, `value="ftp://nordicbrew.example"`, `value="Nordic Brew Co."`, // as typed
		`id="color-error"`, `id="site-error"`, `aria-describedby="color-hint color-error"`, // tied to the field
	} {
		if !strings.Contains(resp.body, want) {
			t.Errorf("the form with errors lacks %q", want)
		}
	}
	if b, _ := e.db.GetBranding(t.Context()); b != (store.Branding{}) {
		t.Fatalf("invalid branding was saved: %+v", b)
	}

	good := url.Values{"name": {"Nordic Brew Co."}, "color": {"#FFD400"}, "site": {"https://nordicbrew.example"}, "hours": {"Mon–Fri 9:00–17:00 CET"}}
	if resp := c.post("/admin/settings/brand", good); resp.status != http.StatusSeeOther {
		t.Fatalf("branding: %d, want 303\n%s", resp.status, resp.body)
	}
	home := e.client().get("/")
	for _, want := range []string{"Help Centre · Nordic Brew Co.</title>", `href="https://nordicbrew.example"`, "Support hours: Mon–Fri 9:00–17:00 CET", `href="/brand.css?v=`, `rel="icon"`} {
		if !strings.Contains(home.body, want) {
			t.Errorf("the home page lacks %q", want)
		}
	}
	if strings.Contains(home.body, "Co..") {
		t.Error(`the home page says "Co.."`)
	}
	if admin := c.get("/admin/settings"); !strings.Contains(admin.body, "Nordic Brew Co. <span>Admin</span>") {
		t.Error("the panel's header does not show the business name")
	}
	entries, err := e.db.ListAudit(t.Context(), store.AuditFilter{Limit: 50})
	if err != nil {
		t.Fatal(err)
	}
	if !hasAudit(entries, "settings.changed", "setting:branding") {
		t.Error("the branding change is not in the audit log")
	}
}

func hasAudit(entries []store.AuditEntry, action, target string) bool {
	for _, a := range entries {
		if a.Action == action && a.Target == target {
			return true
		}
	}
	return false
}

func TestBrandStylesheet(t *testing.T) {
	e := newTestServer(t)
	if err := e.db.SaveBranding(t.Context(), store.Branding{Color: "#ffd400"}, store.SystemActor); err != nil {
		t.Fatal(err)
	}
	if err := e.srv.loadBrand(t.Context()); err != nil {
		t.Fatal(err)
	}
	c := e.client()
	css := c.get("/brand.css")
	if css.status != 200 || !strings.HasPrefix(css.header.Get("Content-Type"), "text/css") {
		t.Fatalf("/brand.css: %d %s", css.status, css.header.Get("Content-Type"))
	}
	// #ffd400 on white is 1.5:1: the light theme darkens it, and puts
	// dark text on it (yellow keeps black text).
	i := strings.Index(css.body, "@media (prefers-color-scheme: dark)")
	if i < 0 {
		t.Fatalf("the stylesheet has no dark theme:\n%s", css.body)
	}
	light := css.body[:i]
	if strings.Contains(light, "--accent: #ffd400;") {
		t.Errorf("the light theme uses #ffd400 unadjusted:\n%s", css.body)
	}
	tag := css.header.Get("ETag")
	if tag == "" || !strings.Contains(css.header.Get("Cache-Control"), "max-age") {
		t.Fatalf("no ETag or caching: %v", css.header)
	}
	req, _ := http.NewRequest("GET", e.http.URL+"/brand.css", nil)
	req.Header.Set("If-None-Match", tag)
	if again := c.do(req); again.status != http.StatusNotModified {
		t.Fatalf("revalidation: %d, want 304", again.status)
	}
}

func TestFaviconNever404(t *testing.T) {
	e := newTestServer(t)
	resp := e.client().get("/favicon.ico")
	if resp.status != 200 || resp.header.Get("Content-Type") != "image/x-icon" || !strings.HasPrefix(resp.body, "\x00\x00\x01\x00") {
		t.Fatalf("/favicon.ico: %d %q %q", resp.status, resp.header.Get("Content-Type"), resp.body[:min(8, len(resp.body))])
	}
	if logo := e.client().get("/brand/logo.png"); logo.status != 404 {
		t.Fatalf("/brand/logo.png without a logo: %d, want 404", logo.status)
	}
}

func TestLogoUpload(t *testing.T) {
	e := newTestServer(t)
	c := brandOwner(e)
	photo := photoWithGPS(t, "LogoGPSMarker")
	resp := c.postParts("/admin/settings/logo", formPart{field: "logo", name: "logo.jpg", data: string(photo), file: true})
	if resp.status != http.StatusSeeOther {
		t.Fatalf("logo upload: %d\n%s", resp.status, resp.body)
	}
	logo := e.client().get("/brand/logo.png")
	if logo.status != 200 || logo.header.Get("Content-Type") != "image/png" {
		t.Fatalf("logo: %d %s", logo.status, logo.header.Get("Content-Type"))
	}
	if strings.Contains(logo.body, "LogoGPSMarker") || strings.Contains(logo.body, "Exif") {
		t.Fatal("the stored logo still carries the photo's EXIF")
	}
	img, err := png.Decode(strings.NewReader(logo.body))
	if err != nil {
		t.Fatalf("the logo is not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 48 || b.Dy() != 32 {
		t.Fatalf("logo is %v, want the photo's 48×32 (a small logo is not scaled up)", b)
	}
	if home := e.client().get("/"); !strings.Contains(home.body, `data-testid="brand-logo"`) {
		t.Error("the portal does not show the logo")
	}
	ico := e.client().get("/favicon.ico")
	if !strings.Contains(ico.body, "\x89PNG") || strings.Contains(ico.body, "LogoGPSMarker") {
		t.Error("the favicon is not made from the logo")
	}
	entries, err := e.db.ListAudit(t.Context(), store.AuditFilter{Limit: 50})
	if err != nil || !hasAudit(entries, "settings.logo_changed", "setting:logo") {
		t.Errorf("the logo change is not audited (%v)", err)
	}
	if resp := c.post("/admin/settings/logo/remove", nil); resp.status != http.StatusSeeOther {
		t.Fatalf("remove: %d", resp.status)
	}
	if logo := e.client().get("/brand/logo.png"); logo.status != 404 {
		t.Fatalf("logo after removal: %d", logo.status)
	}
}

func TestLogoRefused(t *testing.T) {
	e := newTestServer(t)
	c := brandOwner(e)
	big := image.NewNRGBA(image.Rect(0, 0, 5000, 1))
	big.Set(0, 0, color.NRGBA{1, 2, 3, 255})
	var wide bytes.Buffer
	if err := png.Encode(&wide, big); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, data, want string }{
		{"not an image", "<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>", "Upload a PNG, JPEG or WebP image."},
		{"too many bytes", "\x89PNG\r\n\x1a\n" + strings.Repeat("x", maxLogoBytes), "at most 2 MB"},
		{"too many pixels", wide.String(), "at most 4096 pixels a side"},
		{"a broken PNG", "\x89PNG\r\n\x1a\nnonsense", "cannot be read"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			resp := c.postParts("/admin/settings/logo", formPart{field: "logo", name: "logo.png", data: tc.data, file: true})
			if resp.status != http.StatusUnprocessableEntity || !strings.Contains(resp.body, `id="logo-error"`) || !strings.Contains(resp.body, tc.want) {
				t.Fatalf("status %d, want 422 with %q at the logo field", resp.status, tc.want)
			}
			if _, err := e.db.GetBrandImage(context.Background(), store.ImageLogo); err == nil {
				t.Fatal("a refused logo was stored")
			}
		})
	}
}

func TestBrandFlagsAndPanel(t *testing.T) {
	e := newTestServerWith(t, func(c *Config) {
		c.Product = "Nordic Brew Co."
		c.Brand = BrandOptions{Color: "#0b5cad", Site: "https://flag.example", Hours: "flag hours"}
	})
	home := e.client().get("/")
	if !strings.Contains(home.body, "Support hours: flag hours") || !strings.Contains(home.body, `href="https://flag.example"`) {
		t.Fatal("the flags' branding is not shown")
	}
	// The panel's value wins; a field left empty there keeps the flag's.
	if err := e.db.SaveBranding(t.Context(), store.Branding{Hours: "panel hours"}, store.SystemActor); err != nil {
		t.Fatal(err)
	}
	if err := e.srv.loadBrand(t.Context()); err != nil {
		t.Fatal(err)
	}
	home = e.client().get("/")
	if !strings.Contains(home.body, "Support hours: panel hours") || !strings.Contains(home.body, `href="https://flag.example"`) {
		t.Fatal("the panel's hours do not win, or the flag's site is lost")
	}
}

func TestBrandInCustomerMail(t *testing.T) {
	e := newTestServerWith(t, func(c *Config) { c.Product = "Nordic Brew Co." })
	if err := e.db.SaveBranding(t.Context(), store.Branding{Site: "https://nordicbrew.example"}, store.SystemActor); err != nil {
		t.Fatal(err)
	}
	if err := e.srv.loadBrand(t.Context()); err != nil {
		t.Fatal(err)
	}
	c := e.client()
	if resp := c.post("/tickets/new", ticketForm("brand@example.org", "Grinder", "It squeaks.")); resp.status != http.StatusSeeOther {
		t.Fatalf("ticket: %d", resp.status)
	}
	m := e.mail.next(t)
	if !strings.Contains(m.Subject, "[Nordic Brew Co.]") || !strings.Contains(m.Text, "Nordic Brew Co. support") || !strings.Contains(m.Text, "https://nordicbrew.example") {
		t.Fatalf("the mail does not carry the brand:\n%s\n%s", m.Subject, m.Text)
	}
	if strings.Contains(m.Text, "Co..") || strings.Contains(m.Subject, "Co..") {
		t.Fatal(`the mail says "Co.."`)
	}
}

func TestBrandOptionsValidate(t *testing.T) {
	dir := t.TempDir()
	logo, notImage := dir+"/logo.jpg", dir+"/logo.svg"
	if err := os.WriteFile(logo, photoWithGPS(t, "FlagLogo"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(notImage, []byte("<svg/>"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		o       BrandOptions
		wantErr string
	}{
		{BrandOptions{Color: "#FFD400", Site: "https://shop.example", Logo: logo}, ""},
		{BrandOptions{Color: "yellow"}, "--brand-color"},
		{BrandOptions{Site: "shop.example"}, "--brand-site"},
		{BrandOptions{Logo: notImage}, "--logo"},
		{BrandOptions{Logo: dir + "/missing.png"}, "--logo"},
	} {
		err := tc.o.Validate()
		if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
			t.Errorf("Validate(%+v) = %v, want an error naming %q", tc.o, err, tc.wantErr)
		}
	}
	// The --logo file is the logo until one is uploaded.
	e := newTestServerWith(t, func(c *Config) { c.Brand = BrandOptions{Logo: logo} })
	resp := e.client().get("/brand/logo.png")
	if resp.status != 200 || strings.Contains(resp.body, "FlagLogo") {
		t.Fatalf("--logo: %d, or its EXIF survived", resp.status)
	}
}
