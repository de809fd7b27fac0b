// GET /api/v1/health answered by the connection gate itself (gated_server.h), without
// handing the connection to httplib's pool: the hand-over, httplib's parsing and its
// per-request allocations cost ~30 us of CPU per answer, which held /health at a fifth of
// nginx's rate on the same machine (issue 14 item 6).
//
// Only the plainest request qualifies: "GET /api/v1/health HTTP/1.1", no query, well-formed
// header lines, no body (no Content-Length, Transfer-Encoding or Expect), at most one
// Connection header. Anything else, including HEAD, goes to httplib as before, so every
// edge case keeps its one implementation. The answer has the same bytes as httplib's: the
// body of the health route, the security headers, X-Request-ID, and httplib's Connection /
// Keep-Alive rules, headers in httplib's (case-insensitive) order; it is counted in the
// same metrics and logged as the same access-log line.
//
// Thread safety: parse_inline_health is pure. An InlineHealth is used by one thread (the
// gate's); the metrics it records into are thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace prometheus {
class Counter;
class Histogram;
}  // namespace prometheus
namespace hypersdk::ops {
class Metrics;
}

namespace hypersdk::api {

// httplib's keep-alive settings for every plain-HTTP connection (server_handlers.cpp), which
// the inline answers announce and follow too.
inline constexpr int kKeepAliveSeconds = 2;
inline constexpr int kKeepAliveMaxCount = 100;

struct InlineHealthRequest {
  std::size_t length = 0;       // bytes of the request at the start of the data
  std::string_view request_id;  // the client's X-Request-ID value, "" when absent
  bool close = false;           // "Connection: close" (httplib's exact test)
  bool has_origin = false;      // an Origin header (CORS answers stay with httplib)
};

// The request at the start of `data` when it is a complete GET /api/v1/health the gate may
// answer (see above); nullopt for anything else or a request not yet complete.
std::optional<InlineHealthRequest> parse_inline_health(std::string_view data);

// The body of GET /api/v1/health for a process up `uptime_s` seconds (the route and the
// inline answer share it).
std::string health_body(std::int64_t uptime_s);

// The client's address on a connected socket, as httplib's req.remote_addr shows it ("" when
// unknown), for the access log.
std::string peer_address(int fd);

class InlineHealth {
 public:
  // metrics may be nullptr (nothing recorded, as on the httplib path).
  InlineHealth(std::chrono::steady_clock::time_point started, ops::Metrics* metrics, bool cors);

  // The whole answer, or nullopt when httplib must answer (an Origin header with CORS
  // configured). `last`: the connection's keep-alive count is used up (Connection: close).
  // `peer` names the client in the access log; called only when that line is written.
  std::optional<std::string> answer(const InlineHealthRequest& req, bool last,
                                    const std::function<std::string()>& peer);

 private:
  const std::chrono::steady_clock::time_point started_;
  const bool cors_;
  prometheus::Counter* requests_ = nullptr;
  prometheus::Histogram* duration_ = nullptr;
  std::vector<std::pair<std::string, std::string>> fixed_;  // sorted as httplib sorts
  std::int64_t body_uptime_ = -1;
  std::string body_;  // health_body(body_uptime_)
};

}  // namespace hypersdk::api
