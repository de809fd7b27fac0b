// The audit trail over HTTP: GET /api/v1/audit (admin) lists it, and audit_request() records
// every mutating request that succeeded (and every one refused for its role) with the caller,
// the action named from the route, the object, and the request id.
//
//   GET /api/v1/audit   ?since=RFC3339|ms&actor=NAME&action=NAME&limit=N (1..10000, 100)
#include <algorithm>
#include <vector>

#include "api/errors.h"
#include "api/route.h"
#include "api/server_state.h"
#include "engine/audit_trail.h"
#include "wire/audit_json.h"

namespace hypersdk::api {
namespace {

using json = nlohmann::json;

void list(ServerState& state, const httplib::Request& req, httplib::Response& res) {
  engine::AuditTrail* trail = state.deps().audit;
  if (trail == nullptr)
    return write_error(res, make_error(ErrorClass::unavailable, "no audit trail here"));
  store::AuditQuery q;
  auto limit = int_param(req, "limit", 100, 1, 10000);
  if (!limit) return write_error(res, limit.error());
  q.limit = static_cast<int>(*limit);
  if (req.has_param("since")) {
    auto since = wire::parse_audit_since(req.get_param_value("since"));
    if (!since) return write_error(res, since.error());
    q.since = *since;
  }
  if (req.has_param("actor")) q.actor = req.get_param_value("actor");
  if (req.has_param("action")) q.action = req.get_param_value("action");
  auto rows = trail->list(q);
  if (!rows) return write_error(res, rows.error());
  json out = json::array();
  for (const auto& r : *rows) out.push_back(wire::audit_record_to_json(r));
  write_json(res, 200, {{"entries", out}});
}

}  // namespace

std::string audit_action(const std::string& method, const std::string& path_template) {
  // "/api/v1/jobs/{id}/cancel" -> "jobs.cancel"; a collection's POST creates, an item's POST
  // updates, DELETE deletes.
  std::string rest = path_template;
  if (rest.rfind("/api/v1/", 0) == 0) rest = rest.substr(8);
  std::vector<std::string> words;
  bool ends_in_param = false;
  for (std::size_t i = 0; i <= rest.size();) {
    const auto slash = std::min(rest.find('/', i), rest.size());
    const std::string seg = rest.substr(i, slash - i);
    ends_in_param = !seg.empty() && seg.front() == '{';
    if (!seg.empty() && !ends_in_param) words.push_back(seg);
    i = slash + 1;
  }
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : ".") + w;
  if (method == "DELETE") return out + ".delete";
  if (method == "GET") return out + ".read";
  if (words.size() == 1) return out + (ends_in_param ? ".update" : ".create");
  return out;
}

void audit_request(ServerState& state, const Route& route, const httplib::Request& req,
                   const httplib::Response& res, const std::string& principal,
                   const std::string& request_id) {
  engine::AuditTrail* trail = state.deps().audit;
  const bool denied = res.status == 403;
  if (trail == nullptr || (route.method == "GET" && !denied)) return;
  if (res.status >= 300 && !denied) return;  // nothing happened
  engine::AuditAction a;
  a.actor = principal.empty() ? "anonymous@" + req.remote_addr : "token:" + principal;
  a.action = denied ? "auth.denied" : audit_action(route.method, route.path);
  for (std::size_t i = 1; i < req.matches.size(); ++i)
    a.subject += (a.subject.empty() ? "" : "/") + std::string(req.matches[i]);
  // A create names its object only in the answer.
  if (a.subject.empty() && !denied) {
    const json body = json::parse(res.body, nullptr, false);
    if (body.is_object())
      for (const char* key : {"id", "name"})
        if (body.contains(key) && body[key].is_string()) {
          a.subject = body[key].get<std::string>();
          break;
        }
  }
  a.request_id = request_id;
  a.source = "api";
  json details = {{"method", route.method}, {"route", route.path}, {"status", res.status}};
  if (denied) details["action"] = audit_action(route.method, route.path);
  // The CLI's local user (hyperctl sends it): recorded beside the token, which stays the
  // authority, so the trail names the person too.
  if (const std::string by = req.get_header_value("X-Requested-By");
      !by.empty() && by.size() <= 200)
    details["requested_by"] = by;
  a.details = details.dump();
  (void)trail->record(a);  // logged there; the action itself stands
}

std::vector<Route> audit_routes(ServerState& state) {
  ServerState* st = &state;
  return {{"GET", "/api/v1/audit", Access::admin,
           [st](const httplib::Request& req, httplib::Response& res) { list(*st, req, res); }}};
}

}  // namespace hypersdk::api
