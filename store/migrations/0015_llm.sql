-- Optional AI answers (issue 19).
--
-- For a visitor message the assistant answered from an article: whether a
-- language model wrote the answer ('used'), why its answer fell back to the
-- quote (timeout, unreachable, status, too_large, bad_json, unknown_source,
-- refusal), or '' when no model was asked. Not personal: it stays plain for
-- the insight page's counts.
ALTER TABLE chat_messages ADD COLUMN model TEXT NOT NULL DEFAULT '';
