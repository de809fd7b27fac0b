-- Indexes for statements that scanned whole tables (tests/unit/query_plan_test.cpp).
-- `dlq list`: newest dead letters first, without sorting them all.
CREATE INDEX dead_letters_by_time ON dead_letters (created_at, job_id);
-- The pruner: old occurrences and dispatched events by age.
CREATE INDEX schedule_occurrences_by_time ON schedule_occurrences (nominal_fire_utc);
CREATE INDEX events_dispatched_by_time ON events (created_at) WHERE dispatched_at IS NOT NULL;

-- One row the recovery probe rewrites while writes are failing (a full disk): its commit
-- tells that writes succeed again even when no job gives the server anything to write.
CREATE TABLE store_probe (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  at INTEGER NOT NULL
);
INSERT INTO store_probe (id, at) VALUES (1, 0);

-- Job output in chunks of lines: a row per line cost about 60 bytes of database for a 2-byte
-- line (issue 18 item 3). `lines` is a JSON array of [ts, stream, line]; the line at index i
-- has seq first_seq + i. seq counts per job (it is the SSE event id a client resumes from);
-- lines moved over from job_logs keep theirs, one chunk each.
CREATE TABLE job_log_chunks (
  id        INTEGER PRIMARY KEY,
  job_id    INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  first_seq INTEGER NOT NULL,
  last_seq  INTEGER NOT NULL,
  lines     TEXT    NOT NULL
);
CREATE UNIQUE INDEX job_log_chunks_by_job ON job_log_chunks (job_id, last_seq);
INSERT INTO job_log_chunks (job_id, first_seq, last_seq, lines)
  SELECT job_id, seq, seq, json_array(json_array(ts, stream, line)) FROM job_logs ORDER BY seq;
DROP TABLE job_logs;
