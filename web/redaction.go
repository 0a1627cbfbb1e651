package web

import "safedesk/security"

// withRemoved adds to a notice for the customer what the store removed
// from the text they typed (card numbers, passwords…), and why.
func withRemoved(notice string, removed security.KindSet) string {
	if w := security.RemovedNotice(removed.Kinds()); w != "" {
		return notice + " " + w
	}
	return notice
}
