// Workflows (DESIGN §7): a DAG of steps, each a job with dependencies and a trigger rule.
// Pure: validation, topological order and the trigger-rule decision. The store applies the
// decisions in the transaction that completes an upstream step.
//
// Thread safety: plain values and free functions.
#pragma once

#include <cstddef>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "core/job.h"

namespace hypersdk::core {

// When a step may run, judged from the states of its upstream steps (Airflow's names):
//   all_success                  every upstream succeeded (the default)
//   all_done                     every upstream finished, whatever the outcome
//   one_failed                   at least one upstream failed (or could not run)
//   none_failed_min_one_success  no upstream failed, and at least one succeeded
enum class TriggerRule { all_success, all_done, one_failed, none_failed_min_one_success };

std::string_view to_string(TriggerRule r);
std::optional<TriggerRule> parse_trigger_rule(std::string_view s);

struct WorkflowStep {
  std::string name;  // unique in the workflow: [A-Za-z0-9_-], 1..64 characters
  JobSpec spec;
  std::vector<std::string> depends_on;
  std::string trigger_rule = "all_success";  // validated by validate_workflow
};

struct WorkflowSpec {
  std::string name;
  std::vector<WorkflowStep> steps;
};

constexpr std::size_t kMaxWorkflowSteps = 10000;

// Checks the whole workflow; the first problem found is returned, naming the step and rule:
// empty or bad step name, duplicate name, unknown trigger rule, unknown job type (when
// known_types is not empty), a dependency on an unknown step or on itself, each step's job
// spec (validate_spec), and cycles, named along the path: "cycle: a -> b -> c -> a"
// (a -> b: b depends on a).
Status validate_workflow(const WorkflowSpec& wf, const std::set<std::string>& known_types);

// The steps' indices so that every step comes after all of its upstreams; among steps that
// are free at the same time, declaration order. Errors: invalid on an unknown dependency or a
// cycle (as validate_workflow names them).
Result<std::vector<std::size_t>> topological_order(const std::vector<WorkflowStep>& steps);

// The state of an upstream step as the trigger rules see it. `skipped` is a step that did
// not run because its own trigger rule could not be met although nothing failed (a
// one_failed step when all went well); it does not count as a failure.
enum class StepState { pending, succeeded, failed, cancelled, upstream_failed, skipped };

enum class StepDecision {
  wait,             // an upstream outcome that matters is still unknown
  ready,            // run it now
  upstream_failed,  // it can never run: an upstream failed
  skipped,          // it can never run, and nothing failed
};

std::string_view to_string(StepDecision d);

// The decision for one step. A step without upstreams is always ready.
StepDecision decide_step(TriggerRule rule, const std::vector<StepState>& upstream);

// The environment variable name of a step's input: "HYPERSDK_INPUT_" + upper-cased name with
// '-' as '_'.
std::string step_input_env_name(std::string_view step);

}  // namespace hypersdk::core
