package i18n

// Key names a message of the catalogs. Keys are the constants of keys.go;
// a key whose name ends in HTML is markup, one whose name ends in Count
// has a singular and a plural form ("%d file|%d files").
type Key int

// Text is a message in every language, one row of a catalog. Proper nouns
// and words that are the same in a language as in English (“Chat”) are
// written out all the same: an empty text is a missing translation.
type Text struct{ EN, DE, FR, ES, NL string }

// in is t in lang (English for an unknown lang).
func (t Text) in(lang string) string {
	switch lang {
	case "de":
		return t.DE
	case "fr":
		return t.FR
	case "es":
		return t.ES
	case "nl":
		return t.NL
	}
	return t.EN
}

// areas are the catalogs, one for each part of the site; a key belongs to
// exactly one (TestCatalog).
var areas = []map[Key]Text{layoutTexts, portalTexts, ticketTexts, chatTexts, meTexts, privacyTexts, mailTexts, noticeTexts, refusalTexts}

// catalog is every key's text, indexed by key.
var catalog = func() []Text {
	out := make([]Text, keyCount)
	for _, area := range areas {
		for k, t := range area {
			out[k] = t
		}
	}
	return out
}()
