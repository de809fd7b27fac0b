// Routes for the dead-letter queue: list, get, replay, purge one or all.
#include "api/errors.h"
#include "api/route.h"
#include "api/server_state.h"
#include "engine/job_service.h"
#include "wire/job_json.h"

namespace hypersdk::api {
namespace {

using nlohmann::json;
using Req = httplib::Request;
using Res = httplib::Response;

void list(ServerState& state, const Req& req, Res& res) {
  auto limit = int_param(req, "limit", 100, 1, 1000);
  if (!limit) return write_error(res, limit.error());
  auto letters = state.deps().jobs.dlq_list(static_cast<int>(*limit));
  if (!letters) return write_error(res, letters.error());
  json out = json::array();
  for (const auto& d : *letters) out.push_back(wire::dead_letter_to_json(d));
  write_json(res, 200, {{"dead_letters", out}});
}

void get(ServerState& state, const Req& req, Res& res) {
  auto id = path_job_id(req);
  if (!id) return write_error(res, id.error());
  auto letter = state.deps().jobs.dlq_get(*id);
  if (!letter) return write_error(res, letter.error());
  write_json(res, 200, wire::dead_letter_to_json(*letter));
}

void replay(ServerState& state, const Req& req, Res& res) {
  auto id = path_job_id(req);
  if (!id) return write_error(res, id.error());
  auto job = state.deps().jobs.dlq_replay(*id);
  if (!job) return write_error(res, job.error());
  write_json(res, 200, wire::job_to_json(*job));
}

void purge(ServerState& state, const Req& req, Res& res, bool one) {
  std::optional<core::JobId> which;
  if (one) {
    auto id = path_job_id(req);
    if (!id) return write_error(res, id.error());
    which = *id;
  }
  auto n = state.deps().jobs.dlq_purge(which);
  if (!n) return write_error(res, n.error());
  if (which && *n == 0)
    return write_error(res, make_error(ErrorClass::not_found,
                                       "no dead letter for job " + core::format_job_id(*which)));
  write_json(res, 200, {{"purged", *n}});
}

}  // namespace

std::vector<Route> dlq_routes(ServerState& state) {
  ServerState* s = &state;
  return {
      {"GET", "/api/v1/dlq", Access::read, [s](const Req& req, Res& res) { list(*s, req, res); }},
      {"GET", "/api/v1/dlq/{id}", Access::read,
       [s](const Req& req, Res& res) { get(*s, req, res); }},
      {"POST", "/api/v1/dlq/{id}/replay", Access::operate,
       [s](const Req& req, Res& res) { replay(*s, req, res); }},
      {"DELETE", "/api/v1/dlq/{id}", Access::admin,
       [s](const Req& req, Res& res) { purge(*s, req, res, true); }},
      {"DELETE", "/api/v1/dlq", Access::admin,
       [s](const Req& req, Res& res) { purge(*s, req, res, false); }},
  };
}

}  // namespace hypersdk::api
