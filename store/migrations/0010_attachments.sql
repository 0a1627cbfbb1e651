-- Attachments: files on ticket messages. They live inside the database, so
-- that one file holds everything: backups, restore, erasure and retention
-- cover them with no extra step, and a file is linked to its message in the
-- same transaction that stores the message.
--
-- Each file has its own random key, sealed (file_key) under the key of
-- key_id: the system key while the file is staged (uploaded, its message
-- not yet stored), then the owning customer's key, so that erasing the
-- customer (crypto-shredding) makes every file of theirs unreadable, in
-- any copy. The name is sealed the same way; type and size are not
-- personal and stay plain for listings. A deleted attachment keeps its row
-- as a tombstone (name and size) without its key or its bytes.
CREATE TABLE attachments (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id    INTEGER REFERENCES tickets(id) ON DELETE CASCADE,
    message_id   INTEGER REFERENCES messages(id) ON DELETE CASCADE,
    batch        BLOB,
    key_id       INTEGER NOT NULL REFERENCES keys(id),
    file_key     BLOB    NOT NULL,
    name         BLOB    NOT NULL,
    content_type TEXT    NOT NULL,
    size         INTEGER NOT NULL DEFAULT 0,
    chunks       INTEGER NOT NULL DEFAULT 0,
    stripped     INTEGER NOT NULL DEFAULT 0 CHECK (stripped IN (0, 1)),
    state        TEXT    NOT NULL CHECK (state IN ('uploading', 'staged', 'linked', 'deleted')),
    created_at   INTEGER NOT NULL,
    deleted_at   INTEGER,
    deleted_by   TEXT,
    CHECK ((state IN ('linked', 'deleted')) = (message_id IS NOT NULL AND ticket_id IS NOT NULL))
) STRICT;
CREATE INDEX attachments_by_ticket ON attachments(ticket_id, id);
CREATE INDEX attachments_by_message ON attachments(message_id);
CREATE INDEX attachments_staged ON attachments(created_at) WHERE message_id IS NULL;

-- The sealed chunks of each file (security.ChunkSize of plaintext each).
CREATE TABLE attachment_chunks (
    attachment_id INTEGER NOT NULL REFERENCES attachments(id) ON DELETE CASCADE,
    idx           INTEGER NOT NULL,
    data          BLOB    NOT NULL,
    PRIMARY KEY (attachment_id, idx)
) STRICT;
