package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"

	"safedesk/security"
)

const attachmentColumns = `a.id, a.ticket_id, a.message_id, a.key_id, a.name, a.size, a.content_type, a.stripped,
	a.state = 'deleted', COALESCE(a.deleted_at, 0), a.created_at, m.internal`

// sealedAttachment is a row read before its name is opened.
type sealedAttachment struct {
	a     Attachment
	keyID int64
	name  []byte
}

func scanAttachment(sc interface{ Scan(...any) error }) (sealedAttachment, error) {
	var s sealedAttachment
	var deleted, created int64
	err := sc.Scan(&s.a.ID, &s.a.TicketID, &s.a.MessageID, &s.keyID, &s.name, &s.a.Size, &s.a.ContentType, &s.a.Stripped,
		&s.a.Deleted, &deleted, &created, &s.a.Internal)
	if deleted != 0 {
		s.a.DeletedAt = fromNanos(deleted)
	}
	s.a.CreatedAt = fromNanos(created)
	return s, err
}

// open opens the attachment's name with its key.
func (db *DB) openAttachment(ctx context.Context, s sealedAttachment) (Attachment, error) {
	key, err := db.dataKey(ctx, db.read, s.keyID)
	if err != nil {
		return Attachment{}, err
	}
	s.a.Name, err = key.OpenString(s.name, fileNameLoc(s.a.ID))
	return s.a, err
}

// ListAttachments returns the attachments of a ticket's messages, deleted
// ones as tombstones, oldest first; those on internal notes only when
// withInternal is set.
func (db *DB) ListAttachments(ctx context.Context, ticketID int64, withInternal bool) ([]Attachment, error) {
	rows, err := db.read.QueryContext(ctx, "SELECT "+attachmentColumns+` FROM attachments a JOIN messages m ON m.id = a.message_id
		WHERE a.ticket_id = ? AND (? OR m.internal = 0) ORDER BY a.id`, ticketID, withInternal)
	if err != nil {
		return nil, fmt.Errorf("store: list attachments: %w", err)
	}
	defer rows.Close()
	// As in scanTickets: read every row before opening any name.
	var sealed []sealedAttachment
	for rows.Next() {
		s, err := scanAttachment(rows)
		if err != nil {
			return nil, fmt.Errorf("store: list attachments: %w", err)
		}
		sealed = append(sealed, s)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list attachments: %w", err)
	}
	rows.Close()
	out := make([]Attachment, 0, len(sealed))
	for _, s := range sealed {
		a, err := db.openAttachment(ctx, s)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}

// fillAttachments sets the Attachments of each of a ticket's messages.
func (db *DB) fillAttachments(ctx context.Context, ticketID int64, msgs []Message, withInternal bool) error {
	if len(msgs) == 0 {
		return nil
	}
	atts, err := db.ListAttachments(ctx, ticketID, withInternal)
	if err != nil || len(atts) == 0 {
		return err
	}
	byMessage := make(map[int64][]Attachment, len(msgs))
	for _, a := range atts {
		byMessage[a.MessageID] = append(byMessage[a.MessageID], a)
	}
	for i := range msgs {
		msgs[i].Attachments = byMessage[msgs[i].ID]
	}
	return nil
}

// GetAttachment returns attachment id of ticket ticketID, deleted or not;
// one of another ticket is ErrNotFound, like one that does not exist.
func (db *DB) GetAttachment(ctx context.Context, ticketID, id int64) (Attachment, error) {
	s, err := scanAttachment(db.read.QueryRowContext(ctx, "SELECT "+attachmentColumns+` FROM attachments a
		JOIN messages m ON m.id = a.message_id WHERE a.id = ? AND a.ticket_id = ?`, id, ticketID))
	if errors.Is(err, sql.ErrNoRows) {
		return Attachment{}, ErrNotFound
	}
	if err != nil {
		return Attachment{}, fmt.Errorf("store: get attachment: %w", err)
	}
	return db.openAttachment(ctx, s)
}

// OpenAttachment returns a reader of an attachment's bytes that fetches and
// opens one chunk at a time, so that serving a file of any size holds one
// chunk in memory. A chunk that was tampered with, moved or dropped makes
// the reader fail with security.ErrOpen. A deleted attachment is
// ErrAttachmentDeleted.
func (db *DB) OpenAttachment(ctx context.Context, a Attachment) (io.Reader, error) {
	var keyID, chunks int64
	var wrapped []byte
	var state string
	err := db.read.QueryRowContext(ctx, "SELECT key_id, file_key, chunks, state FROM attachments WHERE id = ?", a.ID).
		Scan(&keyID, &wrapped, &chunks, &state)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: open attachment: %w", err)
	}
	if state == "deleted" {
		return nil, ErrAttachmentDeleted
	}
	key, err := db.dataKey(ctx, db.read, keyID)
	if err != nil {
		return nil, err
	}
	raw, err := key.Open(wrapped, fileKeyLoc(a.ID))
	if err != nil {
		return nil, err
	}
	sk, err := security.NewStreamKey(raw, a.ID)
	if err != nil {
		return nil, err
	}
	f := &chunkFetcher{db: db, ctx: ctx, id: a.ID, bufs: make([][]byte, chunkBatch)}
	return security.NewChunkReader(sk, chunks, f.fetch), nil
}

