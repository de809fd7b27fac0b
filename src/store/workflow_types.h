// Workflow values of the store port (store.h, DESIGN §7). A step is a job (jobs.workflow_id,
// jobs.step_name) plus its edges and trigger rule.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/job.h"
#include "core/workflow_dag.h"

namespace hypersdk::store {

using WorkflowId = std::int64_t;

struct WorkflowStepRow {
  std::string name;
  std::vector<std::string> depends_on;
  std::string trigger_rule;
  bool skipped = false;  // upstream_failed because its rule could not be met, nothing failed
  core::Job job;
};

struct Workflow {
  WorkflowId id = 0;
  std::string name;
  std::string status;      // running | succeeded | failed | cancelled
  std::string definition;  // the submitted request (JSON)
  std::string params;      // JSON object
  int runs = 1;            // 1 + retries
  bool cancel_requested = false;
  core::TimeMs created_at = 0;
  core::TimeMs updated_at = 0;
  std::optional<core::TimeMs> finished_at;
  std::vector<WorkflowStepRow> steps;  // in topological order
};

struct WorkflowSubmit {
  core::WorkflowSpec spec;  // REQUIRES: core::validate_workflow succeeded; windows resolved
  std::string definition = "{}";
  std::string params = "{}";
};

// A named workflow definition with "{{param}}" placeholders (wire/workflow_template.h).
struct WorkflowTemplate {
  std::string name;
  std::string definition;  // JSON object: a workflow request
  bool builtin = false;    // shipped with the binary; cannot be replaced or deleted
  core::TimeMs created_at = 0;
  core::TimeMs updated_at = 0;
};

// "w-7"; a bare "7" is accepted too.
std::string format_workflow_id(WorkflowId id);
std::optional<WorkflowId> parse_workflow_id(const std::string& s);

}  // namespace hypersdk::store
