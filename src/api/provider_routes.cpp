// Routes for providers and backups (issue 11): GET /api/v1/providers (each tested: health,
// VM count, diagnosis), POST /api/v1/providers/{name}/test, GET
// /api/v1/providers/{name}/vms?glob=, GET /api/v1/backups?vm=&limit=, GET /api/v1/backups/{id}.
#include "api/errors.h"
#include "api/route.h"
#include "api/server_state.h"
#include "providers/registry.h"
#include "store/backup_store.h"
#include "wire/provider_json.h"

namespace hypersdk::api {
namespace {

using nlohmann::json;
using Req = httplib::Request;
using Res = httplib::Response;

providers::ProviderRegistry* registry(ServerState& state, Res& res) {
  if (!state.deps().providers)
    write_error(res, make_error(ErrorClass::unavailable, "providers are not served here"));
  return state.deps().providers;
}

Result<std::shared_ptr<providers::Provider>> named(ServerState& state, const Req& req) {
  const std::string name = req.matches.size() > 1 ? std::string(req.matches[1]) : "";
  return state.deps().providers->find(name);
}

void list(ServerState& state, const Req&, Res& res) {
  auto* reg = registry(state, res);
  if (!reg) return;
  json out = json::array();
  for (const auto& [name, p] : *reg->snapshot())
    out.push_back(wire::provider_report_to_json(*p, p->test()));
  write_json(res, 200, {{"providers", out}});
}

void test(ServerState& state, const Req& req, Res& res) {
  if (!registry(state, res)) return;
  auto p = named(state, req);
  if (!p) return write_error(res, p.error());
  // The test ran either way: 200 with healthy false and the diagnosis when it failed.
  write_json(res, 200, wire::provider_report_to_json(**p, (*p)->test()));
}

void vms(ServerState& state, const Req& req, Res& res) {
  if (!registry(state, res)) return;
  auto p = named(state, req);
  if (!p) return write_error(res, p.error());
  auto list = (*p)->list(req.get_param_value("glob"));
  if (!list) return write_error(res, list.error());
  json out = json::array();
  for (const auto& vm : *list) out.push_back(wire::vm_to_json(vm));
  write_json(res, 200, {{"vms", out}});
}

void backups(ServerState& state, const Req& req, Res& res) {
  if (!state.deps().backups)
    return write_error(res, make_error(ErrorClass::unavailable, "backups are not served here"));
  auto limit = int_param(req, "limit", 100, 1, 10000);
  if (!limit) return write_error(res, limit.error());
  auto found = state.deps().backups->list(req.get_param_value("vm"), static_cast<int>(*limit));
  if (!found) return write_error(res, found.error());
  json out = json::array();
  for (const auto& b : *found) out.push_back(wire::backup_to_json(b));
  write_json(res, 200, {{"backups", out}});
}

void backup(ServerState& state, const Req& req, Res& res) {
  if (!state.deps().backups)
    return write_error(res, make_error(ErrorClass::unavailable, "backups are not served here"));
  const std::string text = req.matches.size() > 1 ? std::string(req.matches[1]) : "";
  std::int64_t id = 0;
  try {
    std::size_t used = 0;
    id = std::stoll(text, &used);
    if (used != text.size() || id < 1) throw std::invalid_argument(text);
  } catch (const std::exception&) {
    return write_error(res, invalid_error("backup id must be a positive number, not '" +
                                          text.substr(0, 64) + "'"));
  }
  auto b = state.deps().backups->get(id);
  if (!b) return write_error(res, b.error());
  write_json(res, 200, wire::backup_to_json(*b));
}

}  // namespace

std::vector<Route> provider_routes(ServerState& state) {
  ServerState* s = &state;
  return {
      {"GET", "/api/v1/providers", Access::read, [s](const Req& q, Res& r) { list(*s, q, r); }},
      {"POST", "/api/v1/providers/{name}/test", Access::operate,
       [s](const Req& q, Res& r) { test(*s, q, r); }},
      {"GET", "/api/v1/providers/{name}/vms", Access::read,
       [s](const Req& q, Res& r) { vms(*s, q, r); }},
      {"GET", "/api/v1/backups", Access::read, [s](const Req& q, Res& r) { backups(*s, q, r); }},
      {"GET", "/api/v1/backups/{id}", Access::read,
       [s](const Req& q, Res& r) { backup(*s, q, r); }},
  };
}

}  // namespace hypersdk::api