// chunkFetcher reads a file's sealed chunks a few at a time into buffers
// it reuses: each read is one short query, so a slow download never holds
// a reader (and its snapshot, which holds back checkpoints) for long, and
// memory stays at chunkBatch chunks.
type chunkFetcher struct {
	db    *DB
	ctx   context.Context
	id    int64
	first int64 // the index of bufs[0]
	n     int   // how many of bufs hold chunks
	bufs  [][]byte
}

// fetch returns sealed chunk idx, valid until the next call.
func (f *chunkFetcher) fetch(idx int64, _ []byte) ([]byte, error) {
	if idx < f.first || idx >= f.first+int64(f.n) {
		if err := f.load(idx); err != nil {
			return nil, err
		}
	}
	if idx >= f.first+int64(f.n) {
		return nil, fmt.Errorf("store: attachment %d chunk %d is missing: %w", f.id, idx, security.ErrOpen)
	}
	return f.bufs[idx-f.first], nil
}

// load reads the chunks from idx on, up to the first gap.
func (f *chunkFetcher) load(idx int64) error {
	rows, err := f.db.stmts.fileChunks.QueryContext(f.ctx, f.id, idx, idx+chunkBatch)
	if err != nil {
		return fmt.Errorf("store: read attachment: %w", err)
	}
	defer rows.Close()
	f.first, f.n = idx, 0
	for rows.Next() {
		var i int64
		var raw sql.RawBytes // valid until Next: copied into a kept buffer
		if err := rows.Scan(&i, &raw); err != nil {
			return fmt.Errorf("store: read attachment: %w", err)
		}
		if i != idx+int64(f.n) {
			break // a gap: the missing chunk fails in fetch
		}
		f.bufs[f.n] = append(f.bufs[f.n][:0], raw...)
		f.n++
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store: read attachment: %w", err)
	}
	return rows.Close()
}

// DeleteAttachment deletes an attachment's bytes and key and keeps its row
// as a tombstone (name and size), with an attachment.deleted audit entry,
// in one transaction. Deleting a tombstone again is ErrNotFound.
func (db *DB) DeleteAttachment(ctx context.Context, ticketID, id int64, a Actor) (Attachment, error) {
	att, err := db.GetAttachment(ctx, ticketID, id)
	if err != nil {
		return Attachment{}, err
	}
	if att.Deleted {
		return Attachment{}, ErrNotFound
	}
	now := db.now()
	err = db.tx(ctx, func(tx *sql.Tx) error {
		n, err := changed(tx.ExecContext(ctx, `UPDATE attachments SET state = 'deleted', file_key = X'', deleted_at = ?, deleted_by = ?
			WHERE id = ? AND state = 'linked'`, nanos(now), a.Type+":"+a.ID, id))
		if err != nil {
			return fmt.Errorf("store: delete attachment: %w", err)
		}
		if n == 0 {
			return ErrNotFound // deleted meanwhile
		}
		if _, err := tx.ExecContext(ctx, "DELETE FROM attachment_chunks WHERE attachment_id = ?", id); err != nil {
			return fmt.Errorf("store: delete attachment: %w", err)
		}
		return db.appendAudit(ctx, tx, a, "attachment.deleted", TicketTarget(ticketID), map[string]any{
			"attachment": id, "message": att.MessageID, "size": att.Size, "content_type": att.ContentType,
		})
	})
	if err != nil {
		return Attachment{}, err
	}
	att.Deleted, att.DeletedAt = true, now
	// As in EraseCustomer: move the WAL into the file, whose freed pages
	// secure_delete has zeroed, so the old pages do not linger there.
	if _, err := db.write.ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		return att, fmt.Errorf("store: delete attachment: checkpoint: %w", err)
	}
	return att, nil
}
