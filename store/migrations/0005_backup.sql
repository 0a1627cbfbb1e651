-- Backups: one row per backup, verify or restore drill, for the admin
-- backups page and its alerts. Rows hold file names and one-line errors,
-- never data; the backups themselves live in files (DATA/backups).
CREATE TABLE backup_runs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    kind        TEXT    NOT NULL CHECK (kind IN ('backup', 'verify', 'drill')),
    source      TEXT    NOT NULL CHECK (source IN ('schedule', 'manual', 'cli')),
    started_at  INTEGER NOT NULL,
    finished_at INTEGER NOT NULL,
    ok          INTEGER NOT NULL CHECK (ok IN (0, 1)),
    file        TEXT    NOT NULL DEFAULT '',
    bytes       INTEGER NOT NULL DEFAULT 0,
    error       TEXT    NOT NULL DEFAULT ''
) STRICT;
CREATE INDEX backup_runs_by_kind ON backup_runs(kind, ok, id DESC);
