// Routes for upload targets (issue 12): GET /targets (settings without secrets) and
// POST /targets/{name}/test (probe write, read back, remove; answers 200 with the report,
// whose "ok" and "error" tell the outcome; 404 for an unknown name).
#include "api/errors.h"
#include "api/route.h"
#include "api/server_state.h"
#include "targets/target.h"

namespace hypersdk::api {
namespace {

using nlohmann::json;
using Req = httplib::Request;
using Res = httplib::Response;

targets::TargetRegistry* registry(ServerState& state, Res& res) {
  if (!state.deps().targets)
    write_error(res, make_error(ErrorClass::unavailable, "targets are not served here"));
  return state.deps().targets;
}

}  // namespace

std::vector<Route> target_routes(ServerState& state) {
  return {
      {"GET", "/api/v1/targets", Access::read,
       [&state](const Req&, Res& res) {
         auto* reg = registry(state, res);
         if (!reg) return;
         json out = json::array();
         for (const auto& [name, t] : *reg->current()) out.push_back(t.describe());
         write_json(res, 200, {{"targets", out}});
       }},
      {"POST", "/api/v1/targets/{name}/test", Access::operate,
       [&state](const Req& req, Res& res) {
         auto* reg = registry(state, res);
         if (!reg) return;
         auto spec = reg->find(req.matches.size() > 1 ? std::string(req.matches[1]) : "");
         if (!spec) return write_error(res, spec.error());
         write_json(res, 200, targets::test_target(*spec).to_json());
       }},
  };
}

}  // namespace hypersdk::api
