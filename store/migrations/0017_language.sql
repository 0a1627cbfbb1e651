-- The language a ticket was filed in (issue 17): customer mail about it
-- (the receipt, reply notifications) speaks it. One of the catalogs'
-- languages (store.Languages); '' for tickets from before this migration
-- and those that came without one (mail, the API): they get the site's
-- language.
ALTER TABLE tickets ADD COLUMN lang TEXT NOT NULL DEFAULT ''
    CHECK (lang IN ('', 'en', 'de', 'fr', 'es', 'nl'));
