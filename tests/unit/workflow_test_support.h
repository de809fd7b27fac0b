// A workflow step for store and pool tests: a noop job without retries unless told otherwise.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/workflow_dag.h"

namespace hypersdk::test {

inline core::WorkflowStep step(std::string name, std::vector<std::string> deps = {},
                               std::string rule = "all_success", std::string type = "noop") {
  core::WorkflowStep s;
  s.name = std::move(name);
  s.spec.type = std::move(type);
  s.spec.retry.max_retries = 0;
  s.depends_on = std::move(deps);
  s.trigger_rule = std::move(rule);
  return s;
}

}  // namespace hypersdk::test
