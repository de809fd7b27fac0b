// Internal to the SQLite store: helpers shared by the workflow operations
// (sqlite_workflows.cpp) and the advancer (sqlite_workflow_advance.cpp).
// REQUIRES for all: inside a transaction of the caller (write for those that change rows).
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "store/database.h"
#include "store/workflow_types.h"

namespace hypersdk::store::detail {

// finished: marked upstream_failed; skipped: marked upstream_failed with step_skipped (its
// rule could not be met, nothing failed).
enum class StepVerdict { waiting, queued, finished, skipped };

// Decides one step that waits for its upstreams: queues it with its inputs, marks it
// upstream_failed (or skipped), or leaves it waiting.
StepVerdict decide_waiting_step(Connection& c, core::JobId id, const std::string& rule,
                                const std::string& type, const std::string& payload,
                                core::TimeMs now);

// workflow_submit inside the caller's write transaction; `schedule`: the schedule whose
// occurrence starts it (its steps carry it too); `buffered`: its root steps wait for the
// schedule's previous run (waiting_for 'overlap'). Errors: invalid (nothing useful written:
// the caller rolls back).
Result<Workflow> workflow_insert(Connection& c, const WorkflowSubmit& req, core::TimeMs now,
                                 std::optional<std::int64_t> schedule, bool buffered);

// Ends the workflow (status, finished_at, event) when none of its steps is unfinished.
Status workflow_maybe_end(Connection& c, WorkflowId wf, core::TimeMs now);

// Deletes finished workflows (those with no dead-lettered step) with all their steps: those
// finished before `before`, and those beyond the newest `keep`. One batch; returns the rows
// deleted (steps and workflows), 0 when there was nothing to prune.
int workflow_prune_in(Connection& c, std::optional<core::TimeMs> before, std::optional<int> keep);

// Writes a workflow.* event for the notifier.
void workflow_event(Connection& c, const std::string& kind, const std::string& severity,
                    WorkflowId wf, const std::string& name, nlohmann::json payload,
                    core::TimeMs now);

// workflow_retry inside the caller's write transaction. Errors: not_found, conflict.
Status workflow_retry_in(Connection& c, WorkflowId id, core::TimeMs now);

// The workflow job `id` is a step of, if any.
std::optional<WorkflowId> step_workflow(Connection& c, core::JobId id);

// The workflow with its steps in topological order. Errors: not_found.
Result<Workflow> load_workflow(Connection& c, WorkflowId id);

}  // namespace hypersdk::store::detail
