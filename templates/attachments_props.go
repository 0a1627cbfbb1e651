package templates

import "safedesk/store"

// Attachment is a message's file as the templates see it.
type Attachment = store.Attachment

// fileSize writes a byte count for people.
func fileSize(n int64) string { return store.FormatSize(n) }
