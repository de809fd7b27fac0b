-- Schedules, their occurrences, time windows on jobs, the audit log and the event outbox.
-- Times are integer milliseconds since the Unix epoch, UTC.

-- AUTOINCREMENT: a deleted schedule's id is never reused, so jobs that name it (jobs.schedule_id)
-- are never mistaken for runs of a newer schedule.
CREATE TABLE schedules (
  id                  INTEGER PRIMARY KEY AUTOINCREMENT,
  name                TEXT    NOT NULL UNIQUE,
  cron                TEXT    NOT NULL,
  timezone            TEXT    NOT NULL,
  job_type            TEXT    NOT NULL,
  payload             TEXT    NOT NULL DEFAULT '{}',
  target              TEXT    NOT NULL DEFAULT '',
  provider            TEXT    NOT NULL DEFAULT '',
  priority            INTEGER NOT NULL DEFAULT 0,
  max_retries         INTEGER NOT NULL,
  retry_policy        TEXT    NOT NULL,
  timeout_ms          INTEGER NOT NULL DEFAULT 0,
  time_window         TEXT    NOT NULL DEFAULT '',
  days                TEXT    NOT NULL DEFAULT '*',
  holidays            TEXT    NOT NULL DEFAULT '[]',
  window_close        TEXT    NOT NULL DEFAULT 'let_finish',
  overlap             TEXT    NOT NULL DEFAULT 'skip',
  catchup             TEXT    NOT NULL DEFAULT 'latest',
  catchup_window_ms   INTEGER NOT NULL DEFAULT 3600000,
  max_catchup_runs    INTEGER NOT NULL DEFAULT 100,
  dst_gap             TEXT    NOT NULL DEFAULT 'shift',
  dst_fold            TEXT    NOT NULL DEFAULT 'auto',
  enabled             INTEGER NOT NULL DEFAULT 1,
  paused              INTEGER NOT NULL DEFAULT 0,
  -- The nominal fire time of the last occurrence considered (fired, skipped or missed).
  cursor_ms           INTEGER NOT NULL,
  -- Bumped by every change of definition or pause state: a scheduler that planned with an
  -- older version re-reads the schedule instead of firing.
  version             INTEGER NOT NULL DEFAULT 1,
  created_at          INTEGER NOT NULL,
  updated_at          INTEGER NOT NULL
);

-- One row, bumped by every create/update/delete/pause/resume: schedulers poll it to notice
-- changes made by other processes within a tick.
CREATE TABLE schedule_generation (
  id         INTEGER PRIMARY KEY CHECK (id = 1),
  generation INTEGER NOT NULL
);
INSERT INTO schedule_generation (id, generation) VALUES (1, 0);

-- One row per occurrence considered: UNIQUE(schedule_id, nominal_fire_utc) with INSERT OR
-- IGNORE makes a second scheduler process, a restart or a backward clock jump unable to fire
-- an occurrence twice.
CREATE TABLE schedule_occurrences (
  id               INTEGER PRIMARY KEY,
  schedule_id      INTEGER NOT NULL REFERENCES schedules (id) ON DELETE CASCADE,
  nominal_fire_utc INTEGER NOT NULL,
  nominal_local    TEXT    NOT NULL,           -- the wall time the cron named, "2025-03-09T02:30:00"
  dst_shifted      INTEGER NOT NULL DEFAULT 0,
  fold_second      INTEGER NOT NULL DEFAULT 0,
  outcome          TEXT    NOT NULL,           -- fired | buffered | skipped | missed
  reason           TEXT    NOT NULL DEFAULT '',
  job_id           INTEGER,
  recorded_at      INTEGER NOT NULL,
  UNIQUE (schedule_id, nominal_fire_utc)
);
CREATE INDEX schedule_occurrences_recent ON schedule_occurrences (schedule_id, nominal_fire_utc DESC);

-- Jobs: the schedule that fired them and the window they may start in (JSON, see
-- store/job_row.h); waiting_for says what a `waiting` job waits for ('window': run_at is the
-- next opening; 'overlap': a buffered occurrence waiting for its schedule's previous run).
ALTER TABLE jobs ADD COLUMN schedule_id INTEGER;
ALTER TABLE jobs ADD COLUMN window_policy TEXT;
ALTER TABLE jobs ADD COLUMN waiting_for TEXT;
CREATE INDEX jobs_by_schedule ON jobs (schedule_id, status) WHERE schedule_id IS NOT NULL;
CREATE INDEX jobs_waiting ON jobs (waiting_for, run_at) WHERE status = 'waiting';
CREATE INDEX jobs_windowed ON jobs (status) WHERE window_policy IS NOT NULL;

-- Operator actions that bypass a rule (emergency runs): who, when, why.
CREATE TABLE audit_log (
  id        INTEGER PRIMARY KEY,
  at        INTEGER NOT NULL,
  actor     TEXT    NOT NULL,
  action    TEXT    NOT NULL,           -- 'schedule.emergency_run'
  subject   TEXT    NOT NULL,           -- the schedule's name
  reason    TEXT    NOT NULL,
  job_id    INTEGER,
  details   TEXT    NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_by_time ON audit_log (at);

-- Events for the notifier (schedule.missed, ...), written in the transaction of the change
-- they report; dispatched_at is set once the notifier has routed them.
CREATE TABLE events (
  id            INTEGER PRIMARY KEY,
  kind          TEXT    NOT NULL,
  severity      TEXT    NOT NULL,
  subject       TEXT    NOT NULL,
  payload       TEXT    NOT NULL,
  created_at    INTEGER NOT NULL,
  dispatched_at INTEGER
);
CREATE INDEX events_undispatched ON events (id) WHERE dispatched_at IS NULL;
