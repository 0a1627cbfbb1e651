package store

import (
	"cmp"
	"context"
	"net/url"
	"strings"
)

// PrivacyNotice is the part of the privacy notice that the owner writes:
// who the controller is, how to reach them and their data-protection
// contact, the legal basis of each purpose, and the supervisory authority
// a customer may complain to. What is kept, for how long and who else
// receives it is not here: the web layer generates it from the running
// configuration.
type PrivacyNotice struct {
	Controller   string // the business's legal name; "" is the business name
	Address      string // postal address, several lines
	Contact      string // email address or phone for privacy questions
	DPO          string // the data-protection officer or contact; "" for none
	Authority    string // the supervisory authority's name
	AuthorityURL string // its web page
	// The legal basis of each purpose.
	BasisTickets  string
	BasisChat     string
	BasisEmail    string
	BasisBackups  string
	BasisSecurity string
}

// DefaultPrivacyNotice holds sensible legal bases under the GDPR, which
// the owner should check, and the European Data Protection Board's list of
// authorities.
func DefaultPrivacyNotice() PrivacyNotice {
	return PrivacyNotice{
		Authority:     "the data-protection authority of the country where you live or work, or where you think your rights were infringed",
		AuthorityURL:  "https://www.edpb.europa.eu/about-edpb/about-edpb/members_en",
		BasisTickets:  "To carry out our contract with you, or to take the steps you ask for before one (GDPR Art. 6(1)(b)).",
		BasisChat:     "Your consent, given before your first message (GDPR Art. 6(1)(a)); you can withdraw it at any time by erasing your data.",
		BasisEmail:    "To carry out our contract with you (GDPR Art. 6(1)(b)), and our legitimate interest in confirming that an address is yours before we show you anything (Art. 6(1)(f)).",
		BasisBackups:  "Our legitimate interest in restoring the service after a failure (GDPR Art. 6(1)(f)) and our duty to keep your data available and secure (Art. 32).",
		BasisSecurity: "Our legitimate interest in protecting the service and your data from abuse (GDPR Art. 6(1)(f)).",
	}
}

// fields lists the notice's fields with their form names, limits and
// whether they are required, for Validate and Normalize.
func (n *PrivacyNotice) fields() []noticeField {
	return []noticeField{
		{"controller", &n.Controller, 120, false}, {"address", &n.Address, 400, true}, {"contact", &n.Contact, 200, true},
		{"dpo", &n.DPO, 200, false}, {"authority", &n.Authority, 300, true}, {"authority_url", &n.AuthorityURL, 300, false},
		{"basis_tickets", &n.BasisTickets, 600, true}, {"basis_chat", &n.BasisChat, 600, true}, {"basis_email", &n.BasisEmail, 600, true},
		{"basis_backups", &n.BasisBackups, 600, true}, {"basis_security", &n.BasisSecurity, 600, true},
	}
}

type noticeField struct {
	name     string
	value    *string
	max      int
	required bool
}

// Normalize trims every field and fills an empty legal basis or authority
// with the default's.
func (n PrivacyNotice) Normalize() PrivacyNotice {
	def := DefaultPrivacyNotice()
	dfs := def.fields()
	for i, f := range n.fields() {
		*f.value = strings.TrimSpace(strings.ReplaceAll(*f.value, "\r\n", "\n"))
		if *f.value == "" && f.name != "authority_url" {
			*f.value = *dfs[i].value
		}
	}
	return n
}

// Validate checks each field's length, that the address and the contact
// are given, and that the authority's link is a web address.
func (n PrivacyNotice) Validate() error {
	var v ValidationError
	what := map[string]string{"address": "the postal address", "contact": "an email address or phone number for privacy questions"}
	for _, f := range n.fields() {
		checkText(&v, f.name, *f.value, f.max, f.required, cmp.Or(what[f.name], "this text"))
	}
	if n.AuthorityURL != "" {
		if u, err := url.Parse(n.AuthorityURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			v.add("authority_url", "Enter the full address of the authority's page, like https://www.example.org/complaints.")
		}
	}
	return v.err()
}

// settingPrivacyNotice holds the PrivacyNotice as JSON.
const settingPrivacyNotice = "privacy_notice"

// GetPrivacyNotice returns the saved notice, normalised (the defaults in
// what was left empty); DefaultPrivacyNotice when none was saved. Saved
// reports whether the owner has saved one.
func (db *DB) GetPrivacyNotice(ctx context.Context) (n PrivacyNotice, saved bool, err error) {
	s, err := db.GetSetting(ctx, settingPrivacyNotice, "")
	if err != nil || s == "" {
		return DefaultPrivacyNotice(), false, err
	}
	if err := db.getJSONSetting(ctx, settingPrivacyNotice, &n); err != nil {
		return PrivacyNotice{}, false, err
	}
	return n.Normalize(), true, nil
}

// SavePrivacyNotice normalises, validates and saves the notice, audited.
func (db *DB) SavePrivacyNotice(ctx context.Context, n PrivacyNotice, a Actor) error {
	n = n.Normalize()
	if err := n.Validate(); err != nil {
		return err
	}
	return db.setJSONSetting(ctx, settingPrivacyNotice, n, a)
}
