-- PostgreSQL dialect of schema/0010_audit.sql (same tables, columns and indexes; BIGINT for
-- SQLite's INTEGER, identity columns for its rowid keys).
-- The audit trail (issue 15): audit_log now records every mutating action through the API or
-- the CLI (submit, cancel, retry, replay, purge, schedule and workflow changes, config
-- reloads, refused tokens), not only emergency runs. request_id ties a row to the API
-- request's log lines (X-Request-ID); source is 'api', 'cli' (on the database directly) or
-- 'serve' (the daemon itself, e.g. a SIGHUP reload).
ALTER TABLE audit_log ADD COLUMN request_id TEXT;
ALTER TABLE audit_log ADD COLUMN source TEXT;
-- `audit list --actor NAME`, newest first.
CREATE INDEX audit_log_by_actor ON audit_log (actor, at);
