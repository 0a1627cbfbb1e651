package store

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"safedesk/security"
)

// MaxAttachments is how many files one message may carry.
const MaxAttachments = 10

// DefaultAttachmentMaxSize is the largest file accepted unless configured
// otherwise: 20 MiB.
const DefaultAttachmentMaxSize int64 = 20 << 20

// StagedAttachmentTTL is how long a staged file may wait for its message;
// PurgeStagedAttachments deletes older ones (left by a crash).
const StagedAttachmentTTL = 24 * time.Hour

// chunkBatch is how many sealed chunks one transaction stores: a slow
// client never holds the single writer while its upload trickles in, and
// memory stays at this many chunks.
const chunkBatch = 8

// Attachment is a file on a ticket message. Name is plaintext here, sealed
// in the database with the customer's key. A deleted attachment remains as
// a tombstone: name and size, no bytes.
type Attachment struct {
	ID          int64
	TicketID    int64
	MessageID   int64
	Name        string
	Size        int64
	ContentType string
	// Stripped: hidden metadata (location, camera) was removed on upload.
	Stripped  bool
	Internal  bool // on an internal note: staff only
	Deleted   bool
	DeletedAt time.Time
	CreatedAt time.Time
}

// Previewable reports whether the file is a raster image that may be shown
// inline as a thumbnail.
func (a Attachment) Previewable() bool {
	if a.Deleted {
		return false
	}
	switch a.ContentType {
	case "image/png", "image/jpeg", "image/gif", "image/webp":
		return true
	}
	return false
}

// AttachmentTarget is how the audit log names an attachment.
func AttachmentTarget(id int64) string { return "attachment:" + strconv.FormatInt(id, 10) }

// AttachmentError is a file refused on upload. Problem says why in words
// for the person who chose it; the file's name stays out of Error, which
// may be logged.
type AttachmentError struct {
	Name     string
	Problem  string
	TooLarge bool // over the size limit: 413
}

// Error says what was refused, without the file's name.
func (e *AttachmentError) Error() string { return "store: attachment refused: " + e.Problem }

// Message is the problem with the file named, for the person: `"photo.png":
// it is empty.`
func (e *AttachmentError) Message() string {
	if e.Name == "" {
		return "A file: " + e.Problem + "."
	}
	return strconv.Quote(security.CleanFilename(e.Name)) + ": " + e.Problem + "."
}

// ErrAttachmentDeleted is a request for the bytes of an attachment that
// staff deleted: only its tombstone is left.
var ErrAttachmentDeleted = errors.New("store: attachment deleted")

// errTooLarge is a file past its upload's size limit.
var errTooLarge = errors.New("store: file too large")

// Upload collects the files of one message while they stream in: each Add
// stores one file, sealed, as staged rows; CreateTicket or AddMessage then
// link them to the message in the message's own transaction. A caller
// defers Discard, which removes whatever was not linked. Any caller can use
// it, not only HTTP: give each file's name and a reader of its bytes.
type Upload struct {
	db      *DB
	batch   []byte // binds the staged rows to this upload alone
	maxSize int64
	files   []Attachment
}

// NewUpload starts an upload of files of at most maxSize bytes each
// (DefaultAttachmentMaxSize when zero).
func (db *DB) NewUpload(maxSize int64) *Upload {
	if maxSize <= 0 {
		maxSize = DefaultAttachmentMaxSize
	}
	return &Upload{db: db, batch: []byte(rand.Text()), maxSize: maxSize}
}

// Files are the files added so far.
func (u *Upload) Files() []Attachment {
	if u == nil {
		return nil
	}
	return u.files
}

// MaxSize is the upload's limit per file.
func (u *Upload) MaxSize() int64 {
	if u == nil {
		return DefaultAttachmentMaxSize
	}
	return u.maxSize
}

// Add streams one file in: it checks the name, decides the type from the
// first bytes (security.SniffFile), strips photo metadata, seals the file
// in chunks under its own key and stores them as staged rows, a few chunks
// per transaction. A file refused is an *AttachmentError; on any error
// nothing of the file remains.
func (u *Upload) Add(ctx context.Context, name string, r io.Reader) (Attachment, error) {
	refuse := func(problem string) (Attachment, error) {
		return Attachment{}, &AttachmentError{Name: name, Problem: problem}
	}
	if len(u.files) >= MaxAttachments {
		return refuse(fmt.Sprintf("a message can carry at most %d files", MaxAttachments))
	}
	if p := security.CheckFilename(name); p != "" {
		return refuse(p)
	}
	lr := &limitReader{r: r, left: u.maxSize}
	head := make([]byte, security.SniffLen)
	n, err := io.ReadFull(lr, head)
	switch {
	case n == 0 && (err == nil || err == io.EOF):
		return refuse("it is empty")
	case err != nil && err != io.ErrUnexpectedEOF:
		return Attachment{}, u.fileError(name, err)
	}
	ft, err := security.SniffFile(head[:n], name)
	var ref *security.FileRefusal
	if errors.As(err, &ref) {
		return refuse(ref.Reason)
	}
	if err != nil {
		return Attachment{}, err
	}
	a := Attachment{Name: ft.FitName(name), ContentType: ft.MIME}
	id, raw, err := u.db.stageAttachment(ctx, u.batch, a)
	if err != nil {
		return Attachment{}, err
	}
	a.ID = id
	if err := u.db.fillAttachment(ctx, &a, raw, ft.Kind, io.MultiReader(bytes.NewReader(head[:n]), lr)); err != nil {
		// Whatever happened (a refusal, a cancel), the file's rows go.
		if derr := u.db.deleteStaged(context.WithoutCancel(ctx), "id = ?", id); derr != nil {
			err = errors.Join(err, derr)
		}
		return Attachment{}, u.fileError(name, err)
	}
	u.files = append(u.files, a)
	return a, nil
}

