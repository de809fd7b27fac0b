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
Status pg_workflow_retry_in(Tx&, std::int64_t, core::TimeMs) {
  return pending("workflow_retry");
}

Result<FireResult> PgStore::schedule_fire(const FireRequest&, TimeMs) {
  return pending("schedule_fire");
}

Result<Job> PgStore::schedule_run(const RunRequest&, TimeMs) {
  return pending("schedule_run");
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

}  // namespace hypersdk::store::pg
