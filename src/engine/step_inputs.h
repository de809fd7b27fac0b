// THE STEP CONTRACT of workflow steps (shared with workflows and uploads): a step's payload
// holds `inputs` = {upstream step name: its result object}. A file-consuming handler uses the
// payload's `path` when given, else the `path` of its single upstream input that has one
// (`from: STEP` picks one when several do). Pure functions over the payload JSON.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "core/error.h"

namespace hypersdk::engine {

// The input result to read from: the one named by `from`, else the one that has `key` among
// the step's own upstreams (payload `upstreams`), else among all its ancestors' (several that
// agree on its value count as one). nullopt when none has it. Errors: invalid when several
// at the same distance disagree and no `from` picks one, or `from` names no input.
Result<std::optional<nlohmann::json>> step_input_with(const nlohmann::json& payload,
                                                      const std::string& key);

// The file to consume: payload `path`, else an input's. Errors: invalid naming the rule.
Result<std::string> step_path(const nlohmann::json& payload);

// A string field of the payload, else of the input that has it; "" when none.
std::string step_string(const nlohmann::json& payload, const std::string& key);

}  // namespace hypersdk::engine
