-- The staff workday (issue 15): due times, tags, saved replies, staff
-- notifications and availability, and customers' remembered devices.

-- Due times. opened_at is when the ticket was opened, or reopened after it
-- was solved or closed: the targets count from there, in business hours.
-- first_response_at is the first staff reply since then; solved_at when it
-- was last solved or closed (NULL while it is not). due_at is the next
-- target (first response, then resolution), NULL when nothing is due from
-- the team: pending, solved, closed, or no target set. The store computes
-- it at every change that moves it (store/due.go).
ALTER TABLE tickets ADD COLUMN opened_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tickets ADD COLUMN first_response_at INTEGER;
ALTER TABLE tickets ADD COLUMN solved_at INTEGER;
ALTER TABLE tickets ADD COLUMN due_at INTEGER;
UPDATE tickets SET opened_at = created_at;
UPDATE tickets SET first_response_at = (SELECT MIN(m.created_at) FROM messages m
    WHERE m.ticket_id = tickets.id AND m.author_type = 'staff' AND m.internal = 0);
UPDATE tickets SET solved_at = updated_at WHERE status IN ('solved', 'closed');
CREATE INDEX tickets_by_due ON tickets(due_at, id) WHERE due_at IS NOT NULL;
CREATE INDEX tickets_by_created ON tickets(created_at);

-- Tags: free labels staff put on tickets. A label may say more than it
-- should ("vip-jane-doe"), so it is sealed with the system key like other
-- free text; label_index, a keyed hash of the folded label, finds it for
-- filters. A label no ticket carries any more is deleted with its last use,
-- so erasing a customer's tickets takes labels only they had along.
CREATE TABLE tags (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    label_index BLOB    NOT NULL UNIQUE,
    label       BLOB    NOT NULL
) STRICT;
CREATE TABLE ticket_tags (
    tag_id    INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE,
    ticket_id INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    PRIMARY KEY (tag_id, ticket_id)
) STRICT, WITHOUT ROWID;
CREATE INDEX ticket_tags_by_ticket ON ticket_tags(ticket_id);
CREATE TRIGGER ticket_tags_prune AFTER DELETE ON ticket_tags BEGIN
    DELETE FROM tags WHERE id = old.tag_id AND NOT EXISTS (SELECT 1 FROM ticket_tags WHERE tag_id = old.tag_id);
END;

-- Saved replies: templates written by the team for every customer, with
-- placeholders filled in when one is used; no personal data, so plaintext
-- like knowledge-base articles. status, when set, is what the ticket
-- becomes when the reply is sent.
CREATE TABLE saved_replies (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    title      TEXT    NOT NULL UNIQUE,
    body       TEXT    NOT NULL,
    status     TEXT    NOT NULL DEFAULT '' CHECK (status IN ('', 'open', 'pending', 'solved', 'closed')),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;

-- Each staff member's notification choices (off, at once, or in the daily
-- digest, per event), whether they take chats now, and the last failure
-- of a mail to them (a relay's permanent refusal shows on the staff page).
-- No row: the defaults.
CREATE TABLE staff_prefs (
    staff_id       INTEGER PRIMARY KEY REFERENCES staff(id) ON DELETE CASCADE,
    new_ticket     TEXT    NOT NULL DEFAULT 'now' CHECK (new_ticket IN ('off', 'now', 'digest')),
    customer_reply TEXT    NOT NULL DEFAULT 'now' CHECK (customer_reply IN ('off', 'now', 'digest')),
    assigned       TEXT    NOT NULL DEFAULT 'now' CHECK (assigned IN ('off', 'now', 'digest')),
    chat_waiting   TEXT    NOT NULL DEFAULT 'off' CHECK (chat_waiting IN ('off', 'now', 'digest')),
    due_soon       TEXT    NOT NULL DEFAULT 'off' CHECK (due_soon IN ('off', 'now', 'digest')),
    available      INTEGER NOT NULL DEFAULT 0 CHECK (available IN (0, 1)),
    mail_failed_at INTEGER,
    mail_failure   TEXT    NOT NULL DEFAULT ''
) STRICT;

-- Staff notifications waiting for their mail. Events come from the audit
-- log, whose entries are written in the same transaction as the change
-- they record: the collector reads it past its cursor and queues one row
-- per event and person in one transaction with the cursor's move, so that
-- a crash loses no event and repeats none. source names the event
-- ("audit:SEQ", or "due:TICKET:DUE_AT" for a due time about to be missed);
-- it is unique per person, so nobody is told of one event twice.
CREATE TABLE notify_cursor (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    audit_seq INTEGER NOT NULL
) STRICT;
INSERT INTO notify_cursor (id, audit_seq) VALUES (1, COALESCE((SELECT MAX(seq) FROM audit_log), 0));
CREATE TABLE staff_notifications (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    staff_id   INTEGER NOT NULL REFERENCES staff(id) ON DELETE CASCADE,
    event      TEXT    NOT NULL,
    source     TEXT    NOT NULL,
    ticket_id  INTEGER REFERENCES tickets(id) ON DELETE CASCADE,
    chat_id    INTEGER REFERENCES chat_conversations(id) ON DELETE CASCADE,
    digest     INTEGER NOT NULL CHECK (digest IN (0, 1)),
    created_at INTEGER NOT NULL,
    sent_at    INTEGER,
    UNIQUE (staff_id, source)
) STRICT;
CREATE INDEX staff_notifications_waiting ON staff_notifications(digest, staff_id) WHERE sent_at IS NULL;
CREATE INDEX staff_notifications_by_time ON staff_notifications(created_at);

-- Devices a customer chose to stay signed in on for 30 days: only the
-- SHA-256 of the device cookie's token is kept. Sessions opened with a
-- device end with it (revoked by the customer or by staff), and erasing
-- the customer removes both.
CREATE TABLE customer_devices (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id  INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    token_hash   BLOB    NOT NULL UNIQUE,
    device       TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
) STRICT;
CREATE INDEX customer_devices_by_customer ON customer_devices(customer_id);
ALTER TABLE customer_sessions ADD COLUMN device_id INTEGER REFERENCES customer_devices(id) ON DELETE CASCADE;
