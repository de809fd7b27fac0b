// The shape shared by commands that act on one job by id (cancel, retry): `--id`, `--json`,
// run the action through the backend, print the job or a one-line human summary.
#pragma once

#include <functional>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "cli/context.h"

namespace hypersdk::cli {

using JobAction = std::function<Result<nlohmann::json>(Backend&, const std::string& id)>;
// Returns the line printed for people, given the id and the job after the action.
using JobSummary = std::function<std::string(const std::string& id, const nlohmann::json& job)>;

void add_job_action_command(CLI::App& app, Context& ctx, const std::string& name,
                            const std::string& description, JobAction action, JobSummary summary);

}  // namespace hypersdk::cli
