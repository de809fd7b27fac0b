// Routes for jobs: submit, list, get, logs (plain or SSE), cancel, retry.
#include <charconv>

#include "api/errors.h"
#include "api/log_stream.h"
#include "api/route.h"
#include "api/server_state.h"
#include "engine/job_batch.h"
#include "engine/job_service.h"
#include "wire/job_batch_json.h"
#include "wire/job_json.h"
#include "wire/json_limits.h"
#include "wire/progress_json.h"

namespace hypersdk::api {
namespace {

using nlohmann::json;
using Req = httplib::Request;
using Res = httplib::Response;

constexpr std::size_t kMaxIdempotencyKey = 255;

void submit(ServerState& state, const Req& req, Res& res) {
  auto body = parse_json_body(req);
  if (!body) return write_error(res, body.error());
  engine::JobService& jobs = state.deps().jobs;
  auto spec = wire::parse_job_request(*body, jobs.policy().default_retry);
  if (!spec) return write_error(res, spec.error());
  if (req.has_header("Idempotency-Key")) {
    const std::string key = req.get_header_value("Idempotency-Key");
    if (key.empty() || key.size() > kMaxIdempotencyKey)
      return write_error(res, make_error(ErrorClass::invalid,
                                         "the Idempotency-Key header must be 1 to 255 characters"));
    if (!spec->idempotency_key.empty() && spec->idempotency_key != key)
      return write_error(res, make_error(ErrorClass::invalid,
                                         "the Idempotency-Key header and the body's "
                                         "idempotency_key differ; send one of them"));
    spec->idempotency_key = key;
  }
  auto job = jobs.submit(*spec);
  if (!job) return write_error(res, job.error());
  res.set_header("Location", "/api/v1/jobs/" + core::format_job_id(job->id));
  write_json(res, 201, wire::job_to_json(*job));
}

// Many jobs in one request and one transaction: 200 with one answer per request (a request
// refused on its own does not stop the others); 400 when the body is not a batch.
void submit_batch(ServerState& state, const Req& req, Res& res) {
  auto body = wire::parse_json_bounded(req.body, "the request body");
  if (!body) return write_error(res, body.error());
  auto items = wire::job_batch_items(*body);
  if (!items) return write_error(res, items.error());
  engine::JobService& jobs = state.deps().jobs;
  write_json(res, 200,
             wire::submit_job_batch(*items, jobs.policy().default_retry,
                                    [&](const std::vector<core::JobSpec>& specs) {
                                      return engine::submit_many(jobs, specs);
                                    }));
}

void list(ServerState& state, const Req& req, Res& res) {
  store::JobFilter f;
  if (req.has_param("status") && !req.get_param_value("status").empty()) {
    const std::string text = req.get_param_value("status");
    f.status = core::parse_job_status(text);
    if (!f.status)
      return write_error(res, make_error(ErrorClass::invalid,
                                         "unknown status '" + text +
                                             "' (one of waiting, queued, running, retrying, "
                                             "succeeded, failed, cancelled, upstream_failed)"));
  }
  f.type = req.get_param_value("type");
  auto limit = int_param(req, "limit", 50, 1, 1000);
  if (!limit) return write_error(res, limit.error());
  if (req.has_param("cursor") && !req.get_param_value("cursor").empty()) {
    const std::string text = req.get_param_value("cursor");
    f.before = core::parse_job_id(text);
    if (!f.before)
      return write_error(
          res, make_error(ErrorClass::invalid, "cursor '" + text +
                                                   "' is not a job id: pass the next_cursor of the "
                                                   "previous page"));
  }
  // One more than asked tells whether another page exists.
  f.limit = static_cast<int>(std::min<std::int64_t>(*limit + 1, 1000));
  auto found = state.deps().jobs.list(f);
  if (!found) return write_error(res, found.error());
  json out = json::array();
  json next = nullptr;
  for (std::size_t i = 0; i < found->size(); ++i) {
    if (static_cast<std::int64_t>(i) == *limit) break;
    out.push_back(wire::job_to_json((*found)[i]));
  }
  if (static_cast<std::int64_t>(found->size()) > *limit ||
      (*limit == 1000 && found->size() == 1000))
    next = core::format_job_id((*found)[static_cast<std::size_t>(*limit) - 1].id);
  write_json(res, 200, {{"jobs", out}, {"next_cursor", next}});
}

void get(ServerState& state, const Req& req, Res& res) {
  auto id = path_job_id(req);
  if (!id) return write_error(res, id.error());
  auto job = state.deps().jobs.get(*id);
  if (!job) return write_error(res, job.error());
  json out = wire::job_to_json(*job);
  if (auto p = state.deps().jobs.store().job_progress_get(*id); p && *p)
    out["progress"] = wire::progress_to_json(**p);
  write_json(res, 200, out);
}

void logs(ServerState& state, const Req& req, Res& res) {
  auto id = path_job_id(req);
  if (!id) return write_error(res, id.error());
  auto after = int_param(req, "after", 0, 0, INT64_MAX);
  if (!after) return write_error(res, after.error());
  const std::string follow = req.get_param_value("follow");
  if (follow == "1" || follow == "true") {
    auto job = state.deps().jobs.get(*id);
    if (!job) return write_error(res, job.error());
    std::int64_t from = *after;
    // A reconnecting EventSource resumes after the last event it saw.
    // Our own ids are log sequence numbers; anything else is a client bug, not a resume
    // point to guess at (replaying from the start would duplicate lines silently).
    if (const std::string last = req.get_header_value("Last-Event-ID"); !last.empty()) {
      std::int64_t seq = -1;
      const auto [end, ec] = std::from_chars(last.data(), last.data() + last.size(), seq);
      if (ec != std::errc() || end != last.data() + last.size() || seq < 0)
        return write_error(res, invalid_error("Last-Event-ID must be a log sequence number (a "
                                              "non-negative integer) as sent in an event's id, "
                                              "not '" +
                                              last.substr(0, 64) + "'"));
      from = std::max<std::int64_t>(from, seq);
    }
    return start_log_stream(state, *id, from, res);
  }
  auto limit = int_param(req, "limit", 1000, 1, 10000);
  if (!limit) return write_error(res, limit.error());
  auto lines = state.deps().jobs.logs(*id, *after, static_cast<int>(*limit));
  if (!lines) return write_error(res, lines.error());
  json out = json::array();
  std::int64_t last = *after;
  for (const auto& l : *lines) {
    out.push_back(wire::log_line_to_json(l));
    last = l.seq;
  }
  write_json(res, 200, {{"lines", out}, {"next_after", last}});
}

template <typename Op>
void act(const Req& req, Res& res, Op op) {
  auto id = path_job_id(req);
  if (!id) return write_error(res, id.error());
  auto job = op(*id);
  if (!job) return write_error(res, job.error());
  write_json(res, 200, wire::job_to_json(*job));
}

}  // namespace

std::vector<Route> job_routes(ServerState& state) {
  ServerState* s = &state;
  return {
      {"POST", "/api/v1/jobs", Access::operate,
       [s](const Req& req, Res& res) { submit(*s, req, res); }},
      {"POST", "/api/v1/jobs:batch", Access::operate,
       [s](const Req& req, Res& res) { submit_batch(*s, req, res); }},
      {"GET", "/api/v1/jobs", Access::read, [s](const Req& req, Res& res) { list(*s, req, res); }},
      {"GET", "/api/v1/jobs/{id}", Access::read,
       [s](const Req& req, Res& res) { get(*s, req, res); }},
      {"GET", "/api/v1/jobs/{id}/logs", Access::read,
       [s](const Req& req, Res& res) { logs(*s, req, res); }},
      {"POST", "/api/v1/jobs/{id}/cancel", Access::operate,
       [s](const Req& req, Res& res) {
         act(req, res, [s](core::JobId id) { return s->deps().jobs.cancel(id); });
       }},
      {"POST", "/api/v1/jobs/{id}/retry", Access::operate,
       [s](const Req& req, Res& res) {
         act(req, res, [s](core::JobId id) { return s->deps().jobs.retry(id); });
       }},
  };
}

}  // namespace hypersdk::api
