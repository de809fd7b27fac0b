#include "engine/job_events_log.h"

#include "ops/log.h"

namespace hypersdk::engine {
namespace {

using ops::LogFields;
using ops::LogLevel;

// request.id from the API request this thread is serving (api/server.cpp scopes every line
// of a request with http.request.id); absent for the engine's own threads and the CLI.
void add_request_id(LogFields& f) {
  for (const auto& field : ops::log_context())
    if (field.key == "http.request.id") f.push_back({"request.id", field.value});
}

LogFields base_fields(core::JobId id, const std::string& type) {
  return {{"job.id", core::format_job_id(id)}, {"job.type", type}};
}

void add_error(LogFields& f, const std::optional<Error>& e) {
  if (!e) return;
  f.push_back({"error.class", std::string(to_string(e->cls))});
  f.push_back({"error.message", e->message});
}

}  // namespace

std::string JobEventLog::schedule_name(const JobEvent& e) {
  std::lock_guard lock(mu_);
  if (e.kind != JobEventKind::started) {
    // Completions carry no schedule id: the start of the same attempt recorded it.
    auto it = running_schedule_.find(e.id);
    if (it == running_schedule_.end()) return {};
    std::string name = it->second;
    running_schedule_.erase(it);
    return name;
  }
  if (!e.schedule_id) return {};
  auto it = schedule_names_.find(*e.schedule_id);
  std::string name;
  if (it != schedule_names_.end()) {
    name = it->second;
  } else if (auto s = store_.schedule_get_by_id(*e.schedule_id)) {
    name = s->spec.name;
    // Names never change (a schedule is updated in place, by name); bound the cache anyway.
    if (schedule_names_.size() >= 10'000) schedule_names_.clear();
    schedule_names_.emplace(*e.schedule_id, name);
  } else {
    name = "#" + std::to_string(*e.schedule_id);  // deleted since it fired
  }
  running_schedule_[e.id] = name;
  return name;
}

void JobEventLog::on_job_event(const JobEvent& e) {
  LogFields f = base_fields(e.id, e.type);
  if (std::string s = schedule_name(e); !s.empty()) f.push_back({"schedule.name", s});
  f.push_back({"attempt", e.attempt});
  switch (e.kind) {
    case JobEventKind::started:
      if (!e.worker.empty()) f.push_back({"worker", e.worker});
      ops::log::info("job started", f);
      return;
    case JobEventKind::succeeded:
      f.push_back({"duration_ms", e.duration_ms});
      ops::log::info("job succeeded", f);
      return;
    case JobEventKind::retrying:
      add_error(f, e.error);
      f.push_back({"duration_ms", e.duration_ms});
      if (e.retry_at) f.push_back({"retry_at_ms", *e.retry_at});
      f.push_back({"next_attempt", e.attempt + 1});
      ops::log::warn("job failed; retrying", f);
      return;
    case JobEventKind::failed: {
      add_error(f, e.error);
      f.push_back({"duration_ms", e.duration_ms});
      f.push_back({"retries_exhausted", e.retries_exhausted});
      ops::log::error("job failed", f);
      // The same transaction wrote the dead-letter row (DESIGN §4).
      LogFields d = base_fields(e.id, e.type);
      for (const auto& field : f)
        if (field.key == "schedule.name") d.push_back(field);
      d.push_back({"reason", e.retries_exhausted ? "retries_exhausted" : "not_retryable"});
      ops::log::error("job dead-lettered", d);
      return;
    }
    case JobEventKind::cancelled:
      f.push_back({"duration_ms", e.duration_ms});
      ops::log::info("job cancelled", f);
      return;
    case JobEventKind::rescued:
      ops::log::warn("job rescued", f);
      return;
  }
}

void log_job_admitted(const core::Job& job, std::string_view action) {
  LogFields f = base_fields(job.id, job.spec.type);
  if (job.spec.schedule_id) f.push_back({"schedule.id", *job.spec.schedule_id});
  add_request_id(f);
  f.push_back({"action", action});
  f.push_back({"status", std::string(core::to_string(job.status))});
  f.push_back({"priority", job.spec.priority});
  f.push_back({"run_at_ms", job.run_at});
  ops::log::info(job.status == core::JobStatus::waiting ? "job waiting" : "job queued", f);
}

void log_job_cancel(const core::Job& job) {
  LogFields f = base_fields(job.id, job.spec.type);
  add_request_id(f);
  f.push_back({"status", std::string(core::to_string(job.status))});
  ops::log::info(
      job.status == core::JobStatus::cancelled ? "job cancelled" : "job cancel requested", f);
}

void log_jobs_rescued(const store::RescueResult& r, std::string_view why) {
  for (core::JobId id : r.requeued)
    ops::log::warn("job rescued: requeued",
                   {{"job.id", core::format_job_id(id)}, {"reason", std::string(why)}});
  for (core::JobId id : r.dead_lettered)
    ops::log::error("job dead-lettered", {{"job.id", core::format_job_id(id)},
                                          {"reason", "lease_expired"},
                                          {"detail", std::string(why)}});
  for (core::JobId id : r.cancelled)
    ops::log::info("job cancelled", {{"job.id", core::format_job_id(id)},
                                     {"reason", "cancel requested before its lease lapsed"},
                                     {"detail", std::string(why)}});
}

}  // namespace hypersdk::engine
