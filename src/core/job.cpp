#include "core/job.h"

#include <array>
#include <charconv>

#include <nlohmann/json.hpp>

namespace hypersdk::core {
namespace {
constexpr std::array<std::pair<JobStatus, std::string_view>, 8> kStatuses{{
    {JobStatus::waiting, "waiting"},
    {JobStatus::queued, "queued"},
    {JobStatus::running, "running"},
    {JobStatus::retrying, "retrying"},
    {JobStatus::succeeded, "succeeded"},
    {JobStatus::failed, "failed"},
    {JobStatus::cancelled, "cancelled"},
    {JobStatus::upstream_failed, "upstream_failed"},
}};

bool valid_type_name(std::string_view t) {
  if (t.empty() || t.size() > 64) return false;
  for (char c : t)
    if (!(std::islower(static_cast<unsigned char>(c)) ||
          std::isdigit(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.'))
      return false;
  return true;
}
}  // namespace

std::string_view to_string(JobStatus s) {
  for (const auto& [st, name] : kStatuses)
    if (st == s) return name;
  return "queued";
}

std::optional<JobStatus> parse_job_status(std::string_view s) {
  // "completed" is what the spec's webhook payload says for a succeeded job.
  if (s == "completed") return JobStatus::succeeded;
  for (const auto& [st, name] : kStatuses)
    if (name == s) return st;
  return std::nullopt;
}

bool is_terminal(JobStatus s) {
  return s == JobStatus::succeeded || s == JobStatus::failed || s == JobStatus::cancelled ||
         s == JobStatus::upstream_failed;
}

std::string format_job_id(JobId id) {
  return "j-" + std::to_string(id);
}

std::optional<JobId> parse_job_id(std::string_view s) {
  if (s.starts_with("j-")) s.remove_prefix(2);
  JobId id = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), id);
  if (ec != std::errc() || p != s.data() + s.size() || id <= 0) return std::nullopt;
  return id;
}

Status validate_spec(const JobSpec& spec) {
  if (!valid_type_name(spec.type))
    return make_error(ErrorClass::invalid,
                      "job type '" + spec.type +
                          "' is not valid: use lower-case letters, digits, '-', '_' or '.'");
  auto payload = nlohmann::json::parse(spec.payload, nullptr, false);
  if (payload.is_discarded() || !payload.is_object())
    return make_error(ErrorClass::invalid, "job payload must be a JSON object");
  auto labels = nlohmann::json::parse(spec.labels, nullptr, false);
  if (labels.is_discarded() || !labels.is_object())
    return make_error(ErrorClass::invalid, "job labels must be a JSON object of strings");
  if (spec.retry.max_retries < 0 || spec.retry.max_retries > 100)
    return make_error(ErrorClass::invalid, "max retries must be between 0 and 100");
  if (spec.retry.base.count() < 0 || spec.retry.cap.count() < 0)
    return make_error(ErrorClass::invalid, "retry delays must not be negative");
  if (spec.timeout_ms < 0) return make_error(ErrorClass::invalid, "timeout must not be negative");
  if (spec.priority < -1000 || spec.priority > 1000)
    return make_error(ErrorClass::invalid, "priority must be between -1000 and 1000");
  return Status::Ok();
}

}  // namespace hypersdk::core
