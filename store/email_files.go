package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"safedesk/security"
)

// Files that come with mail. The inbox streams each file of a message into
// an Upload (InboundEmail.Upload) before ImportEmail runs; the import then
// links them to the message in its own transaction, as any upload. A held
// reply is no message yet, so its files are held with it instead: sealed
// under the customer's key (so that erasing the customer shreds them) and
// tied to the quarantine row (so that they go with it and its ticket), but
// linked to no message, so that no conversation, download or export shows
// them. Accepting the reply links them to the message it becomes;
// dismissing it deletes them. The hourly purge of staged uploads leaves
// held files alone: a reply may wait for its decision longer than a day.

// holdUpload keeps the staged files of u with held reply quarantineID,
// inside tx, sealed again under key.
func (db *DB) holdUpload(ctx context.Context, tx *sql.Tx, u *Upload, key *security.DataKey, quarantineID int64) error {
	if u == nil {
		return nil
	}
	return db.rekeyUpload(ctx, tx, u, key, func(f *Attachment, fileKey, name []byte) error {
		if _, err := tx.ExecContext(ctx, `UPDATE attachments SET batch = NULL, quarantine_id = ?, key_id = ?, file_key = ?, name = ?
			WHERE id = ?`, quarantineID, key.ID(), fileKey, name, f.ID); err != nil {
			return fmt.Errorf("store: hold attachments: %w", err)
		}
		return nil
	})
}

// linkHeld links the files held with reply quarantineID to message m of its
// ticket inside tx, each audited like an upload.
func (db *DB) linkHeld(ctx context.Context, tx *sql.Tx, quarantineID int64, m Message, a Actor) error {
	files, err := db.heldFiles(ctx, tx, quarantineID)
	if err != nil {
		return err
	}
	for _, f := range files {
		if _, err := tx.ExecContext(ctx, `UPDATE attachments SET ticket_id = ?, message_id = ?, quarantine_id = NULL, state = 'linked'
			WHERE id = ?`, m.TicketID, m.ID, f.ID); err != nil {
			return fmt.Errorf("store: link held attachments: %w", err)
		}
		f.TicketID, f.MessageID = m.TicketID, m.ID
		if err := db.auditUploaded(ctx, tx, a, f); err != nil {
			return err
		}
	}
	return nil
}

// dropHeld deletes the files held with reply quarantineID inside tx, and
// returns how many there were.
func (db *DB) dropHeld(ctx context.Context, tx *sql.Tx, quarantineID int64) (int64, error) {
	n, err := changed(tx.ExecContext(ctx, "DELETE FROM attachments WHERE quarantine_id = ?", quarantineID))
	if err != nil {
		return 0, fmt.Errorf("store: drop held attachments: %w", err)
	}
	return n, nil
}

// heldFiles lists the files held with reply quarantineID, names opened,
// reading through q (a transaction or the reader pool).
func (db *DB) heldFiles(ctx context.Context, q querier, quarantineID int64) ([]Attachment, error) {
	rows, err := q.QueryContext(ctx, `SELECT id, key_id, name, size, content_type, stripped, created_at
		FROM attachments WHERE quarantine_id = ? ORDER BY id`, quarantineID)
	if err != nil {
		return nil, fmt.Errorf("store: held attachments: %w", err)
	}
	var sealed []sealedAttachment
	for rows.Next() {
		var s sealedAttachment
		var created int64
		if err := rows.Scan(&s.a.ID, &s.keyID, &s.name, &s.a.Size, &s.a.ContentType, &s.a.Stripped, &created); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: held attachments: %w", err)
		}
		s.a.CreatedAt = fromNanos(created)
		sealed = append(sealed, s)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return nil, fmt.Errorf("store: held attachments: %w", err)
	}
	out := make([]Attachment, 0, len(sealed))
	for _, s := range sealed {
		key, err := db.dataKey(ctx, q, s.keyID)
		if err != nil {
			return nil, err
		}
		if s.a.Name, err = key.OpenString(s.name, fileNameLoc(s.a.ID)); err != nil {
			return nil, err
		}
		out = append(out, s.a)
	}
	return out, nil
}
