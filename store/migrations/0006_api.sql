-- The public API: OAuth2 clients, API tokens, webhooks and their delivery
-- queue, and tombstones of erased customers.

-- OAuth2 clients (client credentials grant). Only the SHA-256 of the secret
-- is kept; client_id is public.
CREATE TABLE oauth_clients (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id    TEXT    NOT NULL UNIQUE,
    secret_hash  BLOB    NOT NULL,
    name         TEXT    NOT NULL,
    scopes       TEXT    NOT NULL, -- space-separated
    allow_from   TEXT    NOT NULL DEFAULT '', -- space-separated CIDRs; empty: anywhere
    created_by   TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    revoked_at   INTEGER,
    last_used_at INTEGER,
    last_used_ip TEXT    NOT NULL DEFAULT ''
) STRICT;

-- API tokens: personal tokens (made in the admin panel or on the command
-- line) and OAuth2 access tokens (kind 'oauth', always expiring). Only the
-- SHA-256 of a token is kept; hint is its last four characters, for people
-- to tell tokens apart.
CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    kind         TEXT    NOT NULL CHECK (kind IN ('personal', 'oauth')),
    client_id    INTEGER REFERENCES oauth_clients(id) ON DELETE CASCADE,
    token_hash   BLOB    NOT NULL UNIQUE,
    hint         TEXT    NOT NULL,
    name         TEXT    NOT NULL,
    scopes       TEXT    NOT NULL, -- space-separated
    allow_from   TEXT    NOT NULL DEFAULT '',
    created_by   TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER,
    revoked_at   INTEGER,
    last_used_at INTEGER,
    last_used_ip TEXT    NOT NULL DEFAULT '',
    CHECK ((kind = 'oauth') = (client_id IS NOT NULL)),
    CHECK (kind = 'personal' OR expires_at IS NOT NULL)
) STRICT;
CREATE INDEX api_tokens_by_client ON api_tokens(client_id) WHERE client_id IS NOT NULL;
CREATE INDEX api_tokens_by_expiry ON api_tokens(expires_at) WHERE kind = 'oauth';

-- Webhooks. The URL (it may carry a credential) and the signing secret are
-- sealed with the system key. created_seq and created_event are the last
-- audit entry and security event when the webhook was made: only later
-- events are delivered to it.
CREATE TABLE webhooks (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    url             BLOB    NOT NULL,
    secret          BLOB    NOT NULL,
    events          TEXT    NOT NULL, -- space-separated
    description     TEXT    NOT NULL DEFAULT '',
    active          INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    failures        INTEGER NOT NULL DEFAULT 0, -- consecutive failed attempts
    disabled_at     INTEGER,
    disabled_reason TEXT    NOT NULL DEFAULT '',
    created_seq     INTEGER NOT NULL,
    created_event   INTEGER NOT NULL,
    created_by      TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
) STRICT;

-- The delivery queue: one row per event and webhook. msg_id stays the same
-- across retries so receivers can deduplicate. Payloads carry ids only.
CREATE TABLE webhook_deliveries (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    webhook_id      INTEGER NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
    msg_id          TEXT    NOT NULL UNIQUE,
    event           TEXT    NOT NULL,
    payload         BLOB    NOT NULL,
    state           TEXT    NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    finished_at     INTEGER
) STRICT;
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(next_attempt_at) WHERE state = 'pending';
CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries(webhook_id, id);
CREATE INDEX webhook_deliveries_finished ON webhook_deliveries(finished_at) WHERE state != 'pending';

-- The delivery log: one row per attempt, with the receiver's status code
-- (0 when no response came) and a short error.
CREATE TABLE webhook_attempts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id INTEGER NOT NULL REFERENCES webhook_deliveries(id) ON DELETE CASCADE,
    webhook_id  INTEGER NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
    attempt     INTEGER NOT NULL,
    at          INTEGER NOT NULL,
    status_code INTEGER NOT NULL,
    error       TEXT    NOT NULL DEFAULT '',
    duration_ms INTEGER NOT NULL
) STRICT;
CREATE INDEX webhook_attempts_by_webhook ON webhook_attempts(webhook_id, id);
CREATE INDEX webhook_attempts_by_delivery ON webhook_attempts(delivery_id);

-- How far the webhook dispatcher has read the audit log and the security
-- events. Events are taken from audit entries, which are written in the same
-- transaction as the change they record, so no committed change can miss
-- its event; security.alert is every critical security event.
CREATE TABLE webhook_cursor (
    id        INTEGER PRIMARY KEY CHECK (id = 1),
    audit_seq INTEGER NOT NULL,
    event_id  INTEGER NOT NULL
) STRICT;
INSERT INTO webhook_cursor (id, audit_seq, event_id)
    SELECT 1, COALESCE((SELECT MAX(seq) FROM audit_log), 0), COALESCE((SELECT MAX(id) FROM security_events), 0);

-- Erased customers: a random id and a time, nothing else. Their data key
-- is destroyed, so nothing sealed for them can ever be opened again.
CREATE TABLE customer_tombstones (
    tombstone_id TEXT    PRIMARY KEY,
    erased_at    INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
