-- Providers and exports (issue 11): the progress of running jobs and the backup records.

-- The latest progress a running job reported (bytes done of total), one row per job, written
-- by its worker at most about once a second. started_at is when the current attempt first
-- reported, so rate and ETA are per attempt.
CREATE TABLE job_progress (
  job_id      INTEGER PRIMARY KEY REFERENCES jobs (id) ON DELETE CASCADE,
  attempt     INTEGER NOT NULL,
  done_bytes  INTEGER NOT NULL,
  total_bytes INTEGER NOT NULL,
  started_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
);

-- One row per backup file. A chain is a full backup and the incrementals on top of it (each a
-- qcow2 whose backing file is its parent's file); chain_id is the full backup's id.
CREATE TABLE backups (
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  vm          TEXT    NOT NULL,
  provider    TEXT    NOT NULL DEFAULT '',
  kind        TEXT    NOT NULL,              -- full | incremental
  chain_id    INTEGER,                       -- NULL until set to its own id for a full
  parent_id   INTEGER REFERENCES backups (id),
  path        TEXT    NOT NULL,
  format      TEXT    NOT NULL,
  size_bytes  INTEGER NOT NULL,
  sha256      TEXT    NOT NULL,
  job_id      INTEGER,
  schedule_id INTEGER,
  created_at  INTEGER NOT NULL,
  verified_at INTEGER,
  deleted_at  INTEGER                        -- removed by retention; the row is kept as history
);
CREATE INDEX backups_by_vm ON backups (vm, id);
CREATE INDEX backups_by_parent ON backups (parent_id);
