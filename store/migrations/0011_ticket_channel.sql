-- Where a ticket came from, for the owner's dashboard (issue 15): the
-- portal, a chat handed to a person, the API, or (the email channel) mail.
-- Tickets from before this migration count as the portal's.
ALTER TABLE tickets ADD COLUMN channel TEXT NOT NULL DEFAULT 'portal'
    CHECK (channel IN ('portal', 'chat', 'api', 'email'));
UPDATE tickets SET channel = 'chat' WHERE id IN (SELECT ticket_id FROM chat_conversations WHERE ticket_id IS NOT NULL);
