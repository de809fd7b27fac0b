-- PostgreSQL dialect of schema/0011_schedule_workflows.sql (same tables, columns and indexes; BIGINT for
-- SQLite's INTEGER, identity columns for its rowid keys).
-- Schedules that fire a workflow template (issue 9 item 5): a schedule of type 'workflow'
-- holds its template and parameters in its payload ({"workflow": NAME, "params": {k: v}}), and
-- each occurrence starts a run of it. The run remembers the schedule, so overlap applies to
-- whole workflow runs (cancel_other ends the previous runs, not just their steps).
ALTER TABLE workflows ADD COLUMN schedule_id BIGINT;
CREATE INDEX workflows_by_schedule ON workflows (schedule_id, status) WHERE schedule_id IS NOT NULL;

-- Every workflow step is labelled with its workflow and step name (the job routes and `list`
-- show them; notification routes may match them); steps written before are labelled here.
-- (labels is always a JSON object here: the store writes it; jsonb's text form differs from
-- SQLite's json_set only in spacing.)
UPDATE jobs SET labels = (labels::jsonb || jsonb_build_object('workflow', 'w-' || workflow_id,
                                                              'step', step_name))::text
 WHERE workflow_id IS NOT NULL AND step_name IS NOT NULL;
