package templates

import (
	"strconv"

	"safedesk/store"
)

// BackupNotice says how long data may stay in backups taken before an
// erasure, from the backup configuration.
type BackupNotice struct {
	Enabled  bool
	Keep     string // the retention ladder, --backup-keep ("3,7d,4w,12m"): Ladder puts it into words
	Schedule string // cron spec, "" when backups are made only by hand
	Copy     bool   // a second copy goes to another folder
}

// MeDeleteProps is the erasure page with its confirmation form.
type MeDeleteProps struct {
	Page
	Confirm string
	Errors  map[string]string
	Backups BackupNotice
}

// MeDeletedProps confirms an erasure. Reference is the tombstone id, the
// only trace left, which the person can quote to us.
type MeDeletedProps struct {
	Page
	Reference string
	Backups   BackupNotice
}

// AdminEraseForm is the erasure form on a customer's admin page, with what
// staff typed and what is wrong with it.
type AdminEraseForm struct {
	CustomerID int64
	Channels   []string
	Channel    string
	Received   string // YYYY-MM-DD
	Reference  string
	Confirm    string
	Errors     map[string]string
}

// AdminPrivacySettings is the privacy part of the settings page: the
// owner's export setting, the retention in force and the register of
// erasure requests.
type AdminPrivacySettings struct {
	CanManage           bool // the owner
	ExportInternalNotes bool
	NotifyText          bool
	Retention           []Fact
	Requests            []store.ErasureRequest
}

func channelLabel(c string) string {
	switch c {
	case store.ChannelPortal:
		return "self-service (portal)"
	case store.ChannelEmail:
		return "email"
	case store.ChannelPhone:
		return "phone"
	case store.ChannelLetter:
		return "letter"
	case store.ChannelInPerson:
		return "in person"
	}
	return "other"
}

func idText(id int64) string { return strconv.FormatInt(id, 10) }
