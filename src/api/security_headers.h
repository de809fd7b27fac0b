// Response headers for a JSON API that browsers must not misuse: every answer (errors,
// rejections before routing, streams) gets them, and a route that serves something else (a
// dashboard page) may set its own Content-Security-Policy and Cache-Control first.
// CORS only for the origins configured in api.cors.allowed_origins: by default no
// Access-Control-* header is ever sent, so no other site's script can read an answer.
//
// Thread safety: pure functions.
#pragma once

#include <httplib.h>

#include <string>
#include <vector>

namespace hypersdk::api {

// nosniff, frame denial, no referrer, a restrictive CSP and no-store unless already set, and
// HSTS when the answer goes over TLS.
void add_security_headers(httplib::Response& res, bool tls);

// When the request's Origin is one of `origins` (exact match, or "*"), the headers that let
// that origin's scripts read the answer. True when it matched.
bool add_cors_headers(const httplib::Request& req, httplib::Response& res,
                      const std::vector<std::string>& origins);

// The answer to a CORS preflight (OPTIONS): 204 with the allowed methods and headers for an
// allowed origin, 403 otherwise.
void answer_preflight(const httplib::Request& req, httplib::Response& res,
                      const std::vector<std::string>& origins);

}  // namespace hypersdk::api
