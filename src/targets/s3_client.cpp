#include "targets/s3_client.h"

#include <chrono>
#include <thread>

namespace hypersdk::targets {

S3Client::S3Client(const TargetSpec& spec) : spec_(spec) {
  std::string endpoint =
      spec.endpoint.empty() ? "https://s3." + spec.region + ".amazonaws.com" : spec.endpoint;
  while (!endpoint.empty() && endpoint.back() == '/') endpoint.pop_back();
  auto sep = endpoint.find("://");
  scheme_ = endpoint.substr(0, sep);
  host_ = endpoint.substr(sep + 3);
  if (!spec.path_style) host_ = spec.bucket + "." + host_;
}

std::string S3Client::path_of(const std::string& key) const {
  std::string path = spec_.path_style ? "/" + spec_.bucket : "";
  if (!key.empty()) path += "/" + uri_encode(object_key(key), /*keep_slash=*/true);
  return path.empty() ? "/" : path;
}

std::string S3Client::object_url(const std::string& key) const {
  return scheme_ + "://" + host_ + path_of(key);
}

Result<HttpResponse> S3Client::perform(const Call& call) const {
  SigV4Credentials cred{spec_.access_key, spec_.secret_key, spec_.session_token, spec_.region};
  for (int attempt = 1;; ++attempt) {
    SigV4Request sr{call.method, host_,        path_of(call.key),
                    call.query,  call.headers, call.payload_sha256};
    HttpRequest req;
    req.method = call.method;
    const std::string query = sigv4_canonical_query(call.query);
    req.url = scheme_ + "://" + host_ + sr.path + (query.empty() ? "" : "?" + query);
    req.headers = sigv4_headers(sr, cred, amz_date_now());
    req.body = call.body;
    req.file = call.file;
    req.on_progress = call.on_progress;
    req.on_body_read = call.on_body_read;
    req.sink = call.sink;
    req.ca_file = spec_.ca_file;
    req.timeout_seconds = spec_.timeout_seconds;
    if (call.cancelled && !req.on_progress)
      req.on_progress = [&](std::uint64_t) { return !call.cancelled(); };
    auto res = http_perform(req);
    if (!res) return res;
    const bool slow_down = res->status == 429 ||
                           (res->status == 503 && res->body.find("SlowDown") != std::string::npos);
    if (!slow_down || attempt >= kRateLimitTries) return res;
    // Retry-After when given, else 1, 2, 4 s; never longer than kLongestWaitSeconds.
    int wait = retry_after_seconds(*res);
    if (wait <= 0) wait = 1 << (attempt - 1);
    if (wait > kLongestWaitSeconds) return res;
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(wait);
    while (std::chrono::steady_clock::now() < until) {
      if (call.cancelled && call.cancelled())
        return make_error(ErrorClass::cancelled, "cancelled while waiting out rate limiting");
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
}

}  // namespace hypersdk::targets
