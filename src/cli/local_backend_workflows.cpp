// The workflow operations of the LocalBackend: the WorkflowService over the database, with
// the API's JSON shapes.
#include "cli/local_backend.h"
#include "wire/workflow_json.h"

namespace hypersdk::cli {
using nlohmann::json;

Result<json> LocalBackend::workflow_submit(const json& definition,
                                           const std::map<std::string, std::string>& params) {
  json used;
  auto spec = wire::parse_workflow_request(definition, params, jobs_.policy().default_retry, &used);
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

}  // namespace hypersdk::cli
