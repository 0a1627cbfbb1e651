-- Keys: data-encryption keys wrapped by the master key. One per customer
-- (purpose 'customer'), plus system keys ('blind-index', 'session', 'system').
CREATE TABLE keys (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    purpose    TEXT    NOT NULL,
    wrapped    BLOB    NOT NULL,
    created_at INTEGER NOT NULL
) STRICT;

-- Customers: email and name sealed with the customer's own key; lookups by
-- the blind index of the normalised address.
CREATE TABLE customers (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    key_id      INTEGER NOT NULL REFERENCES keys(id),
    email_index BLOB    NOT NULL UNIQUE,
    email       BLOB    NOT NULL,
    name        BLOB    NOT NULL,
    verified_at INTEGER,
    created_at  INTEGER NOT NULL
) STRICT;

CREATE TABLE tickets (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    subject     BLOB    NOT NULL,
    status      TEXT    NOT NULL DEFAULT 'open'
                CHECK (status IN ('open', 'pending', 'solved', 'closed')),
    priority    TEXT    NOT NULL DEFAULT 'normal'
                CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
    assignee_id INTEGER,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX tickets_by_customer ON tickets(customer_id, updated_at DESC);
CREATE INDEX tickets_by_status ON tickets(status, updated_at DESC);

CREATE TABLE messages (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id   INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
    author_type TEXT    NOT NULL CHECK (author_type IN ('customer', 'staff', 'bot', 'system')),
    author_id   INTEGER,
    internal    INTEGER NOT NULL DEFAULT 0 CHECK (internal IN (0, 1)),
    body        BLOB    NOT NULL,
    created_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX messages_by_ticket ON messages(ticket_id, id);

-- Knowledge base: public, plaintext, indexed by FTS5 (BM25, Porter stemming).
CREATE TABLE kb_articles (
    id         INTEGER PRIMARY KEY,
    slug       TEXT    NOT NULL UNIQUE,
    title      TEXT    NOT NULL,
    body       TEXT    NOT NULL,
    published  INTEGER NOT NULL DEFAULT 1 CHECK (published IN (0, 1)),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;

CREATE VIRTUAL TABLE kb_fts USING fts5(
    title, body,
    content = 'kb_articles', content_rowid = 'id',
    tokenize = 'porter unicode61 remove_diacritics 2'
);
CREATE TRIGGER kb_articles_ai AFTER INSERT ON kb_articles BEGIN
    INSERT INTO kb_fts(rowid, title, body) VALUES (new.id, new.title, new.body);
END;
CREATE TRIGGER kb_articles_ad AFTER DELETE ON kb_articles BEGIN
    INSERT INTO kb_fts(kb_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);
END;
CREATE TRIGGER kb_articles_au AFTER UPDATE OF title, body ON kb_articles BEGIN
    INSERT INTO kb_fts(kb_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);
    INSERT INTO kb_fts(rowid, title, body) VALUES (new.id, new.title, new.body);
END;

-- One-time codes: only a keyed hash of the code is kept.
CREATE TABLE verification_codes (
    id          INTEGER PRIMARY KEY,
    email_index BLOB    NOT NULL,
    code_hash   BLOB    NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER,
    created_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX verification_codes_by_email ON verification_codes(email_index, created_at);

-- Sessions: the SHA-256 of the token, never the token; data sealed.
CREATE TABLE sessions (
    token_hash BLOB    PRIMARY KEY,
    data       BLOB    NOT NULL,
    expiry     INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX sessions_by_expiry ON sessions(expiry);

-- The audit log: append-only, each entry hashing the one before.
CREATE TABLE audit_log (
    seq        INTEGER PRIMARY KEY,
    at         INTEGER NOT NULL,
    actor_type TEXT    NOT NULL,
    actor_id   TEXT    NOT NULL,
    action     TEXT    NOT NULL,
    target     TEXT    NOT NULL,
    client_ip  TEXT    NOT NULL,
    details    BLOB,
    prev_hash  BLOB    NOT NULL,
    hash       BLOB    NOT NULL
) STRICT;
CREATE INDEX audit_log_by_action ON audit_log(action, seq);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
