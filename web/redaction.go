package web

import (
	"strings"

	"safedesk/security"
	"safedesk/templates"
	"safedesk/templates/i18n"
)

// secretWords are the words of each kind of secret or personal data the
// store removes: its name in a notice (a Count key: one, many) and the
// placeholder left in the text.
var secretWords = []struct {
	kind              security.Kind
	noun, placeholder i18n.Key
}{
	{security.KindCard, i18n.SecretCardCount, i18n.RemovedCard},
	{security.KindIBAN, i18n.SecretIBANCount, i18n.RemovedIBAN},
	{security.KindSSN, i18n.SecretSSNCount, i18n.RemovedSSN},
	{security.KindPassword, i18n.SecretPasswordCount, i18n.RemovedPassword},
	{security.KindOTP, i18n.SecretOTPCount, i18n.RemovedOTP},
	{security.KindAPIKey, i18n.SecretAPIKeyCount, i18n.RemovedAPIKey},
	{security.KindPrivateKey, i18n.SecretPrivateKeyCount, i18n.RemovedPrivateKey},
	{security.KindEmail, -1, i18n.RemovedEmail},
	{security.KindPhone, -1, i18n.RemovedPhone},
}

// removedNotice tells the person, in l's language, which secrets in kinds
// were removed from what they typed and that we never ask for them: k is
// the sentence (RemovedSaved for a request or reply, RemovedChat in the
// chat). It is "" when kinds holds no secret.
func removedNotice(l i18n.Locale, k i18n.Key, kinds []security.Kind) string {
	count := map[security.Kind]int{}
	for _, kind := range kinds {
		count[kind]++
	}
	var names []string
	for _, w := range secretWords {
		if n := count[w.kind]; n > 0 && w.noun >= 0 {
			names = append(names, l.Form(w.noun, n))
		}
	}
	if len(names) == 0 {
		return ""
	}
	return l.T(k, templates.List(l, names))
}

// withRemoved adds to a notice for the customer what the store removed
// from the text they typed (card numbers, passwords…), and why.
func withRemoved(l i18n.Locale, notice string, removed security.KindSet) string {
	if w := removedNotice(l, i18n.RemovedSaved, removed.Kinds()); w != "" {
		return notice + " " + w
	}
	return notice
}

// localPlaceholders shows the placeholders the store left in a customer's
// text ("[card number removed]") in l's language.
func localPlaceholders(l i18n.Locale, text string) string {
	if l.Lang == i18n.Default || !strings.Contains(text, "[") {
		return text
	}
	for _, w := range secretWords {
		text = strings.ReplaceAll(text, security.Placeholder(w.kind), l.T(w.placeholder))
	}
	return text
}
