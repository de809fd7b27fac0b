// Internal to the PostgreSQL store: the workflow helpers shared by the workflow operations
// (pg_workflows.cpp), the advancer (pg_workflow_advance.cpp), firing (pg_schedule_fire*.cpp)
// and retention; the PostgreSQL twins of store/sqlite_workflow_rows.h, same contracts.
// REQUIRES for all: inside a transaction of the caller (write for those that change rows).
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "store/pg/pg_database.h"
#include "store/workflow_types.h"

namespace hypersdk::store::pg::detail {

// finished: marked upstream_failed; skipped: marked upstream_failed with step_skipped.
enum class StepVerdict { waiting, queued, finished, skipped };

// Decides one step that waits for its upstreams: queues it with its inputs, marks it
// upstream_failed (or skipped), or leaves it waiting.
StepVerdict decide_waiting_step(Tx& tx, core::JobId id, const std::string& rule,
                                const std::string& type, const std::string& payload,
                                core::TimeMs now);

// workflow_submit inside the caller's write transaction; `schedule`: the schedule whose
// occurrence starts it; `buffered`: its root steps wait for the schedule's previous run.
// Errors: invalid (the caller rolls back).
Result<Workflow> workflow_insert(Tx& tx, const WorkflowSubmit& req, core::TimeMs now,
                                 std::optional<std::int64_t> schedule, bool buffered);

// Ends the workflow (status, finished_at, event) when none of its steps is unfinished.
Status workflow_maybe_end(Tx& tx, WorkflowId wf, core::TimeMs now);

// Writes a workflow.* event for the notifier.
void workflow_event(Tx& tx, const std::string& kind, const std::string& severity, WorkflowId wf,
                    const std::string& name, nlohmann::json payload, core::TimeMs now);

// The workflow with its steps in topological order. Errors: not_found.
Result<Workflow> load_workflow(Tx& tx, WorkflowId id);

// The workflow job `id` is a step of, if any.
std::optional<WorkflowId> step_workflow(Tx& tx, core::JobId id);

}  // namespace hypersdk::store::pg::detail
