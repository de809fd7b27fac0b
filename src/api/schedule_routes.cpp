// Routes for schedules (DESIGN §5, §10):
//   POST   /api/v1/schedules                  create                                   operate
//   GET    /api/v1/schedules                  ?limit=N (1-1000, default 50)&cursor=NAME    read
//                                              &name=GLOB&paused=true|false&provider=P:
//                                              one page by name; next_cursor when more
//   GET    /api/v1/schedules/{name}           ?occurrences=N (default 20)              read
//   POST   /api/v1/schedules/{name}           update: only the keys given change       operate
//   DELETE /api/v1/schedules/{name}                                                    operate
//   POST   /api/v1/schedules/{name}/pause, /resume                                     operate
//   POST   /api/v1/schedules/{name}/run       {"emergency": bool, "reason": "..."}     operate
//                                              (emergency: admin when tokens are configured)
//   GET    /api/v1/schedules/{name}/next      ?count=N&from=ISO                        read
// The audit log names the caller: its token's name, or the client address without tokens.
#include "api/auth.h"
#include "api/errors.h"
#include "api/route.h"
#include "api/server_state.h"
#include "engine/schedule_service.h"
#include "wire/job_json.h"
#include "wire/schedule_json.h"

namespace hypersdk::api {
namespace {

using nlohmann::json;
using Req = httplib::Request;
using Res = httplib::Response;

std::string path_name(const Req& req) {
  return req.matches.size() > 1 ? std::string(req.matches[1]) : std::string();
}

// The service, or a 503 when this server was built without one.
engine::ScheduleService* service(ServerState& state, Res& res) {
  if (state.deps().schedules == nullptr)
    write_error(res, make_error(ErrorClass::unavailable, "schedules are not available here"));
  return state.deps().schedules;
}

// Who is calling, for the audit log: the route layer has already authenticated the request.
Result<Principal> caller(ServerState& state, const Req& req) {
  const auto access = state.access();
  const Authenticator& auth = access->auth;
  if (!auth.enabled()) return Principal{"anonymous@" + req.remote_addr, Role::admin};
  return auth.authenticate(req.get_header_value("Authorization"));
}

void create(ServerState& state, const Req& req, Res& res) {
  auto* svc = service(state, res);
  if (!svc) return;
  auto body = parse_json_body(req);
  if (!body) return write_error(res, body.error());
  auto spec = wire::parse_schedule_request(*body, svc->defaults(), true);
  if (!spec) return write_error(res, spec.error());
  auto s = svc->create(*spec);
  if (!s) return write_error(res, s.error());
  res.set_header("Location", "/api/v1/schedules/" + s->spec.name);
  write_json(res, 201, wire::schedule_to_json(*s));
}

// One page by name; next fire times are computed for that page only.
void list(ServerState& state, const Req& req, Res& res) {
  auto* svc = service(state, res);
  if (!svc) return;
  auto limit = int_param(req, "limit", 50, 1, 1000);
  if (!limit) return write_error(res, limit.error());
  store::ScheduleFilter f;
  f.limit = static_cast<int>(*limit);
  f.after = req.get_param_value("cursor");
  f.name_glob = req.get_param_value("name");
  f.provider = req.get_param_value("provider");
  if (req.has_param("paused")) {
    const std::string p = req.get_param_value("paused");
    if (p != "true" && p != "false")
      return write_error(
          res, make_error(ErrorClass::invalid, "paused must be true or false, got '" + p + "'"));
    f.paused = p == "true";
  }
  auto page = svc->page(f);
  if (!page) return write_error(res, page.error());
  json out = json::array();
  for (const auto& s : *page) out.push_back(wire::schedule_to_json(s));
  json next = nullptr;
  if (static_cast<int>(page->size()) == f.limit) next = page->back().spec.name;
  write_json(res, 200, {{"schedules", out}, {"next_cursor", next}});
}

void get(ServerState& state, const Req& req, Res& res) {
  auto* svc = service(state, res);
  if (!svc) return;
  auto n = int_param(req, "occurrences", 20, 0, 1000);
  if (!n) return write_error(res, n.error());
  auto s = svc->get(path_name(req));
  if (!s) return write_error(res, s.error());
  json out = wire::schedule_to_json(*s);
  out["occurrences"] = json::array();
  if (*n > 0) {
    auto occ = svc->occurrences(s->spec.name, static_cast<int>(*n));
    if (!occ) return write_error(res, occ.error());
    for (const auto& o : *occ) out["occurrences"].push_back(wire::occurrence_to_json(o));
  }
  write_json(res, 200, out);
}

void update(ServerState& state, const Req& req, Res& res) {
  auto* svc = service(state, res);
  if (!svc) return;
  auto body = parse_json_body(req);
  if (!body) return write_error(res, body.error());
  auto current = svc->get(path_name(req));
  if (!current) return write_error(res, current.error());
  auto spec = wire::parse_schedule_request(*body, current->spec, false);
  if (!spec) return write_error(res, spec.error());
  auto s = svc->update(current->spec.name, *spec);
  if (!s) return write_error(res, s.error());
  write_json(res, 200, wire::schedule_to_json(*s));
}

void remove_schedule(ServerState& state, const Req& req, Res& res) {
  auto* svc = service(state, res);
  if (!svc) return;
  const std::string name = path_name(req);
  if (Status s = svc->remove(name); !s.ok()) return write_error(res, s.error());
  write_json(res, 200, {{"deleted", name}});
}

void set_paused(ServerState& state, const Req& req, Res& res, bool paused) {
  auto* svc = service(state, res);
  if (!svc) return;
  auto s = paused ? svc->pause(path_name(req)) : svc->resume(path_name(req));
  if (!s) return write_error(res, s.error());
  write_json(res, 200, wire::schedule_to_json(*s));
}

void run(ServerState& state, const Req& req, Res& res) {
  auto* svc = service(state, res);
  if (!svc) return;
  json body = json::object();
  if (!req.body.empty()) {
    auto parsed = parse_json_body(req);
    if (!parsed) return write_error(res, parsed.error());
    body = *parsed;
  }
  if (!body.is_object())
    return write_error(res, make_error(ErrorClass::invalid, "the body must be an object"));
  for (const auto& [k, v] : body.items())
    if (k != "emergency" && k != "reason" && k != "requested_by")
      return write_error(res, make_error(ErrorClass::invalid, "unknown key \"" + k + "\""));
  if (body.contains("emergency") && !body["emergency"].is_boolean())
    return write_error(res, make_error(ErrorClass::invalid, "\"emergency\" must be true or false"));
  if (body.contains("reason") && !body["reason"].is_string())
    return write_error(res, make_error(ErrorClass::invalid, "\"reason\" must be a string"));
  // The CLI's local user (hyperctl on the server's host): recorded beside the token, which
  // stays the authority, so the audit names the person too.
  if (body.contains("requested_by") &&
      (!body["requested_by"].is_string() || body["requested_by"].get<std::string>().size() > 200))
    return write_error(res, make_error(ErrorClass::invalid,
                                       "\"requested_by\" must be a string of at most 200 "
                                       "characters"));
  const bool emergency = body.value("emergency", false);
  std::string actor;
  if (emergency) {
    auto who = caller(state, req);
    if (!who) return write_error(res, who.error());
    if (!Authenticator::allows(*who, Role::admin))
      return write_error(res, 403, "forbidden",
                         "an emergency run needs a token with the admin role");
    actor = "token:" + who->name;
    if (const std::string by = body.value("requested_by", ""); !by.empty())
      actor = by + " via " + actor;
  }
  auto job = svc->run(path_name(req), emergency, actor, body.value("reason", ""));
  if (!job) return write_error(res, job.error());
  res.set_header("Location", "/api/v1/jobs/" + core::format_job_id(job->id));
  write_json(res, 201, wire::job_to_json(*job));
}

void next(ServerState& state, const Req& req, Res& res) {
  auto* svc = service(state, res);
  if (!svc) return;
  auto count = int_param(req, "count", 5, 1, 1000);
  if (!count) return write_error(res, count.error());
  auto s = svc->get(path_name(req));
  if (!s) return write_error(res, s.error());
  core::TimeMs from = svc->clock().now_ms();
  if (req.has_param("from")) {
    auto t = core::parse_time(req.get_param_value("from"));
    if (!t) return write_error(res, t.error());
    from = *t;
  }
  auto zone = core::find_zone(s->spec.timezone);
  if (!zone) return write_error(res, zone.error());
  json out = json::array();
  const auto after = date::floor<std::chrono::seconds>(
      date::sys_time<std::chrono::milliseconds>(std::chrono::milliseconds(from)));
  for (const auto& f : wire::schedule_next_fires(*s, after, static_cast<std::size_t>(*count)))
    out.push_back(wire::fire_to_json(f, *zone));
  write_json(res, 200, {{"schedule", s->spec.name}, {"fires", out}});
}

}  // namespace

std::vector<Route> schedule_routes(ServerState& state) {
  ServerState* st = &state;
  auto h = [st](void (*fn)(ServerState&, const Req&, Res&)) {
    return [st, fn](const Req& req, Res& res) { fn(*st, req, res); };
  };
  return {
      {"POST", "/api/v1/schedules", Access::operate, h(create)},
      {"GET", "/api/v1/schedules", Access::read, h(list)},
      {"GET", "/api/v1/schedules/{name}", Access::read, h(get)},
      {"POST", "/api/v1/schedules/{name}", Access::operate, h(update)},
      {"DELETE", "/api/v1/schedules/{name}", Access::operate, h(remove_schedule)},
      {"POST", "/api/v1/schedules/{name}/pause", Access::operate,
       [st](const Req& req, Res& res) { set_paused(*st, req, res, true); }},
      {"POST", "/api/v1/schedules/{name}/resume", Access::operate,
       [st](const Req& req, Res& res) { set_paused(*st, req, res, false); }},
      {"POST", "/api/v1/schedules/{name}/run", Access::operate, h(run)},
      {"GET", "/api/v1/schedules/{name}/next", Access::read, h(next)},
  };
}

}  // namespace hypersdk::api
