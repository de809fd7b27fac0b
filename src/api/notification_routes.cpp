// Routes for the notification outbox (DESIGN §8): list, get, retry.
#include <charconv>

#include "api/notification_routes.h"

#include "api/errors.h"
#include "api/route.h"
#include "api/server_state.h"
#include "engine/notification_service.h"
#include "wire/notify_json.h"

namespace hypersdk::api {
namespace {

using nlohmann::json;
using Req = httplib::Request;
using Res = httplib::Response;

engine::NotificationService* service(ServerState& state, Res& res) {
  if (!state.deps().notifications)
    write_error(res, make_error(ErrorClass::unavailable, "notifications are not served here"));
  return state.deps().notifications;
}

Result<store::DeliveryId> path_delivery_id(const Req& req) {
  const std::string text = req.matches.size() > 1 ? std::string(req.matches[1]) : std::string();
  store::DeliveryId id = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (ec != std::errc() || end != text.data() + text.size() || id <= 0)
    return invalid_error("notification id: expected a positive integer, got '" + text + "'");
  return id;
}

void list(ServerState& state, const Req& req, Res& res) {
  auto* n = service(state, res);
  if (!n) return;
  auto limit = int_param(req, "limit", 50, 1, 1000);
  if (!limit) return write_error(res, limit.error());
  store::DeliveryFilter f;
  f.status = req.get_param_value("status");
  f.event_kind = req.get_param_value("event");
  f.receiver = req.get_param_value("receiver");
  f.limit = static_cast<int>(*limit);
  if (Status s = wire::check_delivery_status(f.status); !s.ok()) return write_error(res, s.error());
  auto list = n->list(f);
  if (!list) return write_error(res, list.error());
  json out = json::array();
  for (const auto& d : *list) out.push_back(wire::delivery_to_json(d, false));
  write_json(res, 200, {{"notifications", out}});
}

void get(ServerState& state, const Req& req, Res& res) {
  auto* n = service(state, res);
  if (!n) return;
  auto id = path_delivery_id(req);
  if (!id) return write_error(res, id.error());
  auto d = n->get(*id);
  if (!d) return write_error(res, d.error());
  write_json(res, 200, wire::delivery_to_json(*d, true));
}

void retry(ServerState& state, const Req& req, Res& res) {
  auto* n = service(state, res);
  if (!n) return;
  auto id = path_delivery_id(req);
  if (!id) return write_error(res, id.error());
  auto d = n->retry(*id);
  if (!d) return write_error(res, d.error());
  write_json(res, 200, wire::delivery_to_json(*d, false));
}

}  // namespace

std::vector<Route> notification_routes(ServerState& state) {
  ServerState* s = &state;
  return {
      {"GET", "/api/v1/notifications", Access::read,
       [s](const Req& req, Res& res) { list(*s, req, res); }},
      {"GET", "/api/v1/notifications/{id}", Access::read,
       [s](const Req& req, Res& res) { get(*s, req, res); }},
      {"POST", "/api/v1/notifications/{id}/retry", Access::operate,
       [s](const Req& req, Res& res) { retry(*s, req, res); }},
  };
}

}  // namespace hypersdk::api
