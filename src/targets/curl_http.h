// One HTTP request through libcurl, for the S3 and WebDAV targets: a body from memory or from
// a byte range of a file (read as it is sent), the answer's status, headers (names in lower
// case) and body (kept, or streamed into a sink), upload progress and cancellation. Transport
// failures are errors of class network (timeout for a stall); HTTP statuses are returned for
// the caller to judge (http_status_error). No redirects, no proxies from the environment.
// Thread safety: one call per thread; curl_global_init happens once, before any call.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/error.h"

namespace hypersdk::targets {

struct FileRange {
  std::filesystem::path path;
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
};

struct HttpRequest {
  std::string method = "GET";  // GET, PUT, POST, HEAD, DELETE, MOVE, PROPFIND, MKCOL
  std::string url;
  std::vector<std::string> headers;  // "Name: value"
  std::string body;
  std::optional<FileRange> file;  // when set, the body is this range of the file
  // Bytes of the body sent so far; return false to abort the transfer.
  std::function<bool(std::uint64_t sent)> on_progress;
  // Each block of the file body as it is read for sending, with its offset in the range (0
  // again when a retried request starts over): lets a caller hash while it sends.
  std::function<void(std::uint64_t offset, const char*, std::size_t)> on_body_read;
  // When set, the answer's body goes here (return false to stop) instead of into body.
  std::function<bool(const char*, std::size_t)> sink;
  std::string user, password;  // HTTP basic auth when user is set
  std::string ca_file;
  int timeout_seconds = 30;  // connect timeout and the longest stall (no bytes moving)
};

struct HttpResponse {
  long status = 0;
  std::map<std::string, std::string> headers;
  std::string body;
  std::string header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

Result<HttpResponse> http_perform(const HttpRequest& req);

// The error for a non-2xx answer: 401/403 auth, 404 not_found, 429 (and S3 SlowDown)
// rate_limited, 408 timeout, other 5xx unavailable, other 4xx invalid. `what` names the
// operation; the message includes the status and the server's error code when it has one.
Error http_status_error(const HttpResponse& res, const std::string& what);

// Retry-After in seconds (0 when absent or not a number of seconds).
int retry_after_seconds(const HttpResponse& res);

// RFC 3986 percent-encoding; `/` kept when keep_slash (S3 object paths).
std::string uri_encode(std::string_view s, bool keep_slash);

}  // namespace hypersdk::targets
