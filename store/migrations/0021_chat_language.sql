-- The language of a chat (issue 17): the interface language the visitor
-- had when they consented (their switcher choice, else Accept-Language,
-- else the site's). The assistant's own sentences follow it, and a ticket
-- the chat becomes is filed in it. '' for chats from before this migration
-- (the assistant guesses from each message, as before).
-- Comparisons, not an IN list (migration 0016).
ALTER TABLE chat_conversations ADD COLUMN lang TEXT NOT NULL DEFAULT ''
    CHECK (lang = '' OR lang = 'en' OR lang = 'de' OR lang = 'fr' OR lang = 'es' OR lang = 'nl');