// fileError turns what went wrong while reading a file into what the
// person is told: too large, not a valid image, or the upload's own error.
func (u *Upload) fileError(name string, err error) error {
	var ref *security.FileRefusal
	switch {
	case errors.Is(err, errTooLarge):
		return &AttachmentError{Name: name, TooLarge: true,
			Problem: "it is larger than " + FormatSize(u.maxSize) + ", the most a file may be"}
	case errors.As(err, &ref):
		return &AttachmentError{Name: name, Problem: ref.Reason}
	}
	return err
}

// Discard deletes the files of the upload that no message took, with
// their chunks. It is safe to call after the upload was linked (it then
// deletes nothing); pass a context that outlives a cancelled request.
func (u *Upload) Discard(ctx context.Context) error {
	if u == nil {
		return nil
	}
	return u.db.deleteStaged(ctx, "batch = ?", u.batch)
}

// limitReader passes at most left bytes and fails with errTooLarge as soon
// as one more exists.
type limitReader struct {
	r    io.Reader
	left int64
}

func (l *limitReader) Read(p []byte) (int, error) {
	if l.left <= 0 {
		var one [1]byte
		n, err := l.r.Read(one[:])
		if n > 0 {
			return 0, errTooLarge
		}
		return 0, err
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	return n, err
}

func fileKeyLoc(id int64) security.Location {
	return security.Location{Table: "attachments", Column: "file_key", Row: id}
}

func fileNameLoc(id int64) security.Location {
	return security.Location{Table: "attachments", Column: "name", Row: id}
}

// stageAttachment stores the row of a file about to stream in, with a new
// file key sealed under the system key, and returns its id and raw key.
func (db *DB) stageAttachment(ctx context.Context, batch []byte, a Attachment) (int64, []byte, error) {
	raw := security.NewDataKey()
	var id int64
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var err error
		if id, err = nextID(ctx, tx, "attachments"); err != nil {
			return err
		}
		k := db.systemKey
		if _, err := tx.ExecContext(ctx, `INSERT INTO attachments (id, batch, key_id, file_key, name, content_type, state, created_at)
			VALUES (?, ?, ?, ?, ?, ?, 'uploading', ?)`, id, batch, k.ID(), k.Seal(raw, fileKeyLoc(id)),
			k.SealString(a.Name, fileNameLoc(id)), a.ContentType, nanos(db.now())); err != nil {
			return fmt.Errorf("store: stage attachment: %w", err)
		}
		return nil
	})
	return id, raw, err
}

// sealedChunk is a chunk waiting for its transaction.
type sealedChunk struct {
	idx  int64
	data []byte
}

// fillAttachment streams src through metadata stripping and chunk sealing
// into the staged row a.ID, then marks it staged with its size.
func (db *DB) fillAttachment(ctx context.Context, a *Attachment, raw []byte, kind string, src io.Reader) error {
	sk, err := security.NewStreamKey(raw, a.ID)
	if err != nil {
		return err
	}
	// The batch's buffers are reused from one transaction to the next.
	pending := make([]sealedChunk, 0, chunkBatch)
	bufs := make([][]byte, chunkBatch)
	flush := func() error {
		if len(pending) == 0 {
			return nil
		}
		err := db.tx(ctx, func(tx *sql.Tx) error {
			ins := tx.StmtContext(ctx, db.stmts.fileChunkIns)
			for _, c := range pending {
				if _, err := ins.ExecContext(ctx, a.ID, c.idx, c.data); err != nil {
					return fmt.Errorf("store: store attachment: %w", err)
				}
			}
			return nil
		})
		pending = pending[:0]
		return err
	}
	cw := security.NewChunkWriter(sk, func(idx int64, sealed []byte) error {
		i := len(pending)
		bufs[i] = append(bufs[i][:0], sealed...)
		pending = append(pending, sealedChunk{idx, bufs[i]})
		if len(pending) == chunkBatch {
			return flush()
		}
		return nil
	})
	if a.Stripped, err = security.StripMetadata(kind, src, cw, cw.PatchHead); err != nil {
		return err
	}
	chunks, size, err := cw.Close()
	if err != nil {
		return err
	}
	if err := flush(); err != nil {
		return err
	}
	a.Size, a.CreatedAt = size, db.now()
	res, err := db.write.ExecContext(ctx, `UPDATE attachments SET size = ?, chunks = ?, stripped = ?, state = 'staged'
		WHERE id = ? AND state = 'uploading'`, size, chunks, a.Stripped, a.ID)
	n, err := changed(res, err)
	if err != nil {
		return fmt.Errorf("store: store attachment: %w", err)
	}
	if n != 1 {
		return fmt.Errorf("store: staged attachment %d vanished: %w", a.ID, ErrNotFound)
	}
	return nil
}

