// Routes for workflows (DESIGN §7): submit (a definition, or {"template", "params"}), list,
// get, retry, cancel; and workflow templates: list, get, put (?replace=false: create only),
// delete.
#include "api/errors.h"
#include "api/route.h"
#include "api/server_state.h"
#include "engine/workflow_service.h"
#include "wire/workflow_json.h"
#include "wire/workflow_template.h"

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

// ?steps=all (default) | summary: whether the answer lists every step (wire/workflow_json.h).
Result<bool> with_steps(const Req& req) {
  if (!req.has_param("steps")) return true;
  const std::string v = req.get_param_value("steps");
  if (v == "all") return true;
  if (v == "summary") return false;
  return invalid_error("query parameter 'steps' must be 'all' or 'summary', not '" + v + "'");
}

Result<store::WorkflowId> path_workflow_id(const Req& req) {
  return engine::parse_workflow_ref(req.matches.size() > 1 ? std::string(req.matches[1])
                                                           : std::string());
}

void submit(ServerState& state, const Req& req, Res& res) {
  auto* wf = service(state, res);
  if (!wf) return;
  auto steps = with_steps(req);
  if (!steps) return write_error(res, steps.error());
  auto body = parse_json_body(req);
  if (!body) return write_error(res, body.error());
  auto request = wire::resolve_workflow_request(
      *body, {}, [wf](const std::string& name) { return wf->template_get(name); });
  if (!request) return write_error(res, request.error());
  json used;
  auto spec =
      wire::parse_workflow_request(*request, {}, state.deps().jobs.policy().default_retry, &used);
  if (!spec) return write_error(res, spec.error());
  auto w = wf->submit(std::move(*spec), body->dump(), used.dump());
  if (!w) return write_error(res, w.error());
  write_json(res, 201, wire::workflow_to_json(*w, *steps));
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
  auto steps = with_steps(req);
  if (!steps) return write_error(res, steps.error());
  auto w = op(*wf, *id);
  if (!w) return write_error(res, w.error());
  write_json(res, 200, wire::workflow_to_json(*w, *steps));
}

std::string path_name(const Req& req) {
  return req.matches.size() > 1 ? std::string(req.matches[1]) : std::string();
}

void list_templates(ServerState& state, const Req&, Res& res) {
  auto* wf = service(state, res);
  if (!wf) return;
  auto ts = wf->template_list();
  if (!ts) return write_error(res, ts.error());
  json out = json::array();
  for (const auto& t : *ts) out.push_back(wire::template_to_json(t));
  write_json(res, 200, {{"templates", out}});
}

void get_template(ServerState& state, const Req& req, Res& res) {
  auto* wf = service(state, res);
  if (!wf) return;
  auto t = wf->template_get(path_name(req));
  if (!t) return write_error(res, t.error());
  write_json(res, 200, wire::template_to_json(*t));
}

void put_template(ServerState& state, const Req& req, Res& res) {
  auto* wf = service(state, res);
  if (!wf) return;
  const std::string name = path_name(req);
  if (Status s = wire::check_template_name(name); !s.ok()) return write_error(res, s.error());
  const std::string replace = req.get_param_value("replace");
  if (!replace.empty() && replace != "true" && replace != "false")
    return write_error(res, invalid_error("replace must be true or false, got '" + replace + "'"));
  auto body = parse_json_body(req);
  if (!body) return write_error(res, body.error());
  if (Status s = wire::check_template_definition(*body, state.deps().jobs.policy().default_retry);
      !s.ok())
    return write_error(res, s.error());
  auto t = wf->template_put({name, body->dump(), false, 0, 0}, replace != "false");
  if (!t) return write_error(res, t.error());
  write_json(res, t->created_at == t->updated_at ? 201 : 200, wire::template_to_json(*t));
}

void delete_template(ServerState& state, const Req& req, Res& res) {
  auto* wf = service(state, res);
  if (!wf) return;
  const std::string name = path_name(req);
  if (Status s = wf->template_delete(name); !s.ok()) return write_error(res, s.error());
  write_json(res, 200, {{"deleted", name}});
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
      {"GET", "/api/v1/workflow-templates", Access::read,
       [s](const Req& req, Res& res) { list_templates(*s, req, res); }},
      {"GET", "/api/v1/workflow-templates/{name}", Access::read,
       [s](const Req& req, Res& res) { get_template(*s, req, res); }},
      {"PUT", "/api/v1/workflow-templates/{name}", Access::operate,
       [s](const Req& req, Res& res) { put_template(*s, req, res); }},
      {"DELETE", "/api/v1/workflow-templates/{name}", Access::operate,
       [s](const Req& req, Res& res) { delete_template(*s, req, res); }},
  };
}

}  // namespace hypersdk::api
