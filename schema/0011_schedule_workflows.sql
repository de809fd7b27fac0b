-- Schedules that fire a workflow template (issue 9 item 5): a schedule of type 'workflow'
-- holds its template and parameters in its payload ({"workflow": NAME, "params": {k: v}}), and
-- each occurrence starts a run of it. The run remembers the schedule, so overlap applies to
-- whole workflow runs (cancel_other ends the previous runs, not just their steps).
ALTER TABLE workflows ADD COLUMN schedule_id INTEGER;
CREATE INDEX workflows_by_schedule ON workflows (schedule_id, status) WHERE schedule_id IS NOT NULL;

-- Every workflow step is labelled with its workflow and step name (the job routes and `list`
-- show them; notification routes may match them); steps written before are labelled here.
UPDATE jobs SET labels = json_set(CASE WHEN json_valid(labels) THEN labels ELSE '{}' END,
                                  '$.workflow', 'w-' || workflow_id, '$.step', step_name)
 WHERE workflow_id IS NOT NULL AND step_name IS NOT NULL;
