// Workflow step decisions both stores (SQLite and PostgreSQL) make the same way inside their
// advance transactions, whatever the dialect. No SQL here.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "core/workflow_dag.h"

namespace hypersdk::store::detail {

// A step's job status as its dependents' trigger rules see it; `skipped` tells a skipped
// step from one whose upstream failed (both are stored as upstream_failed).
core::StepState step_state(const std::string& status, bool skipped);

// Whether a finished upstream in `state` can change a waiting dependent's decision before
// all of its upstreams have finished: only a failure can (all_success and
// none_failed_min_one_success give up, one_failed runs); a success or a skip only matters
// once nothing is pending, as decide_step shows rule by rule. all_done waits for all anyway.
bool decides_early(core::StepState up, const std::string& rule);

// The payload a ready step runs with: "inputs" holds the result of every ancestor that
// succeeded (its upstreams' results and the inputs they had), "upstreams" the names of its
// own upstreams among them (the nearest results: engine/step_inputs.h prefers them), and an
// exec step also gets them as environment variables: HYPERSDK_INPUT_<STEP> (one result,
// JSON) and HYPERSDK_INPUTS (all of them, JSON).
std::string payload_with_inputs(const std::string& type, const std::string& payload,
                                const nlohmann::json& inputs, const nlohmann::json& upstreams);

}  // namespace hypersdk::store::detail
