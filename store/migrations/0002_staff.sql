-- Staff sign in only with passkeys: there is no password column anywhere.
-- Email and name are sealed with the system key; lookups use the blind index.
CREATE TABLE staff (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    email_index BLOB    NOT NULL UNIQUE,
    email       BLOB    NOT NULL,
    name        BLOB    NOT NULL,
    role        TEXT    NOT NULL CHECK (role IN ('owner', 'admin', 'agent', 'kb_editor', 'auditor')),
    user_handle BLOB    NOT NULL UNIQUE, -- the WebAuthn user id: 32 random bytes
    disabled_at INTEGER,
    created_at  INTEGER NOT NULL
) STRICT;

CREATE TABLE passkeys (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    staff_id        INTEGER NOT NULL REFERENCES staff(id) ON DELETE CASCADE,
    credential_id   BLOB    NOT NULL UNIQUE,
    name            TEXT    NOT NULL,
    credential      BLOB    NOT NULL, -- JSON of the go-webauthn Credential (public key, flags, counter)
    sign_count      INTEGER NOT NULL,
    backup_eligible INTEGER NOT NULL CHECK (backup_eligible IN (0, 1)),
    backup_state    INTEGER NOT NULL CHECK (backup_state IN (0, 1)),
    created_at      INTEGER NOT NULL,
    last_used_at    INTEGER
) STRICT;
CREATE INDEX passkeys_by_staff ON passkeys(staff_id);

-- One-time links: the owner setup link and staff invites. Only the SHA-256
-- of the token is stored.
CREATE TABLE staff_invites (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash  BLOB    NOT NULL UNIQUE,
    kind        TEXT    NOT NULL CHECK (kind IN ('setup', 'invite')),
    email       BLOB,  -- sealed; NULL for the setup link
    role        TEXT    NOT NULL,
    created_by  INTEGER REFERENCES staff(id) ON DELETE SET NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER,
    created_at  INTEGER NOT NULL
) STRICT;

-- Staff sessions, kept beside the scs session store so that listing and
-- revoking never iterate it. token_hash matches sessions.token_hash.
CREATE TABLE staff_sessions (
    token_hash    BLOB    PRIMARY KEY,
    staff_id      INTEGER NOT NULL REFERENCES staff(id) ON DELETE CASCADE,
    device        TEXT    NOT NULL,
    client_ip     TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    last_seen_at  INTEGER NOT NULL,
    revoked_at    INTEGER,
    revoke_reason TEXT
) STRICT, WITHOUT ROWID;
CREATE INDEX staff_sessions_by_staff ON staff_sessions(staff_id, revoked_at);

-- WebAuthn ceremonies in flight. A row is deleted when it is used, so a
-- challenge can never be answered twice (go-webauthn does not track this).
CREATE TABLE webauthn_ceremonies (
    id         BLOB    PRIMARY KEY,
    kind       TEXT    NOT NULL,
    data       BLOB    NOT NULL, -- sealed JSON: session data and the pending enrolment
    expires_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- Security events: refused sign-ins, replays, probes, blocks. No personal
-- data: clients by address, people by id.
CREATE TABLE security_events (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    at        INTEGER NOT NULL,
    kind      TEXT    NOT NULL,
    severity  TEXT    NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
    client_ip TEXT    NOT NULL,
    actor     TEXT    NOT NULL,
    details   TEXT    NOT NULL DEFAULT '{}'
) STRICT;
CREATE INDEX security_events_by_time ON security_events(at);
CREATE INDEX security_events_by_kind ON security_events(kind, at);

-- Site settings editable in the admin panel.
CREATE TABLE settings (
    key        TEXT    PRIMARY KEY,
    value      TEXT    NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
