package store

import "safedesk/security"

// Customers paste card numbers, bank details and passwords into requests by
// mistake. Whatever the channel (portal, chat hand-off, API on a customer's
// behalf), text a customer wrote passes through here on its way into the
// database, so that the stored and shown text carries "[card number
// removed]" instead, and the caller learns what was removed to tell the
// customer.

// redactCustomerText removes the secrets in text (see security.Redact) and
// adds the kinds it removed to removed.
func redactCustomerText(text string, removed *security.KindSet) string {
	out, found := security.Redact(text)
	for _, f := range found {
		removed.Add(f.Kind)
	}
	return out
}

// redact removes secrets from every field the customer typed and returns
// what it removed.
func (t *NewTicket) redact() security.KindSet {
	var removed security.KindSet
	t.Name = redactCustomerText(t.Name, &removed)
	t.Subject = redactCustomerText(t.Subject, &removed)
	t.Body = redactCustomerText(t.Body, &removed)
	return removed
}
