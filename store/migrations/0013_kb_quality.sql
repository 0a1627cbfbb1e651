-- Answer quality (issue 16).
--
-- An article's language: '' is the site's language (the kb_language
-- setting, English when unset); otherwise one of en, de, fr, es, nl. The
-- assistant stems the article in it and answers in it.
ALTER TABLE kb_articles ADD COLUMN lang TEXT NOT NULL DEFAULT ''
    CHECK (lang IN ('', 'en', 'de', 'fr', 'es', 'nl'));

-- What the retrieval index checks to see whether the knowledge base changed
-- (also in another process, such as `safedesk kb import`): a covering index,
-- so that counting and summing never reads an article's body.
CREATE INDEX kb_articles_by_updated ON kb_articles(published, updated_at);

-- Aggregate counters per article: views and "did this answer your
-- question?" answers. Nothing here says who viewed or answered.
CREATE TABLE kb_counters (
    article_id INTEGER PRIMARY KEY REFERENCES kb_articles(id) ON DELETE CASCADE,
    views      INTEGER NOT NULL DEFAULT 0,
    helpful    INTEGER NOT NULL DEFAULT 0,
    unhelpful  INTEGER NOT NULL DEFAULT 0
) STRICT;

-- The visitor's answer to "did this answer your question?" under one of the
-- assistant's replies: 1 yes, 0 no, NULL not answered. It is part of the
-- transcript and goes with it.
ALTER TABLE chat_messages ADD COLUMN feedback INTEGER CHECK (feedback IN (0, 1));
