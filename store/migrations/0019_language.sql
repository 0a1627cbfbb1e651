-- The language a ticket was filed in (issue 17): customer mail about it
-- (the receipt, reply notifications) speaks it. One of the catalogs'
-- languages (store.Languages); '' for tickets from before this migration
-- and those that came without one (mail, the API): they get the site's
-- language.
-- The check is written as comparisons, not an IN list, which would build
-- a temporary b-tree on every INSERT (migration 0016).
ALTER TABLE tickets ADD COLUMN lang TEXT NOT NULL DEFAULT ''
    CHECK (lang = '' OR lang = 'en' OR lang = 'de' OR lang = 'fr' OR lang = 'es' OR lang = 'nl');
