-- Example questions per article section (issue 16): phrasings customers
-- use for what a section answers ("is there a number I can call" for
-- "Ways to reach us"), written or approved by staff. Knowledge-base
-- content, kept in the clear like the articles, always with personal data
-- removed before it is saved (store/kb_examples.go).
--
-- anchor is the section's heading anchor (the id on the article page), ''
-- for the article's top. When an edit removes a heading, its examples move
-- to the top (anchor ''), so none is lost. folded is the question folded
-- for comparison: an article holds each question once, whatever the
-- section. AUTOINCREMENT keeps ids increasing, so the sum of ids in
-- KBState changes with every add and delete.
CREATE TABLE kb_examples (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    article_id INTEGER NOT NULL REFERENCES kb_articles(id) ON DELETE CASCADE,
    anchor     TEXT    NOT NULL,
    question   TEXT    NOT NULL,
    folded     TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (article_id, folded)
) STRICT;
CREATE INDEX kb_examples_by_section ON kb_examples(article_id, anchor);
