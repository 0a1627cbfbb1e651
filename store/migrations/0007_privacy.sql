-- Privacy: which customer each customer session belongs to, so that
-- erasing a customer ends their sessions in the same transaction, and the
-- register of erasure requests.

-- A verified customer's sessions, by the SHA-256 of the token like
-- sessions. Deleting a customer (erasure, retention) cascades here, and the
-- trigger below deletes the session itself; a session that ends on its own
-- takes its row along.
CREATE TABLE customer_sessions (
    token_hash  BLOB    PRIMARY KEY,
    customer_id INTEGER NOT NULL REFERENCES customers(id) ON DELETE CASCADE,
    created_at  INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX customer_sessions_by_customer ON customer_sessions(customer_id);
CREATE TRIGGER customer_sessions_end AFTER DELETE ON customer_sessions BEGIN
    DELETE FROM sessions WHERE token_hash = old.token_hash;
END;
CREATE TRIGGER sessions_forget_customer AFTER DELETE ON sessions BEGIN
    DELETE FROM customer_sessions WHERE token_hash = old.token_hash;
END;

-- Erasure requests: how each request arrived, when, and the tombstone of
-- the erasure that answered it, for accountability ("we received it on this
-- day by letter and erased on that day"). Nothing personal: the customer is
-- gone, reference is a short note such as the number of a letter, checked
-- to hold no address or phone number, and handled_by names staff by id.
CREATE TABLE erasure_requests (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    tombstone_id TEXT    NOT NULL UNIQUE REFERENCES customer_tombstones(tombstone_id),
    channel      TEXT    NOT NULL
                 CHECK (channel IN ('portal', 'email', 'phone', 'letter', 'in_person', 'other')),
    reference    TEXT    NOT NULL DEFAULT '',
    received_at  INTEGER NOT NULL,
    erased_at    INTEGER NOT NULL,
    handled_by   TEXT    NOT NULL
) STRICT;
CREATE INDEX erasure_requests_by_received ON erasure_requests(received_at);
