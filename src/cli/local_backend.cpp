#include "cli/local_backend.h"

#include <thread>

#include "cli/template_reader.h"
#include "engine/file_clock.h"
#include "engine/job_batch.h"
#include "wire/job_batch_json.h"
#include "wire/job_json.h"
#include "wire/progress_json.h"

namespace hypersdk::cli {
using nlohmann::json;

namespace {
template <typename T, typename F>
Result<json> map(Result<T> r, F&& f) {
  if (!r) return r.error();
  return f(r.value());
}
}  // namespace

Result<core::JobId> parse_id(const std::string& id) {
  if (auto n = core::parse_job_id(id)) return *n;
  return make_error(ErrorClass::invalid, "'" + id + "' is not a job id (expected j-<number>)");
}

LocalBackend::LocalBackend(std::shared_ptr<store::StoreBackend> backend,
                           engine::AdmissionPolicy policy)
    : backend_(std::move(backend)),
      store_(*backend_->store),
      clock_(engine::cli_clock()),
      jobs_(store_, *clock_, policy),
      runs_(jobs_, nullptr, template_reader()),
      schedules_(store_, *clock_, std::move(policy), {}, &runs_),
      workflows_(jobs_) {}

Result<json> LocalBackend::submit(const json& request) {
  auto spec = wire::parse_job_request(request, jobs_.policy().default_retry);
  if (!spec) return spec.error();
  return map(jobs_.submit(*spec), wire::job_to_json);
}

Result<json> LocalBackend::submit_batch(const json& requests) {
  auto items = wire::job_batch_items(requests);
  if (!items) return items.error();
  return wire::submit_job_batch(*items, jobs_.policy().default_retry,
                                [this](const std::vector<core::JobSpec>& specs) {
                                  return engine::submit_many(jobs_, specs);
                                });
}

Result<json> LocalBackend::list(const ListQuery& q) {
  store::JobFilter f;
  if (!q.status.empty()) {
    f.status = core::parse_job_status(q.status);
    if (!f.status)
      return make_error(ErrorClass::invalid,
                        "unknown status '" + q.status +
                            "' (use waiting, queued, running, retrying, succeeded, failed, "
                            "cancelled or upstream_failed)");
  }
  f.type = q.type;
  f.limit = q.limit;
  if (!q.cursor.empty()) {
    auto c = parse_id(q.cursor);
    if (!c) return c.error();
    f.before = *c;
  }
  return map(jobs_.list(f), [&](const std::vector<core::Job>& jobs) {
    json out{{"jobs", json::array()}, {"next_cursor", nullptr}};
    for (const auto& j : jobs) out["jobs"].push_back(wire::job_to_json(j));
    if (static_cast<int>(jobs.size()) == f.limit)
      out["next_cursor"] = core::format_job_id(jobs.back().id);
    return out;
  });
}

Result<json> LocalBackend::get(const std::string& id) {
  auto n = parse_id(id);
  if (!n) return n.error();
  auto job = jobs_.get(*n);
  if (!job) return job.error();
  json out = wire::job_to_json(*job);
  if (auto p = jobs_.store().job_progress_get(*n); p && *p)
    out["progress"] = wire::progress_to_json(**p);
  return out;
}

Result<json> LocalBackend::logs(const std::string& id, std::int64_t after, int limit) {
  auto n = parse_id(id);
  if (!n) return n.error();
  return map(jobs_.logs(*n, after, limit), [](const std::vector<store::LogLine>& lines) {
    json out{{"lines", json::array()}};
    for (const auto& l : lines) out["lines"].push_back(wire::log_line_to_json(l));
    return out;
  });
}

Result<json> LocalBackend::follow(const std::string& id,
                                  const std::function<void(const json&)>& on_line) {
  auto n = parse_id(id);
  if (!n) return n.error();
  std::int64_t after = 0;
  core::TimeMs progress_at = 0;
  for (;;) {
    // Read the status before the lines: once it is terminal, every line is already stored.
    auto job = jobs_.get(*n);
    if (!job) return job.error();
    if (auto p = jobs_.store().job_progress_get(*n); p && *p && (*p)->updated_at != progress_at) {
      progress_at = (*p)->updated_at;
      if (!core::is_terminal(job->status)) on_line(json{{"progress", wire::progress_to_json(**p)}});
    }
    for (;;) {
      auto lines = jobs_.logs(*n, after, 1000);
      if (!lines) return lines.error();
      for (const auto& l : *lines) {
        on_line(wire::log_line_to_json(l));
        after = l.seq;
      }
      if (lines->size() < 1000) break;
    }
    if (core::is_terminal(job->status)) return wire::job_to_json(*job);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

Result<json> LocalBackend::cancel(const std::string& id) {
  auto n = parse_id(id);
  if (!n) return n.error();
  return map(jobs_.cancel(*n), wire::job_to_json);
}

Result<json> LocalBackend::retry(const std::string& id) {
  auto n = parse_id(id);
  if (!n) return n.error();
  return map(jobs_.retry(*n), wire::job_to_json);
}

Result<json> LocalBackend::dlq_list(int limit) {
  return map(jobs_.dlq_list(limit), [](const std::vector<store::DeadLetter>& letters) {
    json out{{"dead_letters", json::array()}};
    for (const auto& d : letters) out["dead_letters"].push_back(wire::dead_letter_to_json(d));
    return out;
  });
}

Result<json> LocalBackend::dlq_get(const std::string& id) {
  auto n = parse_id(id);
  if (!n) return n.error();
  return map(jobs_.dlq_get(*n), wire::dead_letter_to_json);
}

Result<json> LocalBackend::dlq_replay(const std::string& id) {
  auto n = parse_id(id);
  if (!n) return n.error();
  return map(jobs_.dlq_replay(*n), wire::job_to_json);
}

Result<json> LocalBackend::dlq_purge(const std::optional<std::string>& id) {
  std::optional<core::JobId> n;
  if (id) {
    auto p = parse_id(*id);
    if (!p) return p.error();
    n = *p;
  }
  return map(jobs_.dlq_purge(n), [](int purged) { return json{{"purged", purged}}; });
}

}  // namespace hypersdk::cli
