#include "engine/settings.h"

#include "engine/provider_jobs.h"

#include <charconv>

#include "engine/schedule_calendars.h"

namespace hypersdk::engine {

store::DatabaseOptions database_options(const ops::Config& c, const std::string& db_path) {
  store::DatabaseOptions o;
  o.path = db_path;
  o.synchronous_full = c.get_string("db.synchronous") != "NORMAL";
  o.busy_timeout = c.get_duration("db.busy_timeout");
  o.journal_size_limit = c.get_int("db.journal_size_limit");
  o.backup_before_migrate = c.get_bool("db.backup_before_migrate");
  return o;
}

core::RetryPolicy default_retry_policy(const ops::Config& c) {
  core::RetryPolicy p;
  p.max_retries = static_cast<int>(c.get_int("retry.max_retries"));
  p.kind = core::parse_backoff_kind(c.get_string("retry.backoff"))
               .value_or(core::BackoffKind::exponential);
  p.base = c.get_duration("retry.base");
  p.cap = c.get_duration("retry.cap");
  p.retry_on.clear();
  for (const auto& name : c.get_list("retry.retry_on"))
    if (auto cls = parse_error_class(name)) p.retry_on.push_back(*cls);
  return p;
}

ExecConfig exec_config(const ops::Config& c) {
  ExecConfig e;
  e.allow_shell = c.get_bool("jobs.exec.allow_shell");
  e.kill_grace = c.get_duration("jobs.exec.kill_grace");
  e.allowed = c.get_list("jobs.exec.allowed");
  // The schema validated the map (codes 1..255, known classes) at load time.
  const YAML::Node codes = c.get_node("jobs.exec.exit_codes");
  if (codes.IsMap()) {
    e.exit_codes.clear();
    for (const auto& kv : codes) {
      const std::string key = kv.first.as<std::string>();
      int code = 0;
      std::from_chars(key.data(), key.data() + key.size(), code);
      if (auto cls = parse_error_class(kv.second.as<std::string>())) e.exit_codes[code] = *cls;
    }
  }
  return e;
}

AdmissionPolicy admission_policy(const ops::Config& c) {
  AdmissionPolicy a;
  a.default_retry = default_retry_policy(c);
  a.exec_enabled = c.get_bool("jobs.exec.enabled");
  // Providers and exports (issue 11).
  for (const auto& t : provider_job_types()) a.known_types.insert(t);
  a.exec = exec_config(c);
  a.default_timezone = c.get_string("scheduler.default_timezone");
  auto holidays = load_holiday_calendars(c);
  if (holidays)
    a.holidays = std::make_shared<HolidayBook>(std::move(*holidays));
  else
    a.holidays_error = holidays.error();
  return a;
}

SchedulerConfig scheduler_config(const ops::Config& c) {
  SchedulerConfig s;
  s.tick = c.get_duration("scheduler.tick");
  s.misfire_grace = c.get_duration("scheduler.misfire_grace");
  s.arm = c.get_bool("scheduler.arm_ahead");  // scheduler_arm.cpp
  return s;
}

std::filesystem::path export_dir(const ops::Config& c, const std::string& db_path) {
  const std::string& dir = c.get_string("export.dir");
  if (!dir.empty()) return dir;
  return std::filesystem::absolute(db_path).parent_path() / "exports";
}

WorkerPoolConfig worker_pool_config(const ops::Config& c, std::string owner) {
  WorkerPoolConfig w;
  w.workers = static_cast<int>(c.get_int("workers.count"));
  w.claim_batch = static_cast<int>(c.get_int("workers.claim_batch"));
  w.lease_ttl = c.get_duration("workers.lease_ttl");
  w.owner = std::move(owner);
  w.output.max_bytes = c.get_int("jobs.output.max_bytes");
  w.output.max_lines = c.get_int("jobs.output.max_lines");
  w.output.buffer_bytes = c.get_int("jobs.output.buffer_bytes");
  w.stall_timeout = c.get_duration("jobs.stall_timeout");
  return w;
}

}  // namespace hypersdk::engine
