// The workflow operations of the LocalBackend: the WorkflowService over the database, with
// the API's JSON shapes.
#include "cli/local_backend.h"
#include "wire/workflow_json.h"
#include "wire/workflow_template.h"

namespace hypersdk::cli {
using nlohmann::json;

Result<json> LocalBackend::workflow_submit(const json& definition,
                                           const std::map<std::string, std::string>& params) {
  auto request = wire::resolve_workflow_request(
      definition, params,
      [this](const std::string& name) { return workflows_.template_get(name); });
  if (!request) return request.error();
  json used;
  auto spec = wire::parse_workflow_request(*request, params, jobs_.policy().default_retry, &used);
  if (!spec) return spec.error();
  auto w = workflows_.submit(std::move(*spec), definition.dump(), used.dump());
  if (!w) return w.error();
  return wire::workflow_to_json(*w);
}

Result<json> LocalBackend::workflow_list(int limit) {
  auto ws = workflows_.list(limit);
  if (!ws) return ws.error();
  json out = json::array();
  for (const auto& w : *ws) out.push_back(wire::workflow_to_json(w));
  return json{{"workflows", out}};
}

Result<json> LocalBackend::workflow_get(const std::string& id) {
  auto n = engine::parse_workflow_ref(id);
  if (!n) return n.error();
  auto w = workflows_.get(*n);
  if (!w) return w.error();
  return wire::workflow_to_json(*w);
}

Result<json> LocalBackend::workflow_retry(const std::string& id) {
  auto n = engine::parse_workflow_ref(id);
  if (!n) return n.error();
  auto w = workflows_.retry(*n);
  if (!w) return w.error();
  return wire::workflow_to_json(*w);
}

Result<json> LocalBackend::workflow_cancel(const std::string& id) {
  auto n = engine::parse_workflow_ref(id);
  if (!n) return n.error();
  auto w = workflows_.cancel(*n);
  if (!w) return w.error();
  return wire::workflow_to_json(*w);
}

Result<json> LocalBackend::workflow_template_put(const std::string& name, const json& definition,
                                                 bool replace) {
  if (Status s = wire::check_template_name(name); !s.ok()) return s.error();
  if (Status s = wire::check_template_definition(definition, jobs_.policy().default_retry); !s.ok())
    return s.error();
  auto t = workflows_.template_put({name, definition.dump(), false, 0, 0}, replace);
  if (!t) return t.error();
  return wire::template_to_json(*t);
}

Result<json> LocalBackend::workflow_template_list() {
  auto ts = workflows_.template_list();
  if (!ts) return ts.error();
  json out = json::array();
  for (const auto& t : *ts) out.push_back(wire::template_to_json(t));
  return json{{"templates", out}};
}

Result<json> LocalBackend::workflow_template_get(const std::string& name) {
  auto t = workflows_.template_get(name);
  if (!t) return t.error();
  return wire::template_to_json(*t);
}

Result<json> LocalBackend::workflow_template_delete(const std::string& name) {
  if (Status s = workflows_.template_delete(name); !s.ok()) return s.error();
  return json{{"deleted", name}};
}

}  // namespace hypersdk::cli
