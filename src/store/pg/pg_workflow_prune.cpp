// Retention of workflows on the PostgreSQL store (as sqlite_workflow_prune.cpp): a workflow's
// steps are pruned together with it once it is finished, never one by one, and a workflow
// with a dead-lettered step is kept whole.
#include "store/pg/pg_workflow_advance.h"
#include "store/workflow_types.h"

namespace hypersdk::store::pg {

namespace {

#define HYPERSDK_PG_PRUNABLE_WORKFLOW                                                 \
  " finished_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM jobs j JOIN dead_letters d" \
  " ON d.job_id = j.id WHERE j.workflow_id = workflows.id)"
constexpr const char* kOldWorkflows =
    "SELECT id FROM workflows WHERE finished_at < $1::bigint AND" HYPERSDK_PG_PRUNABLE_WORKFLOW
    " ORDER BY finished_at, id LIMIT $2::bigint";
constexpr const char* kWorkflowsBeyond =
    "SELECT id FROM workflows WHERE" HYPERSDK_PG_PRUNABLE_WORKFLOW
    " ORDER BY finished_at DESC, id DESC LIMIT $2::bigint OFFSET $1::bigint";
// Edges go with their jobs (ON DELETE CASCADE).
constexpr const char* kDeleteSteps = "DELETE FROM jobs WHERE workflow_id = $1::bigint";
constexpr const char* kDeleteWorkflow = "DELETE FROM workflows WHERE id = $1::bigint";

// Workflows per call, as the SQLite store.
constexpr int kBatch = 20;

}  // namespace

int pg_workflow_prune_in(Tx& tx, std::optional<core::TimeMs> before, std::optional<int> keep) {
  std::vector<WorkflowId> ids;
  auto collect = [&](const char* sql, std::int64_t first) {
    Rows r = tx.exec(sql, {p(first), p(kBatch)});
    for (int i = 0; i < r.size(); ++i) ids.push_back(r.i64(i, 0));
  };
  if (before) collect(kOldWorkflows, *before);
  if (keep) collect(kWorkflowsBeyond, *keep);
  std::int64_t rows = 0;
  for (WorkflowId id : ids) {
    rows += tx.exec(kDeleteSteps, {p(static_cast<std::int64_t>(id))}).affected();
    rows += tx.exec(kDeleteWorkflow, {p(static_cast<std::int64_t>(id))}).affected();
  }
  return static_cast<int>(rows);
}

}  // namespace hypersdk::store::pg
