-- The audit log keeps no secondary index. Every state change appends one
-- entry in its own transaction, and each index cost that transaction a page
-- write of its own: a ticket wrote 12.4 WAL pages, 4.6 of them for these
-- four indexes, which also held 40% of the log's bytes. Every read walks the
-- primary key (seq) instead:
--   - the chain head, checkpoints, verification, the webhook cursor and the
--     API's paging read by seq;
--   - the audit viewer and its CSV export test each entry in seq order and
--     stop at their page size; entries are appended in time order, so a time
--     window needs no index of its own (audit_log_by_time even made SQLite
--     sort the whole window for "newest first");
--   - a customer's export reads the log once for all their targets
--     (subjectRecords in store/privacy.go).
DROP INDEX audit_log_by_action;
DROP INDEX audit_log_by_actor;
DROP INDEX audit_log_by_target;
DROP INDEX audit_log_by_time;
