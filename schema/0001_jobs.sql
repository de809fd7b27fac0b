-- The durable queue: jobs, their logs and the dead-letter table.
-- Times are integer milliseconds since the Unix epoch, UTC.
CREATE TABLE jobs (
  id               INTEGER PRIMARY KEY,
  type             TEXT    NOT NULL,
  status           TEXT    NOT NULL,
  priority         INTEGER NOT NULL DEFAULT 0,
  payload          TEXT    NOT NULL DEFAULT '{}',
  labels           TEXT    NOT NULL DEFAULT '{}',
  target           TEXT    NOT NULL DEFAULT '',
  provider         TEXT    NOT NULL DEFAULT '',
  attempt          INTEGER NOT NULL DEFAULT 0,
  max_retries      INTEGER NOT NULL,
  retry_policy     TEXT    NOT NULL,
  timeout_ms       INTEGER NOT NULL DEFAULT 0,
  run_at           INTEGER NOT NULL,
  created_at       INTEGER NOT NULL,
  started_at       INTEGER,
  finished_at      INTEGER,
  lease_owner      TEXT,
  lease_until      INTEGER,
  lease_token      INTEGER NOT NULL DEFAULT 0,
  lease_expiries   INTEGER NOT NULL DEFAULT 0,
  cancel_requested INTEGER NOT NULL DEFAULT 0,
  error_class      TEXT,
  error_message    TEXT,
  errors           TEXT    NOT NULL DEFAULT '[]',
  result           TEXT    NOT NULL DEFAULT '',
  idempotency_key  TEXT UNIQUE
);

-- Claim order: higher priority first, then run_at, then id.
CREATE INDEX jobs_claimable ON jobs (priority DESC, run_at, id) WHERE status = 'queued';
CREATE INDEX jobs_due ON jobs (run_at) WHERE status = 'retrying';
CREATE INDEX jobs_leased ON jobs (lease_until) WHERE status = 'running';
CREATE INDEX jobs_by_status ON jobs (status, id);
CREATE INDEX jobs_by_type ON jobs (type, id);
CREATE INDEX jobs_finished ON jobs (finished_at) WHERE finished_at IS NOT NULL;

CREATE TABLE job_logs (
  seq     INTEGER PRIMARY KEY,
  job_id  INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  ts      INTEGER NOT NULL,
  stream  TEXT    NOT NULL,
  line    TEXT    NOT NULL
);
CREATE INDEX job_logs_by_job ON job_logs (job_id, seq);

-- One row per failed job awaiting review; removed by replay or purge.
CREATE TABLE dead_letters (
  job_id        INTEGER PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
  reason        TEXT    NOT NULL,
  error_class   TEXT    NOT NULL,
  error_message TEXT    NOT NULL,
  created_at    INTEGER NOT NULL
);

CREATE INDEX jobs_queued_run_at ON jobs (run_at) WHERE status = 'queued';
