package templates

import (
	"context"
	"time"

	"safedesk/security"
	"safedesk/store"
)

// AdminPage is what every staff-panel page's layout needs.
type AdminPage struct {
	Title   string
	Active  string // the nav key of the current section
	Staff   store.Staff
	Nav     []NavItem // the sections Staff's role may open, in order (the route table's)
	Product string
	Notice  string
	// FileLimit is the largest file a form takes, for people ("20 MB").
	FileLimit string
	// Brand is how the business presents itself: its logo in the header.
	Brand Brand
}

// NavItem is one entry of the staff panel's navigation. web derives the
// entries from its route table: the staff routes that carry a label.
type NavItem struct {
	Key   string // the section, as AdminPage.Active names it
	Label string
	Href  string
}

// Field is a form field carried through a step-up.
type Field struct{ Name, Value string }

// AdminLoginProps is the sign-in page.
type AdminLoginProps struct {
	Product string
	Next    string
	Notice  string
}

// AdminEnrolProps is the owner-setup or invite page.
type AdminEnrolProps struct {
	Product   string
	Kind      string // setup or invite
	Email     string // fixed for invites
	Role      string
	BeginURL  string
	FinishURL string
}

// AdminMessageProps is a plain message page outside the signed-in panel.
type AdminMessageProps struct {
	Product string
	Title   string
	Message string
}

// AdminStepUpProps asks for a passkey before a sensitive action, then sends
// the original request again.
type AdminStepUpProps struct {
	AdminPage
	Method string
	Action string
	Fields []Field
}

// AdminTicketFilter is the queue's filter form.
type AdminTicketFilter struct {
	Status, Priority, Assignee, Channel, Q string
	Tag                                    string
	DueSoon                                bool
	Sort                                   string // "" newest first, "due" soonest due first
}

// AdminTicketRow is a ticket in the queue with who it is assigned to.
type AdminTicketRow struct {
	Ticket   store.Ticket
	Assignee string
	Customer string // masked address
}

// AdminTicketListProps is the ticket queue.
type AdminTicketListProps struct {
	AdminPage
	Filter  AdminTicketFilter
	Rows    []AdminTicketRow
	Staff   []store.Staff
	NextURL string
	CanEdit bool
	Tags    []string // every tag in use, for the filter
	Now     time.Time
	Bulk    BulkTagForm
}

// AdminTicketViewProps is a ticket with its conversation, notes and controls.
type AdminTicketViewProps struct {
	AdminPage
	Ticket   store.Ticket
	Customer string // masked address
	Messages []store.Message
	Authors  map[int64]string
	Staff    []store.Staff
	Reply    string
	Internal bool
	Errors   map[string]string
	CanEdit  bool
	Workday  TicketWorkday
	// Email is what the page shows of the email channel.
	Email EmailView
	// SiteLanguage is the site's language, which mail about a ticket
	// without a language of its own speaks.
	SiteLanguage string
}

// AdminCustomerProps shows a customer, masked unless revealed.
type AdminCustomerProps struct {
	AdminPage
	Customer  store.Customer
	Email     string
	Name      string
	Revealed  bool
	CanReveal bool
	Tickets   []store.Ticket
	// Erase is the erasure form (web/me_admin.go); nil for roles that
	// may not erase.
	Erase *AdminEraseForm
	// Devices are those the customer stays signed in on; CanEndDevices
	// lets the viewer sign them out.
	Devices       []store.CustomerDevice
	CanEndDevices bool
}

// AdminKBListProps lists articles including drafts.
type AdminKBListProps struct {
	AdminPage
	Articles []store.Article
	CanEdit  bool
}

// AdminKBEditProps is the article editor.
type AdminKBEditProps struct {
	AdminPage
	Article store.Article
	IsNew   bool
	Preview string // rendered HTML
	Errors  map[string]string
	// Questions are customers' questions the assistant could not answer,
	// attached from the insight page's "write an article for this"
	// (masked), and QuestionIDs their message ids, comma-separated, which
	// the form carries: saving adds them as example questions.
	Questions   []string
	QuestionIDs string
	// Categories are the categories the article may belong to.
	Categories []store.Category
	// Examples are the article's sections with their example questions,
	// the top first; none for an article not saved yet.
	Examples []KBExampleSection
	// ExampleForm is an example question the editor refused, shown again
	// under its section with the reason.
	ExampleForm ExampleForm
}

// KBExampleSection is one section of an article with its example
// questions, in the article editor.
type KBExampleSection struct {
	Anchor   string // "" for the article's top
	Heading  string // "" for the article's top
	Examples []store.SectionExample
}

// ExampleForm is an example question that was refused: the section it was
// for, the text and why.
type ExampleForm struct {
	Anchor, Question, Error string
}

// AdminStaffListProps is the staff page.
type AdminStaffListProps struct {
	AdminPage
	Members     []store.Staff
	CanManage   bool
	CanOwners   bool
	InviteEmail string
	InviteRole  string
	InviteLink  string
	Errors      map[string]string
	Roles       []security.Role
	// Invites are the invitations not used yet, for those who manage staff.
	Invites []store.Invite
	// MailProblems says, by staff id, why notifications do not reach
	// someone (no address, a refused mail).
	MailProblems map[int64]string
}

// AdminSessionsProps is the person's own passkeys and sessions.
type AdminSessionsProps struct {
	AdminPage
	Passkeys []store.Passkey
	Sessions []store.StaffSession
	Current  []byte // token hash of this browser's session
}

// AdminSettingsProps is the settings page.
type AdminSettingsProps struct {
	AdminPage
	CanManage bool
	Banner    string
	// KBLanguage is the site's language (store.KBLanguage).
	KBLanguage string
	Facts      []Fact
	Errors     map[string]string
	// Privacy and Doctor are the privacy card and the deployment checks
	// with the build (web/me_admin.go, web/doctor.go).
	Privacy AdminPrivacySettings
	Doctor  DoctorReport
	// Due is the due-time targets section (web/due.go).
	Due AdminDueForm
	// Mailbox is how reading the support mailbox goes.
	Mailbox MailboxStatus
	// Brand and Notice are the branding and privacy-notice sections
	// (web/admin_brand.go, web/privacy_notice.go).
	Brand  AdminBrandForm
	Notice AdminNoticeForm
}

// languageNames name store.Languages in the pickers.
var languageNames = map[string]string{
	"en": "English", "de": "Deutsch (German)", "fr": "Français (French)", "es": "Español (Spanish)", "nl": "Nederlands (Dutch)",
}

// LanguageName is the name of a language of store.Languages, or its code.
func LanguageName(code string) string {
	if n, ok := languageNames[code]; ok {
		return n
	}
	return code
}

// Fact is a read-only configuration line on the settings page.
type Fact struct{ Label, Value string }

func staffName(names map[int64]string, id int64) string {
	if n, ok := names[id]; ok {
		return n
	}
	return "Support team"
}

func ago(ctx context.Context, now, t time.Time) string {
	d := now.Sub(t)
	switch {
	case t.IsZero():
		return "never"
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return Duration(d.Truncate(time.Minute)) + " ago"
	case d < 48*time.Hour:
		return Duration(d.Truncate(time.Hour)) + " ago"
	}
	return dateTime(ctx, t)
}
