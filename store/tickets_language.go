package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// SetTicketLanguage changes the language mail about a ticket speaks (one
// of Languages; "" for the site's), audited as ticket.language with the
// language it had. Setting the language it has writes nothing.
func (db *DB) SetTicketLanguage(ctx context.Context, id int64, lang string, a Actor) error {
	if lang != "" && !ValidLanguage(lang) {
		return &ValidationError{Fields: map[string]string{"lang": "Choose one of the languages offered."}}
	}
	return db.tx(ctx, func(tx *sql.Tx) error {
		var from string
		err := tx.QueryRowContext(ctx, "SELECT lang FROM tickets WHERE id = ?", id).Scan(&from)
		if errors.Is(err, sql.ErrNoRows) {
			return ErrNotFound
		}
		if err != nil {
			return fmt.Errorf("store: ticket language: %w", err)
		}
		if from == lang {
			return nil
		}
		if _, err := tx.ExecContext(ctx, "UPDATE tickets SET lang = ? WHERE id = ?", lang, id); err != nil {
			return fmt.Errorf("store: ticket language: %w", err)
		}
		return db.appendAudit(ctx, tx, a, "ticket.language", TicketTarget(id), map[string]any{"from": from, "to": lang})
	})
}
