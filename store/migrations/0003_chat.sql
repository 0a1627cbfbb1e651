-- Chat: conversations with the assistant and, after a hand-off, with staff.
--
-- A conversation belongs to a visitor token (only its SHA-256 is kept) and,
-- once the visitor verifies an address, to that customer. Its messages are
-- sealed with key_id: the system key while the visitor is anonymous, the
-- customer's own key from the moment they verify (every message is re-sealed
-- then), so erasing a customer crypto-shreds their chats too.
CREATE TABLE chat_conversations (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    visitor_hash     BLOB    NOT NULL UNIQUE,
    customer_id      INTEGER REFERENCES customers(id) ON DELETE CASCADE,
    key_id           INTEGER NOT NULL REFERENCES keys(id),
    status           TEXT    NOT NULL DEFAULT 'bot'
                     CHECK (status IN ('bot', 'waiting', 'agent', 'closed')),
    assignee_id      INTEGER,
    consent_version  TEXT    NOT NULL,
    consent_at       INTEGER NOT NULL,
    handoff_at       INTEGER,
    handoff_deadline INTEGER,
    timeout_notified INTEGER NOT NULL DEFAULT 0 CHECK (timeout_notified IN (0, 1)),
    ticket_id        INTEGER REFERENCES tickets(id) ON DELETE SET NULL,
    probes           INTEGER NOT NULL DEFAULT 0,
    closed_reason    TEXT    NOT NULL DEFAULT ''
                     CHECK (closed_reason IN ('', 'visitor', 'agent', 'ticket', 'probing', 'expired')),
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
) STRICT;
CREATE INDEX chat_conversations_by_status ON chat_conversations(status, handoff_at);
CREATE INDEX chat_conversations_by_customer ON chat_conversations(customer_id);
CREATE INDEX chat_conversations_by_created ON chat_conversations(created_at);
CREATE INDEX chat_conversations_by_updated ON chat_conversations(updated_at);

-- Messages: body (and a bot reply's extra: its quote, links and the
-- customer's ticket summaries) sealed with the conversation's key. intent and
-- outcome say what the assistant made of a visitor's message and what it did;
-- article names the cited article: none of them is personal, so they stay
-- plain for the insight page.
CREATE TABLE chat_messages (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id INTEGER NOT NULL REFERENCES chat_conversations(id) ON DELETE CASCADE,
    author          TEXT    NOT NULL CHECK (author IN ('visitor', 'bot', 'agent', 'system')),
    staff_id        INTEGER,
    body            BLOB    NOT NULL,
    extra           BLOB,
    intent          TEXT    NOT NULL DEFAULT '',
    outcome         TEXT    NOT NULL DEFAULT '',
    article         TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL
) STRICT;
CREATE INDEX chat_messages_by_conversation ON chat_messages(conversation_id, id);
CREATE INDEX chat_messages_by_outcome ON chat_messages(outcome, created_at);

-- Term statistics of the knowledge base (document frequency per stemmed
-- term), which the assistant uses to weigh the words of a question.
CREATE VIRTUAL TABLE kb_vocab USING fts5vocab('kb_fts', 'row');
