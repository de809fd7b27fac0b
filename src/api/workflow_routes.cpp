// Routes for workflows (DESIGN §7): submit, list, get, retry, cancel.
#include "api/errors.h"
#include "api/route.h"
#include "api/server_state.h"
#include "engine/workflow_service.h"
#include "wire/workflow_json.h"

namespace hypersdk::api {
namespace {

using nlohmann::json;
using Req = httplib::Request;
using Res = httplib::Response;

engine::WorkflowService* service(ServerState& state, Res& res) {
  if (!state.deps().workflows)
    write_error(res, make_error(ErrorClass::unavailable, "workflows are not served here"));
  return state.deps().workflows;
}

Result<store::WorkflowId> path_workflow_id(const Req& req) {
  return engine::parse_workflow_ref(req.matches.size() > 1 ? std::string(req.matches[1])
                                                           : std::string());
}

void submit(ServerState& state, const Req& req, Res& res) {
  auto* wf = service(state, res);
  if (!wf) return;
  auto body = parse_json_body(req);
  if (!body) return write_error(res, body.error());
  json used;
  auto spec =
      wire::parse_workflow_request(*body, {}, state.deps().jobs.policy().default_retry, &used);
  if (!spec) return write_error(res, spec.error());
  auto w = wf->submit(std::move(*spec), body->dump(), used.dump());
  if (!w) return write_error(res, w.error());
  write_json(res, 201, wire::workflow_to_json(*w));
}

void list(ServerState& state, const Req& req, Res& res) {
  auto* wf = service(state, res);
  if (!wf) return;
  auto limit = int_param(req, "limit", 50, 1, 1000);
  if (!limit) return write_error(res, limit.error());
  auto ws = wf->list(static_cast<int>(*limit));
  if (!ws) return write_error(res, ws.error());
  json out = json::array();
  for (const auto& w : *ws) out.push_back(wire::workflow_to_json(w));
  write_json(res, 200, {{"workflows", out}});
}

template <typename Op>
void one(ServerState& state, const Req& req, Res& res, Op op) {
  auto* wf = service(state, res);
  if (!wf) return;
  auto id = path_workflow_id(req);
  if (!id) return write_error(res, id.error());
  auto w = op(*wf, *id);
  if (!w) return write_error(res, w.error());
  write_json(res, 200, wire::workflow_to_json(*w));
}

}  // namespace

std::vector<Route> workflow_routes(ServerState& state) {
  ServerState* s = &state;
  return {
      {"POST", "/api/v1/workflows", Access::operate,
       [s](const Req& req, Res& res) { submit(*s, req, res); }},
      {"GET", "/api/v1/workflows", Access::read,
       [s](const Req& req, Res& res) { list(*s, req, res); }},
      {"GET", "/api/v1/workflows/{id}", Access::read,
       [s](const Req& req, Res& res) {
         one(*s, req, res,
             [](engine::WorkflowService& w, store::WorkflowId id) { return w.get(id); });
       }},
      {"POST", "/api/v1/workflows/{id}/retry", Access::operate,
       [s](const Req& req, Res& res) {
         one(*s, req, res,
             [](engine::WorkflowService& w, store::WorkflowId id) { return w.retry(id); });
       }},
      {"POST", "/api/v1/workflows/{id}/cancel", Access::operate,
       [s](const Req& req, Res& res) {
         one(*s, req, res,
             [](engine::WorkflowService& w, store::WorkflowId id) { return w.cancel(id); });
       }},
  };
}

}  // namespace hypersdk::api
