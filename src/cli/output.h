// Rendering for the terminal: aligned tables for people, JSON for machines (--json).
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace hypersdk::cli {

void print_json(std::ostream& out, const nlohmann::json& j);
void print_table(std::ostream& out, const std::vector<std::string>& headers,
                 const std::vector<std::vector<std::string>>& rows);
// One row per job: ID TYPE STATUS ATTEMPT CREATED ERROR.
void print_jobs(std::ostream& out, const nlohmann::json& jobs);
// Every field of one job, its error history last.
void print_job(std::ostream& out, const nlohmann::json& job);
// "2026-04-02T14:30:00.000Z" -> "2026-04-02 14:30:00Z"; null -> "-".
std::string short_time(const nlohmann::json& t);

}  // namespace hypersdk::cli
