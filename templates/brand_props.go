package templates

import (
	"context"
	"strconv"
	"strings"

	"github.com/a-h/templ"

	"safedesk/store"
	"safedesk/templates/i18n"
)

// Brand is how the business presents itself, as set in the admin
// settings (or by flags): every page shows it.
type Brand struct {
	Name  string // the business's name
	Site  string // its own website; "" for none
	Hours string // support hours as it words them; "" for none
	Logo  string // the logo's URL; "" for none
	CSS   string // the generated stylesheet's URL (/brand.css)
	Icon  string // the favicon's URL
}

// Head is what a page adds to the document's head. Both are for published
// articles and the public pages only: a draft never gets either.
type Head struct {
	Description string // the meta description; "" for none
	Canonical   string // the absolute canonical URL; "" for none
}

// sentence ends s with a full stop unless it ends with one already:
// "Nordic Brew Co." stays as it is.
func sentence(s string) string {
	if strings.HasSuffix(s, ".") {
		return s
	}
	return s + "."
}

// AdminBrandForm is the branding section of the settings page: the
// fields as saved or as typed, what is in force from the flags for each
// field left empty, and the logo.
type AdminBrandForm struct {
	CanManage                bool
	Name, Color, Site, Hours string
	// Defaults are what an empty field falls back to (the flags).
	DefaultName, DefaultColor, DefaultSite, DefaultHours string
	Logo                                                 string // the logo's URL; "" for none
	Errors                                               map[string]string
}

// AdminNoticeForm is the privacy notice's editable part on the settings
// page, for the owner.
type AdminNoticeForm struct {
	CanManage bool
	Notice    store.PrivacyNotice
	Version   string // the chat consent version the notice gives
	// Incomplete: the owner has not saved the notice yet, so it names no
	// postal address.
	Incomplete bool
	Errors     map[string]string
}

// noticeBases are the purposes whose legal basis the owner words, with
// their form fields.
var noticeBases = []struct{ Field, Label string }{
	{"basis_tickets", "Requests (tickets)"}, {"basis_chat", "The chat"}, {"basis_email", "Emails and sign-in codes"},
	{"basis_backups", "Backups"}, {"basis_security", "Security records"},
}

// basisLabel is a purpose's name on the portal, in ctx's language (label
// is the panel's, in English).
func basisLabel(ctx context.Context, field, label string) string {
	k, ok := map[string]i18n.Key{"basis_tickets": i18n.PrivForTickets, "basis_chat": i18n.PrivChat, "basis_email": i18n.PrivForEmail,
		"basis_backups": i18n.PrivBackups, "basis_security": i18n.PrivForSecurity}[field]
	if !ok {
		return label
	}
	return i18n.T(ctx, k)
}

// basisOf is the notice's legal basis for a purpose's form field.
func basisOf(n store.PrivacyNotice, field string) string {
	switch field {
	case "basis_tickets":
		return n.BasisTickets
	case "basis_chat":
		return n.BasisChat
	case "basis_email":
		return n.BasisEmail
	case "basis_backups":
		return n.BasisBackups
	case "basis_security":
		return n.BasisSecurity
	}
	return ""
}

func itoa(n int) string { return strconv.Itoa(n) }

// fallback says what an empty field falls back to.
func fallback(flag, value string) string {
	if value == "" {
		return "Empty: none (" + flag + " is not set)."
	}
	return "Empty: " + value + " (" + flag + ")."
}

// describedBy is a field's aria-describedby: the ids of its hint and its
// error, or no attribute when it has neither.
func describedBy(id, hint string, errs map[string]string) templ.Attributes {
	var ids []string
	if hint != "" {
		ids = append(ids, id+"-hint")
	}
	if hasErr(errs, id) {
		ids = append(ids, id+"-error")
	}
	if len(ids) == 0 {
		return templ.Attributes{}
	}
	return templ.Attributes{"aria-describedby": strings.Join(ids, " ")}
}

// AdminKBCategoriesProps is the knowledge base's categories page: each
// category's form, and one for a new category. Editing is the category
// being edited as typed, with Errors; nil when none has errors.
type AdminKBCategoriesProps struct {
	AdminPage
	Categories []store.Category
	CanEdit    bool
	Editing    *store.Category
	Errors     map[string]string
}

// CategoryField prefixes a category form's field id with the category's
// id, so that every form's ids are unique ("new" for the new one).
func CategoryField(c store.Category, name string) string {
	if c.ID == 0 {
		return "new-" + name
	}
	return "c" + strconv.FormatInt(c.ID, 10) + "-" + name
}

// categoryErrors are the errors of c's form: Errors, keyed by the
// form's own ids, when c is the one being edited.
func categoryErrors(p AdminKBCategoriesProps, c store.Category) map[string]string {
	if p.Editing == nil || p.Editing.ID != c.ID {
		return nil
	}
	out := map[string]string{}
	for k, v := range p.Errors {
		out[CategoryField(c, k)] = v
	}
	return out
}
