-- Abuse of tickets and one-time codes, and the setup link's lifecycle
-- (hardening, issue 12).

-- A ticket filed by someone who had not proven the address is unconfirmed:
-- staff see it marked, and it joins the customer's own views only once the
-- code mailed for it is entered, or a staff member confirms it. Tickets
-- filed before this migration stay as they were: confirmed.
ALTER TABLE tickets ADD COLUMN confirmed INTEGER NOT NULL DEFAULT 1 CHECK (confirmed IN (0, 1));

-- The ticket whose receipt carried the code: entering that code confirms it.
ALTER TABLE verification_codes ADD COLUMN ticket_id INTEGER REFERENCES tickets(id) ON DELETE SET NULL;

-- Wrong tries are counted per address and per who tried (below), no longer
-- per code: anyone could burn another person's code with five guesses.
ALTER TABLE verification_codes DROP COLUMN attempts;

-- Wrong tries of one-time codes: the address (blind index), keyed hashes
-- of the client and of the browser session that tried, and when. Limits
-- count the recent rows per address and client and per address and
-- session, so that nobody spends another person's tries; rows older than an
-- hour are deleted as new ones arrive.
CREATE TABLE verification_tries (
    email_index BLOB    NOT NULL,
    client      BLOB    NOT NULL,
    session     BLOB,
    at          INTEGER NOT NULL
) STRICT;
CREATE INDEX verification_tries_by_email ON verification_tries(email_index, at);
CREATE INDEX verification_tries_by_time ON verification_tries(at);

-- A setup link that a newer one replaced says so, rather than "expired".
ALTER TABLE staff_invites ADD COLUMN replaced_at INTEGER;
