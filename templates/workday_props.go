package templates

import (
	"slices"
	"time"

	"safedesk/store"
)

// Props of the staff workday's pages and parts (issue 15).

// BulkTagForm is the queue's form that tags the ticked tickets.
type BulkTagForm struct {
	Add, Remove string
	Back        string  // the queue's address, to come back to
	Selected    []int64 // the tickets ticked, when the form comes back with errors
	Errors      map[string]string
}

// TicketWorkday is the workday's part of a ticket's page.
type TicketWorkday struct {
	Now      time.Time
	Tags     string // the ticket's tags as the form shows them
	Presence TicketPresence
	// Replies are the saved replies for the picker (empty for a role that
	// may not reply); Chosen the one inserted, Inserted its filled text,
	// Then the status chosen to follow the reply.
	Replies  []store.SavedReply
	Chosen   int64
	Inserted string
	Then     string
}

// TicketPresence is who else has a ticket open, and who is writing.
type TicketPresence struct {
	TicketID int64
	Others   []PresentStaff
}

// PresentStaff is a colleague on the same ticket.
type PresentStaff struct {
	Name    string
	Writing bool
}

// AdminDueForm is the due-time section of the settings page.
type AdminDueForm struct {
	Hours  string // the business hours the targets count in ("" for none)
	Rows   []DueRow
	Errors map[string]string // by "PRIORITY.first_response" and "PRIORITY.resolution"
}

// DueRow is one priority's targets as typed.
type DueRow struct {
	Priority, FirstResponse, Resolution string
}

// NotifyChoice is one event on the notifications page, with the person's
// choice (store.DeliverOff, DeliverNow or DeliverDigest).
type NotifyChoice struct {
	Event, Label, Hint, Mode string
}

// MyNotificationsProps is a staff member's own notifications page.
type MyNotificationsProps struct {
	AdminPage
	Email        string
	Events       []NotifyChoice
	Errors       map[string]string
	MailFailure  string
	MailFailedAt time.Time
	Availability *Availability // nil for a role that does not take chats
}

// Availability is the toggle that marks a staff member available for
// chats, and where it leads back to.
type Availability struct {
	Available bool
	Next      string
	Idle      time.Duration // signed-in means active within this
}

// AdminReplyListProps lists the saved replies.
type AdminReplyListProps struct {
	AdminPage
	Replies []store.SavedReply
}

// AdminReplyEditProps is the saved-reply editor.
type AdminReplyEditProps struct {
	AdminPage
	Reply        store.SavedReply
	Placeholders []string
	Errors       map[string]string
}

// DashboardProps is the owner's dashboard.
type DashboardProps struct {
	AdminPage
	Days                      int
	Periods                   []int
	Stats                     store.TeamStats
	FirstResponse, Resolution time.Duration // medians
	Agents                    []AgentRow
	Charts                    DashboardCharts
}

// AgentRow is one assignee's line of the dashboard.
type AgentRow struct {
	Name                      string
	Stats                     store.AgentStats
	FirstResponse, Resolution time.Duration // medians
}

// DashboardCharts are the dashboard's charts.
type DashboardCharts struct {
	Volume, Backlog, Agents SVGChart
}

// MeDevicesProps lists the devices a customer stays signed in on.
type MeDevicesProps struct {
	Page
	Devices []store.CustomerDevice
	Current int64 // this browser's device, or 0
}

// selected reports whether id is among ids.
func selected(ids []int64, id int64) bool { return slices.Contains(ids, id) }
