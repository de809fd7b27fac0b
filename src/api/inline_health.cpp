#include "api/inline_health.h"

#include <arpa/inet.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <strings.h>
#include <algorithm>
#include <nlohmann/json.hpp>

#include "api/request_id.h"
#include "api/security_headers.h"
#include "ops/log.h"
#include "ops/metrics.h"

namespace hypersdk::api {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

constexpr const char* kRoute = "/api/v1/health";

// httplib's header order: a std::multimap with a case-insensitive less-than.
bool header_less(const std::string& a, const std::string& b) {
  return ::strcasecmp(a.c_str(), b.c_str()) < 0;
}

}  // namespace

std::string health_body(std::int64_t uptime_s) {
  const json body = {{"status", "pass"},
                     {"version", HYPERSDK_VERSION},
                     {"serviceId", "hypersdk"},
                     {"description", "hypersdk API liveness"},
                     {"checks",
                      {{"uptime", json::array({{{"componentType", "system"},
                                                {"observedValue", uptime_s},
                                                {"observedUnit", "s"},
                                                {"status", "pass"}}})}}}};
  return body.dump(-1, ' ', false, json::error_handler_t::replace);  // as write_json
}

std::string peer_address(int fd) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return "";
  char host[INET6_ADDRSTRLEN] = "";
  const void* where =
      addr.ss_family == AF_INET6
          ? static_cast<const void*>(&reinterpret_cast<sockaddr_in6*>(&addr)->sin6_addr)
          : static_cast<const void*>(&reinterpret_cast<sockaddr_in*>(&addr)->sin_addr);
  ::inet_ntop(addr.ss_family, where, host, sizeof host);
  return host;
}

InlineHealth::InlineHealth(Clock::time_point started, ops::Metrics* metrics, bool cors)
    : started_(started), cors_(cors) {
  if (metrics) {
    requests_ = &metrics->http_requests_total(kRoute, "GET", 200);
    duration_ = &metrics->http_request_duration_seconds(kRoute, "GET");
  }
  // The headers every health answer carries whatever the request: from the same functions
  // the httplib path calls, so the two cannot drift apart.
  httplib::Response res;
  add_security_headers(res, false);
  res.set_header("Content-Type", "application/health+json");
  for (const auto& [name, value] : res.headers) fixed_.emplace_back(name, value);
}

std::optional<std::string> InlineHealth::answer(const InlineHealthRequest& req, bool last,
                                                const std::function<std::string()>& peer) {
  if (cors_ && req.has_origin) return std::nullopt;
  const auto start = Clock::now();
  const std::string id = accept_request_id(req.request_id);
  const auto uptime = std::chrono::duration_cast<std::chrono::seconds>(start - started_).count();
  if (uptime != body_uptime_) {
    body_ = health_body(uptime);
    body_uptime_ = uptime;
  }
  const bool close = req.close || last;
  std::pair<std::string, std::string> dynamic[] = {
      close
          ? std::pair<std::string, std::string>{"Connection", "close"}
          : std::pair<std::string, std::string>{"Keep-Alive",
                                                "timeout=" + std::to_string(kKeepAliveSeconds) +
                                                    ", max=" + std::to_string(kKeepAliveMaxCount)},
      {"Content-Length", std::to_string(body_.size())},
      {"X-Request-ID", id}};
  std::sort(std::begin(dynamic), std::end(dynamic),
            [](const auto& a, const auto& b) { return header_less(a.first, b.first); });
  std::string out;
  out.reserve(512 + body_.size());
  out += "HTTP/1.1 200 OK\r\n";
  auto put = [&out](const std::pair<std::string, std::string>& h) {
    out += h.first;
    out += ": ";
    out += h.second;
    out += "\r\n";
  };
  // Merge of two sorted lists; on equal names the fixed header first, as multimap insertion
  // order would have it (no name is in both).
  std::size_t f = 0, d = 0;
  while (f < fixed_.size() || d < std::size(dynamic)) {
    if (d == std::size(dynamic) ||
        (f < fixed_.size() && !header_less(dynamic[d].first, fixed_[f].first)))
      put(fixed_[f++]);
    else
      put(dynamic[d++]);
  }
  out += "\r\n";
  out += body_;
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  if (requests_) requests_->Increment();
  if (duration_) duration_->Observe(seconds);
  // A successful probe is a debug line, as on the httplib path (server_handlers.cpp).
  if (ops::log_enabled(ops::LogLevel::debug))
    ops::log::write(ops::LogLevel::debug, "http request",
                    {{"http.request.method", "GET"},
                     {"http.route", kRoute},
                     {"url.path", kRoute},
                     {"http.response.status_code", 200},
                     {"duration_ms", seconds * 1000.0},
                     {"client.address", peer()},
                     {"http.request.id", id}});
  return out;
}

}  // namespace hypersdk::api
