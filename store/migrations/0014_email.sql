-- The email channel: customers write to the support address, safedesk reads
-- the mailbox over IMAP, and replies thread both ways. Everything personal
-- is sealed with the customer's key like the rest; the tables that outlive
-- a ticket (the log of what was read) hold keyed hashes only.

-- Where each message was written: email, portal, chat or api (the
-- ticket's own channel is migration 0011's). Staff messages written in the
-- panel take their ticket's channel; so do, for messages from before this
-- migration, a ticket's first message and every message not a customer's.
ALTER TABLE messages ADD COLUMN channel TEXT NOT NULL DEFAULT 'portal'
    CHECK (channel IN ('portal', 'email', 'chat', 'api'));
UPDATE messages SET channel = (SELECT channel FROM tickets WHERE tickets.id = messages.ticket_id)
    WHERE author_type <> 'customer' OR id = (SELECT MIN(id) FROM messages m WHERE m.ticket_id = messages.ticket_id);
CREATE INDEX tickets_by_channel ON tickets(channel, id);

-- An email ticket whose sender was not authenticated is an unconfirmed
-- ticket (tickets.confirmed = 0, migration 0009: "sender not verified")
-- until a person confirms it. A ticket whose mail bounced is marked.
ALTER TABLE tickets ADD COLUMN delivery_failed_at INTEGER;
ALTER TABLE tickets ADD COLUMN delivery_status TEXT NOT NULL DEFAULT '';

-- The mailbox read over IMAP: where reading stands (UIDVALIDITY and the
-- last UID done; a new UIDVALIDITY starts again from the first message,
-- and the log below keeps anything from being imported twice) and how the
-- last round went, for the settings page, doctor and the one alert mail.
CREATE TABLE email_mailboxes (
    name          TEXT    PRIMARY KEY, -- host and mailbox, never credentials
    uid_validity  INTEGER NOT NULL DEFAULT 0,
    last_uid      INTEGER NOT NULL DEFAULT 0,
    polled_at     INTEGER,
    ok_at         INTEGER,
    failing_since INTEGER,
    error         TEXT    NOT NULL DEFAULT '',
    alerted       INTEGER NOT NULL DEFAULT 0 CHECK (alerted IN (0, 1)),
    idle          INTEGER NOT NULL DEFAULT 0 CHECK (idle IN (0, 1)),
    imported      INTEGER NOT NULL DEFAULT 0,
    first_read_at INTEGER
) STRICT;

-- Every message read from the mailbox, once, and what became of it. The
-- Message-ID and the content are kept only as keyed hashes (the blind
-- index key): the same message delivered twice has the same pair and is
-- imported once. Rows stay when their ticket goes (retention, erasure), so
-- a re-read mailbox never brings an erased conversation back.
CREATE TABLE email_log (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    mailbox       TEXT    NOT NULL,
    uid_validity  INTEGER NOT NULL,
    uid           INTEGER NOT NULL,
    msgid_index   BLOB    NOT NULL,
    content_index BLOB    NOT NULL,
    outcome       TEXT    NOT NULL CHECK (outcome IN
                  ('ticket', 'reply', 'quarantined', 'bounce', 'too_large', 'unreadable', 'ignored')),
    ticket_id     INTEGER REFERENCES tickets(id) ON DELETE SET NULL,
    size          INTEGER NOT NULL,
    at            INTEGER NOT NULL,
    UNIQUE (msgid_index, content_index)
) STRICT;
CREATE INDEX email_log_by_outcome ON email_log(outcome, id);

-- What an emailed message carried besides its text, sealed with the
-- customer's key: the sender, the verdict on it, the whole text before
-- quotes and signature were trimmed, its Message-ID (for our replies'
-- In-Reply-To), its header section for staff who need the headers, and
-- the files that were not stored (name and why). Of the raw message only
-- the header section is kept: the body is kept as text with secrets
-- redacted, the files in the attachment store; a copy of the raw body
-- would keep the card numbers and passwords that redaction removed.
CREATE TABLE email_messages (
    message_id    INTEGER PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
    authenticated INTEGER NOT NULL CHECK (authenticated IN (0, 1)),
    automatic     INTEGER NOT NULL DEFAULT 0 CHECK (automatic IN (0, 1)),
    msgid_index   BLOB    NOT NULL,
    sealed        BLOB    NOT NULL, -- JSON: sender, verdict, full text, Message-ID, headers, files not stored
    at            INTEGER NOT NULL
) STRICT;
CREATE INDEX email_messages_by_msgid ON email_messages(msgid_index);

-- Replies held back: not authenticated, or not from the ticket's
-- customer. They are part of no conversation until a person accepts one
-- (it becomes a message) or dismisses it.
CREATE TABLE email_quarantine (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id     INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    reason        TEXT    NOT NULL CHECK (reason IN ('not_authenticated', 'not_customer', 'neither')),
    authenticated INTEGER NOT NULL CHECK (authenticated IN (0, 1)),
    automatic     INTEGER NOT NULL DEFAULT 0 CHECK (automatic IN (0, 1)),
    msgid_index   BLOB    NOT NULL,
    sealed        BLOB    NOT NULL, -- JSON like email_messages, plus the subject and the trimmed text
    received_at   INTEGER NOT NULL,
    decision      TEXT    CHECK (decision IN ('accepted', 'dismissed')),
    decided_at    INTEGER,
    decided_by    TEXT,
    message_id    INTEGER REFERENCES messages(id) ON DELETE SET NULL
) STRICT;
CREATE INDEX email_quarantine_pending ON email_quarantine(decision, id);
CREATE INDEX email_quarantine_by_ticket ON email_quarantine(ticket_id);

-- The Message-IDs of the mail we sent about a ticket: a reply whose
-- In-Reply-To or References names one belongs to that ticket. Our own
-- Message-IDs hold nothing personal.
CREATE TABLE email_sent (
    msgid_index BLOB    PRIMARY KEY,
    ticket_id   INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    header_id   TEXT    NOT NULL,
    kind        TEXT    NOT NULL,
    automatic   INTEGER NOT NULL CHECK (automatic IN (0, 1)),
    address_index BLOB  NOT NULL,
    at          INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX email_sent_by_ticket ON email_sent(ticket_id, at);
CREATE INDEX email_sent_automatic ON email_sent(address_index, at) WHERE automatic = 1;

-- The files of a held reply wait with it, sealed under the customer's key,
-- until a person accepts the reply (they are then linked to its message)
-- or dismisses it (they are deleted). They are no staged upload: the hourly
-- purge of staged files leaves them alone, and they go with their reply,
-- whose ticket takes it along.
ALTER TABLE attachments ADD COLUMN quarantine_id INTEGER REFERENCES email_quarantine(id) ON DELETE CASCADE;
CREATE INDEX attachments_held ON attachments(quarantine_id) WHERE quarantine_id IS NOT NULL;
