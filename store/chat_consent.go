package store

import (
	"context"
	"database/sql"
	"fmt"
)

// RenewChatConsent records that the visitor of an open conversation agreed
// to consentVersion, a notice that changed after they first consented:
// the conversation carries the new version from now on, and the audit log
// records the consent as it records the first one (chat.consented, with
// the version it replaces). A closed conversation is ErrConflict; the
// version it already has writes nothing.
func (db *DB) RenewChatConsent(ctx context.Context, id int64, consentVersion string, a Actor) (Conversation, error) {
	if consentVersion == "" || len(consentVersion) > 40 {
		return Conversation{}, fmt.Errorf("store: renew consent: bad consent version")
	}
	c, _, err := db.changeConversation(ctx, id, nil, a, func(tx *sql.Tx, c *Conversation) (string, map[string]any, error) {
		if !c.Open() {
			return "", nil, ErrConflict
		}
		if c.ConsentVersion == consentVersion {
			return "", nil, errUnchanged
		}
		previous, now := c.ConsentVersion, db.now()
		c.ConsentVersion, c.ConsentAt = consentVersion, now
		_, err := tx.ExecContext(ctx, "UPDATE chat_conversations SET consent_version = ?, consent_at = ?, updated_at = ? WHERE id = ?",
			consentVersion, nanos(now), nanos(now), id)
		return "chat.consented", map[string]any{"consent_version": consentVersion, "replaces": previous}, err
	})
	return c, err
}
