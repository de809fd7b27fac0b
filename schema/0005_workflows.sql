-- Workflows (DESIGN §7): a DAG of steps; every step is a row of jobs (workflow_id, step_name)
-- that stays `waiting` (waiting_for 'upstream') until its trigger rule lets it run.
-- AUTOINCREMENT: a pruned workflow's id is never reused by a newer one.
CREATE TABLE workflows (
  id               INTEGER PRIMARY KEY AUTOINCREMENT,
  name             TEXT    NOT NULL,
  status           TEXT    NOT NULL,          -- running | succeeded | failed | cancelled
  definition       TEXT    NOT NULL,          -- the submitted request, as JSON
  params           TEXT    NOT NULL DEFAULT '{}',
  cancel_requested INTEGER NOT NULL DEFAULT 0,
  runs             INTEGER NOT NULL DEFAULT 1, -- 1 + the number of retries
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL,
  finished_at      INTEGER
);
CREATE INDEX workflows_by_status ON workflows (status, id);

ALTER TABLE jobs ADD COLUMN workflow_id INTEGER REFERENCES workflows (id);
ALTER TABLE jobs ADD COLUMN step_name TEXT;
ALTER TABLE jobs ADD COLUMN trigger_rule TEXT;
-- 1: an upstream_failed step that did not run although nothing failed (its trigger rule could
-- not be met, e.g. one_failed when all went well); it is not a failure of the workflow.
ALTER TABLE jobs ADD COLUMN step_skipped INTEGER NOT NULL DEFAULT 0;
CREATE UNIQUE INDEX jobs_by_workflow ON jobs (workflow_id, step_name) WHERE workflow_id IS NOT NULL;

-- upstream -> downstream, one row per dependency; a completing step finds its dependents here.
CREATE TABLE workflow_edges (
  upstream_id   INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  downstream_id INTEGER NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
  PRIMARY KEY (upstream_id, downstream_id)
) WITHOUT ROWID;
CREATE INDEX workflow_edges_by_downstream ON workflow_edges (downstream_id, upstream_id);
