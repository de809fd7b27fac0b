// Retention of workflows: a workflow's steps are pruned together with it, once it is finished,
// never one by one (job_prune leaves steps alone), so a workflow still running or waiting for
// a retry never loses the steps and results it resumes from.
#include "store/sqlite_workflow_rows.h"

namespace hypersdk::store::detail {

namespace {

// A workflow with a dead-lettered step is kept whole: dead letters stay until replayed or
// purged (DESIGN §3), and so does the workflow they belong to. finished_at is NULL while a
// workflow runs (a retry clears it).
#define HYPERSDK_PRUNABLE_WORKFLOW                                                    \
  " finished_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM jobs j JOIN dead_letters d" \
  " ON d.job_id = j.id WHERE j.workflow_id = workflows.id)"
constexpr const char* kOldWorkflows =
    "SELECT id FROM workflows INDEXED BY workflows_by_finished WHERE finished_at < ?1 "
    "AND" HYPERSDK_PRUNABLE_WORKFLOW " ORDER BY finished_at LIMIT ?2";
constexpr const char* kWorkflowsBeyond =
    "SELECT id FROM workflows INDEXED BY workflows_by_finished WHERE" HYPERSDK_PRUNABLE_WORKFLOW
    " ORDER BY finished_at DESC LIMIT ?2 OFFSET ?1";
constexpr const char* kDeleteSteps = "DELETE FROM jobs WHERE workflow_id = ?";
constexpr const char* kDeleteWorkflow = "DELETE FROM workflows WHERE id = ?";

// Workflows per call: with up to kMaxWorkflowSteps steps each, a batch stays a short
// transaction in the common case and bounded in the worst.
constexpr int kBatch = 20;

}  // namespace

int workflow_prune_in(Connection& c, std::optional<core::TimeMs> before, std::optional<int> keep) {
  std::vector<WorkflowId> ids;
  auto collect = [&](const char* sql, std::int64_t first) {
    auto& st = c.stmt(sql);
    st.bind(1, first);
    st.bind(2, kBatch);
    while (st.executeStep()) ids.push_back(st.getColumn(0).getInt64());
    st.reset();
  };
  if (before) collect(kOldWorkflows, *before);
  if (keep) collect(kWorkflowsBeyond, *keep);
  int rows = 0;
  for (WorkflowId id : ids) {
    auto& steps = c.stmt(kDeleteSteps);
    steps.bind(1, static_cast<std::int64_t>(id));
    rows += steps.exec();
    auto& wf = c.stmt(kDeleteWorkflow);
    wf.bind(1, static_cast<std::int64_t>(id));
    rows += wf.exec();
  }
  return rows;
}

}  // namespace hypersdk::store::detail
