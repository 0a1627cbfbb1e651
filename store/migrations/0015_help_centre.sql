-- The help centre (issue 17, part 1): knowledge-base categories, and the
-- business's logo. Branding and the privacy notice are settings (JSON in
-- the settings table); all of it is in SQLite, so backups carry it.

-- Categories of the knowledge base, shown in order on the home page. An
-- article belongs to one category or none.
CREATE TABLE kb_categories (
    id          INTEGER PRIMARY KEY,
    slug        TEXT    NOT NULL UNIQUE,
    name        TEXT    NOT NULL,
    description TEXT    NOT NULL DEFAULT '',
    position    INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
) STRICT;

ALTER TABLE kb_articles ADD COLUMN category_id INTEGER REFERENCES kb_categories(id) ON DELETE SET NULL;
CREATE INDEX kb_articles_by_category ON kb_articles(category_id, published);

-- The logo and the favicon derived from it, both re-encoded as PNG by the
-- web layer (nothing of the uploaded file survives but its pixels).
CREATE TABLE brand_images (
    name       TEXT    PRIMARY KEY CHECK (name IN ('logo', 'favicon')),
    png        BLOB    NOT NULL,
    updated_at INTEGER NOT NULL
) STRICT;
