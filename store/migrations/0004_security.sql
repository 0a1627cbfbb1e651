-- Security: signed audit checkpoints, the audit viewer's indexes, persisted
-- blocks, the client address of customer sessions, and traffic counts for
-- the security dashboard. Clients are named by address: an IPv4 address, or
-- the /64 prefix of an IPv6 address (one subscriber's network).

-- Signed checkpoints of the audit log: "the entry with seq had this hash at
-- this time", signed with the Ed25519 key beside the master key
-- (security.SignCheckpoint). A verifier holding the public key then detects
-- entries cut off the end of the log, not only edits in the middle. Like the
-- log, the table is append-only.
CREATE TABLE audit_checkpoints (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    seq        INTEGER NOT NULL CHECK (seq > 0),
    hash       BLOB    NOT NULL,
    at         INTEGER NOT NULL,
    reason     TEXT    NOT NULL CHECK (reason IN ('periodic', 'backup', 'shutdown', 'manual')),
    public_key BLOB    NOT NULL,
    signature  BLOB    NOT NULL
) STRICT;
CREATE INDEX audit_checkpoints_by_seq ON audit_checkpoints(seq);
CREATE TRIGGER audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints BEGIN
    SELECT RAISE(ABORT, 'audit_checkpoints is append-only');
END;
CREATE TRIGGER audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints BEGIN
    SELECT RAISE(ABORT, 'audit_checkpoints is append-only');
END;

-- The audit viewer filters by actor, target and time.
CREATE INDEX audit_log_by_actor ON audit_log(actor_type, actor_id, seq);
CREATE INDEX audit_log_by_target ON audit_log(target, seq);
CREATE INDEX audit_log_by_time ON audit_log(at);

-- Blocks of clients by the abuse guard, so that they survive a restart. One
-- row per client: its latest block. Its history is in the audit log
-- (security.blocked, security.block_lifted) and the security events.
CREATE TABLE security_blocks (
    client     TEXT    PRIMARY KEY,
    until      INTEGER NOT NULL,
    level      INTEGER NOT NULL CHECK (level > 0),
    reason     TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    lifted_at  INTEGER,
    lifted_by  TEXT    NOT NULL DEFAULT ''
) STRICT, WITHOUT ROWID;
CREATE INDEX security_blocks_by_until ON security_blocks(until);

-- The client a signed-in customer's session was last used from, so that a
-- block can end that client's sessions (staff_sessions has its own
-- client_ip). Keyed by the SHA-256 of the session token like sessions; a
-- row goes with its session.
CREATE TABLE session_clients (
    token_hash BLOB    PRIMARY KEY,
    client     TEXT    NOT NULL,
    seen_at    INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX session_clients_by_client ON session_clients(client);
CREATE TRIGGER sessions_forget_client AFTER DELETE ON sessions BEGIN
    DELETE FROM session_clients WHERE token_hash = old.token_hash;
END;

-- Requests per minute for the dashboard, written once a minute from
-- counters in memory. errors are 4xx answers other than the guard's own,
-- limited its 429s, blocked its 403s to blocked clients.
CREATE TABLE traffic_minutes (
    minute        INTEGER PRIMARY KEY, -- Unix time / 60
    requests      INTEGER NOT NULL DEFAULT 0,
    client_errors INTEGER NOT NULL DEFAULT 0,
    server_errors INTEGER NOT NULL DEFAULT 0,
    limited       INTEGER NOT NULL DEFAULT 0,
    blocked       INTEGER NOT NULL DEFAULT 0
) STRICT;
