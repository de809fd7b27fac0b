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

constexpr std::string_view kRequestLine = "GET /api/v1/health HTTP/1.1\r\n";
constexpr const char* kRoute = "/api/v1/health";
// Past these httplib itself may refuse the request (its header line and count limits): let it.
constexpr std::size_t kMaxHead = 8192;
constexpr int kMaxHeaders = 64;

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && ::strncasecmp(a.data(), b.data(), a.size()) == 0;
}

bool is_token_char(unsigned char c) {
  return std::isalnum(c) ||
         std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
}

std::string_view trim(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return v;
}

// httplib's header order: a std::multimap with a case-insensitive less-than.
bool header_less(const std::string& a, const std::string& b) {
  return ::strcasecmp(a.c_str(), b.c_str()) < 0;
}

}  // namespace

std::optional<InlineHealthRequest> parse_inline_health(std::string_view data) {
  if (data.substr(0, kRequestLine.size()) != kRequestLine) return std::nullopt;
  const auto end = data.find("\r\n\r\n", kRequestLine.size() - 2);
  if (end == std::string_view::npos || end + 4 > kMaxHead) return std::nullopt;
  InlineHealthRequest out;
  out.length = end + 4;
  int headers = 0, connections = 0;
  std::size_t pos = kRequestLine.size();
  while (pos < end + 2) {
    const std::size_t eol = data.find("\r\n", pos);
    const std::string_view line = data.substr(pos, eol - pos);
    pos = eol + 2;
    if (++headers > kMaxHeaders) return std::nullopt;
    const auto colon = line.find(':');
    if (colon == 0 || colon == std::string_view::npos) return std::nullopt;
    const std::string_view name = line.substr(0, colon);
    for (unsigned char c : name)
      if (!is_token_char(c)) return std::nullopt;  // also obs-fold and spaces before ':'
    for (unsigned char c : line)
      if ((c < 0x20 && c != '\t') || c == 0x7f) return std::nullopt;
    const std::string_view value = trim(line.substr(colon + 1));
    if (iequals(name, "Content-Length") || iequals(name, "Transfer-Encoding") ||
        iequals(name, "Expect") || iequals(name, "Upgrade"))
      return std::nullopt;
    if (iequals(name, "Connection")) {
      if (++connections > 1) return std::nullopt;
      out.close = value == "close";  // httplib compares exactly
    } else if (iequals(name, "X-Request-ID")) {
      if (out.request_id.empty()) out.request_id = value;  // httplib reads the first
    } else if (iequals(name, "Origin")) {
      out.has_origin = true;
    }
  }
  return out;
}

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
