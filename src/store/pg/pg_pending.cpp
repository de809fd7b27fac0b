// The store methods of the schedules/workflows half and its hooks, until that half is
// written (P2): each answers "not implemented on PostgreSQL yet" (internal). P2 deletes each
// stub as it implements the method in its own file.
#include "store/pg/pg_store.h"
#include "store/pg/pg_workflow_advance.h"

namespace hypersdk::store::pg {

namespace {
Error pending(const char* what) {
  return make_error(ErrorClass::internal,
                    std::string(what) + " is not implemented on PostgreSQL yet");
}
}  // namespace

// No workflow rows exist while workflow_submit is pending: nothing to advance or prune.
Status pg_workflow_on_step_finished(Tx&, core::JobId, core::TimeMs) {
  return Status::Ok();
}
int pg_workflow_prune_in(Tx&, std::optional<core::TimeMs>, std::optional<int>) {
  return 0;
}
Status pg_workflow_retry_in(Tx&, std::int64_t, core::TimeMs) {
  return pending("workflow_retry");
}

Result<Schedule> PgStore::schedule_create(const ScheduleSpec&, TimeMs) {
  return pending("schedule_create");
}

Result<Schedule> PgStore::schedule_update(const std::string&, const ScheduleSpec&, bool, TimeMs) {
  return pending("schedule_update");
}

Result<Schedule> PgStore::schedule_get(const std::string&) {
  return pending("schedule_get");
}

Result<Schedule> PgStore::schedule_get_by_id(ScheduleId) {
  return pending("schedule_get_by_id");
}

Result<std::vector<Schedule>> PgStore::schedule_list() {
  return pending("schedule_list");
}

Result<std::vector<Schedule>> PgStore::schedule_page(const ScheduleFilter&) {
  return pending("schedule_page");
}

Status PgStore::schedule_delete(const std::string&) {
  return pending("schedule_delete");
}

Result<Schedule> PgStore::schedule_set_paused(const std::string&, bool, TimeMs) {
  return pending("schedule_set_paused");
}

Result<std::int64_t> PgStore::schedule_generation() {
  return pending("schedule_generation");
}

Result<FireResult> PgStore::schedule_fire(const FireRequest&, TimeMs) {
  return pending("schedule_fire");
}

Result<Job> PgStore::schedule_run(const RunRequest&, TimeMs) {
  return pending("schedule_run");
}

Result<std::vector<Occurrence>> PgStore::schedule_occurrences(ScheduleId, int) {
  return pending("schedule_occurrences");
}

Result<WindowSweep> PgStore::job_window_sweep(TimeMs) {
  return pending("job_window_sweep");
}

Result<int> PgStore::schedule_prune(TimeMs) {
  return pending("schedule_prune");
}

Result<std::vector<AuditEntry>> PgStore::audit_list(int) {
  return pending("audit_list");
}

Result<std::vector<Event>> PgStore::event_list(std::int64_t, int) {
  return pending("event_list");
}

Result<Workflow> PgStore::workflow_submit(const WorkflowSubmit&, TimeMs) {
  return pending("workflow_submit");
}

Result<Workflow> PgStore::workflow_get(WorkflowId) {
  return pending("workflow_get");
}

Result<std::vector<Workflow>> PgStore::workflow_list(int) {
  return pending("workflow_list");
}

Result<Workflow> PgStore::workflow_retry(WorkflowId, TimeMs) {
  return pending("workflow_retry");
}

Result<Workflow> PgStore::workflow_cancel(WorkflowId, TimeMs) {
  return pending("workflow_cancel");
}

Result<WorkflowTemplate> PgStore::workflow_template_put(const WorkflowTemplate&, bool, TimeMs) {
  return pending("workflow_template_put");
}

Result<WorkflowTemplate> PgStore::workflow_template_get(const std::string&) {
  return pending("workflow_template_get");
}

Result<std::vector<WorkflowTemplate>> PgStore::workflow_template_list() {
  return pending("workflow_template_list");
}

Status PgStore::workflow_template_delete(const std::string&) {
  return pending("workflow_template_delete");
}

}  // namespace hypersdk::store::pg
