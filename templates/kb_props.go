package templates

import (
	"strconv"

	"safedesk/store"
)

// articleCount says how many articles a category holds.
func articleCount(n int) string {
	if n == 1 {
		return "1 article"
	}
	return strconv.Itoa(n) + " articles"
}

// categoryAction is where a category's form posts.
func categoryAction(c store.Category) string {
	if c.ID == 0 {
		return "/admin/kb/categories"
	}
	return "/admin/kb/categories/" + strconv.FormatInt(c.ID, 10) + "/save"
}
