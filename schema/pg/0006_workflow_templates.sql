-- PostgreSQL dialect of schema/0006_workflow_templates.sql (same tables, columns and indexes; BIGINT for
-- SQLite's INTEGER, identity columns for its rowid keys).
-- Workflow templates (issue 9): named, parameterised workflow definitions. The built-in
-- `migrate` template is not stored here: it ships with the binary (engine/workflow_templates).
CREATE TABLE workflow_templates (
  name       TEXT    PRIMARY KEY,
  definition TEXT    NOT NULL,  -- the workflow request (JSON) with {{param}} placeholders
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);

-- Retention prunes whole finished workflows by age (engine pruner, store job_prune).
CREATE INDEX workflows_by_finished ON workflows (finished_at) WHERE finished_at IS NOT NULL;

-- How many of a waiting step's upstreams have not finished. The advancer decides a step when
-- it reaches 0, or at once when an upstream failed: a join below n steps costs O(n) in all,
-- not O(n) per upstream (O(n^2)). NULL (steps written before this migration): decided at the
-- end of every upstream, as before.
ALTER TABLE jobs ADD COLUMN upstream_unfinished BIGINT;
