#include "api/security_headers.h"

#include <algorithm>

namespace hypersdk::api {

void add_security_headers(httplib::Response& res, bool tls) {
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("X-Frame-Options", "DENY");
  res.set_header("Referrer-Policy", "no-referrer");
  res.set_header("Cross-Origin-Resource-Policy", "same-origin");
  if (!res.has_header("Content-Security-Policy"))
    res.set_header("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'");
  // Answers carry job data and tokens' effects: no shared or browser cache keeps them.
  if (!res.has_header("Cache-Control")) res.set_header("Cache-Control", "no-store");
  if (tls) res.set_header("Strict-Transport-Security", "max-age=31536000");
}

bool add_cors_headers(const httplib::Request& req, httplib::Response& res,
                      const std::vector<std::string>& origins) {
  if (origins.empty() || !req.has_header("Origin")) return false;
  const std::string origin = req.get_header_value("Origin");
  const bool any = std::find(origins.begin(), origins.end(), "*") != origins.end();
  if (!any && std::find(origins.begin(), origins.end(), origin) == origins.end()) return false;
  res.set_header("Access-Control-Allow-Origin", origin);
  res.set_header("Vary", "Origin");
  res.set_header("Access-Control-Expose-Headers", "X-Request-ID, Retry-After");
  return true;
}

void answer_preflight(const httplib::Request& req, httplib::Response& res,
                      const std::vector<std::string>& origins) {
  if (!add_cors_headers(req, res, origins)) {
    res.status = 403;
    return;
  }
  res.status = 204;
  res.set_header("Access-Control-Allow-Methods", "GET, POST, DELETE");
  res.set_header("Access-Control-Allow-Headers",
                 "Authorization, Content-Type, X-Request-ID, Idempotency-Key");
  res.set_header("Access-Control-Max-Age", "600");
}

}  // namespace hypersdk::api
