#include "core/schedule.h"

#include <array>
#include <cctype>

namespace hypersdk::core {
namespace {

constexpr std::array<std::pair<OverlapPolicy, std::string_view>, 4> kOverlap{{
    {OverlapPolicy::skip, "skip"},
    {OverlapPolicy::buffer_one, "buffer_one"},
    {OverlapPolicy::allow, "allow"},
    {OverlapPolicy::cancel_other, "cancel_other"},
}};
constexpr std::array<std::pair<CatchupPolicy, std::string_view>, 3> kCatchup{{
    {CatchupPolicy::none, "none"},
    {CatchupPolicy::latest, "latest"},
    {CatchupPolicy::all, "all"},
}};

bool valid_name(std::string_view n) {
  if (n.empty() || n.size() > 100) return false;
  for (char c : n)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-'))
      return false;
  return std::isalnum(static_cast<unsigned char>(n.front()));
}

}  // namespace

std::string_view to_string(OverlapPolicy p) {
  for (const auto& [v, name] : kOverlap)
    if (v == p) return name;
  return "skip";
}

std::string_view to_string(CatchupPolicy p) {
  for (const auto& [v, name] : kCatchup)
    if (v == p) return name;
  return "latest";
}

Result<OverlapPolicy> parse_overlap_policy(std::string_view s) {
  for (const auto& [v, name] : kOverlap)
    if (name == s) return v;
  return invalid_error("overlap policy \"" + std::string(s) +
                       "\": expected skip, buffer_one, allow or cancel_other");
}

Result<CatchupPolicy> parse_catchup_policy(std::string_view s) {
  for (const auto& [v, name] : kCatchup)
    if (name == s) return v;
  return invalid_error("catch-up policy \"" + std::string(s) + "\": expected none, latest or all");
}

bool is_backup_kind(std::string_view type) {
  return type == "full" || type == "incremental";
}

Status validate_schedule(ScheduleSpec& spec) {
  if (!valid_name(spec.name))
    return invalid_error(
        "schedule name \"" + spec.name +
        "\" is not valid: 1-100 letters, digits, '.', '_' or '-', starting with a letter "
        "or digit");
  auto cron = parse_cron(spec.cron);
  if (!cron) return cron.error();
  spec.cron = cron->to_string();
  if (spec.timezone.empty()) spec.timezone = "UTC";
  if (auto z = find_zone(spec.timezone); !z) return z.error();
  if (spec.job_type.empty())
    return invalid_error("a schedule needs a job type (exec, backup, full, incremental, ...)");
  if (!spec.window.empty()) {
    auto w = parse_window(spec.window);
    if (!w) return w.error();
    spec.window = w->to_string();
  }
  if (spec.days.empty()) spec.days = "*";
  auto days = parse_days(spec.days);
  if (!days) return days.error();
  spec.days = days->to_string();
  for (const auto& h : spec.holidays)
    if (h.empty()) return invalid_error("empty holiday calendar name");
  if (spec.catchup_window.count() < 0) return invalid_error("catch-up window must not be negative");
  if (spec.max_catchup_runs < 1 || spec.max_catchup_runs > kMaxCatchupRunsLimit)
    return invalid_error("max catch-up runs must be between 1 and " +
                         std::to_string(kMaxCatchupRunsLimit));
  if (spec.priority < -1000 || spec.priority > 1000)
    return invalid_error("priority must be between -1000 and 1000");
  if (spec.retry.max_retries < 0 || spec.retry.max_retries > 100)
    return invalid_error("max retries must be between 0 and 100");
  if (spec.timeout_ms < 0) return invalid_error("timeout must not be negative");
  return Status::Ok();
}

Result<CompiledSchedule> compile_schedule(const ScheduleSpec& spec) {
  CompiledSchedule c;
  auto cron = parse_cron(spec.cron);
  if (!cron) return cron.error();
  c.cron = *cron;
  auto zone = find_zone(spec.timezone);
  if (!zone) return zone.error();
  c.zone = *zone;
  auto w = make_job_window(spec.timezone, spec.window, spec.days, spec.holidays,
                           to_string(spec.window_close));
  if (!w) return w.error();
  c.window = std::move(*w);
  return c;
}

}  // namespace hypersdk::core