// deleteStaged deletes staged files (never linked ones) matching where.
func (db *DB) deleteStaged(ctx context.Context, where string, arg any) error {
	if _, err := db.write.ExecContext(ctx, "DELETE FROM attachments WHERE message_id IS NULL AND "+where, arg); err != nil {
		return fmt.Errorf("store: discard attachments: %w", err)
	}
	return nil
}

// PurgeStagedAttachments deletes staged files older than StagedAttachmentTTL
// that no message took (an upload cut off by a crash), and returns how many
// went; the files of a held email reply wait for its decision
// (store/email_files.go). main schedules it.
func (db *DB) PurgeStagedAttachments(ctx context.Context) (int64, error) {
	n, err := changed(db.write.ExecContext(ctx, "DELETE FROM attachments WHERE message_id IS NULL AND quarantine_id IS NULL AND created_at < ?",
		nanos(db.now().Add(-StagedAttachmentTTL))))
	if err != nil {
		return 0, fmt.Errorf("store: purge staged attachments: %w", err)
	}
	return n, nil
}

// linkUpload links the staged files of u to message messageID of ticket
// ticketID inside tx (messageID 0: the ticket's first message): each file
// key and name is sealed again under key, the customer's, and each file
// gets an attachment.uploaded audit entry.
func (db *DB) linkUpload(ctx context.Context, tx *sql.Tx, u *Upload, key *security.DataKey, ticketID, messageID int64, a Actor) error {
	if u == nil || len(u.files) == 0 {
		return nil
	}
	if messageID == 0 {
		if err := tx.QueryRowContext(ctx, "SELECT MIN(id) FROM messages WHERE ticket_id = ?", ticketID).Scan(&messageID); err != nil {
			return fmt.Errorf("store: link attachments: %w", err)
		}
	}
	return db.rekeyUpload(ctx, tx, u, key, func(f *Attachment, fileKey, name []byte) error {
		if _, err := tx.ExecContext(ctx, `UPDATE attachments SET ticket_id = ?, message_id = ?, batch = NULL, key_id = ?, file_key = ?, name = ?,
			state = 'linked' WHERE id = ?`, ticketID, messageID, key.ID(), fileKey, name, f.ID); err != nil {
			return fmt.Errorf("store: link attachments: %w", err)
		}
		f.TicketID, f.MessageID = ticketID, messageID
		return db.auditUploaded(ctx, tx, a, *f)
	})
}

// auditUploaded records that file f joined its message.
func (db *DB) auditUploaded(ctx context.Context, tx *sql.Tx, a Actor, f Attachment) error {
	return db.appendAudit(ctx, tx, a, "attachment.uploaded", TicketTarget(f.TicketID), map[string]any{
		"attachment": f.ID, "message": f.MessageID, "size": f.Size, "content_type": f.ContentType, "metadata_removed": f.Stripped,
	})
}

// rekeyUpload opens the file key of each staged file of u inside tx and
// hands it to move sealed again under key, with the file's name, for the
// row's new home.
func (db *DB) rekeyUpload(ctx context.Context, tx *sql.Tx, u *Upload, key *security.DataKey, move func(f *Attachment, fileKey, name []byte) error) error {
	for i := range u.files {
		f := &u.files[i]
		var keyID int64
		var wrapped, name []byte
		err := tx.QueryRowContext(ctx, "SELECT key_id, file_key, name FROM attachments WHERE id = ? AND batch = ? AND state = 'staged'",
			f.ID, u.batch).Scan(&keyID, &wrapped, &name)
		if errors.Is(err, sql.ErrNoRows) {
			return &AttachmentError{Name: f.Name, Problem: "it was removed before the message was sent; please choose it again"}
		}
		if err != nil {
			return fmt.Errorf("store: link attachments: %w", err)
		}
		staging, err := db.dataKey(ctx, tx, keyID)
		if err != nil {
			return err
		}
		raw, err := staging.Open(wrapped, fileKeyLoc(f.ID))
		if err != nil {
			return err
		}
		if err := move(f, key.Seal(raw, fileKeyLoc(f.ID)), key.SealString(f.Name, fileNameLoc(f.ID))); err != nil {
			return err
		}
	}
	return nil
}

// FormatSize writes a byte count for people: "20 MB", "340 KB", "12 bytes"
// (binary units, as file managers on most systems count).
func FormatSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + " MB"
	case n >= 1<<20:
		return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MB"
	case n >= 1<<10:
		return strconv.FormatInt((n+512)>>10, 10) + " KB"
	case n == 1:
		return "1 byte"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}
