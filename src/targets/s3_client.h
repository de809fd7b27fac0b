// Signed requests to one S3 bucket (path-style or virtual-host), with the waits S3 asks for:
// a 429 or SlowDown answer is retried after its Retry-After (at most kRateLimitTries times,
// each wait bounded and cancellable) before it becomes an error of class rate_limited.
// Thread safety: const methods may run on many threads at once (multipart parts).
#pragma once

#include <functional>
#include <map>
#include <string>

#include "targets/curl_http.h"
#include "targets/sigv4.h"
#include "targets/target_spec.h"

namespace hypersdk::targets {

class S3Client {
 public:
  static constexpr int kRateLimitTries = 4;
  static constexpr int kLongestWaitSeconds = 60;

  explicit S3Client(const TargetSpec& spec);

  // The object's full key: prefix + key.
  std::string object_key(const std::string& key) const { return spec_.prefix + key; }
  // The URL of an object, without query or credentials.
  std::string object_url(const std::string& key) const;

  struct Call {
    std::string method;
    std::string key;  // empty: the bucket itself
    std::multimap<std::string, std::string> query;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string payload_sha256 = "UNSIGNED-PAYLOAD";
    std::string body;
    std::optional<FileRange> file;
    std::function<bool(std::uint64_t)> on_progress;
    std::function<void(std::uint64_t, const char*, std::size_t)> on_body_read;
    std::function<bool(const char*, std::size_t)> sink;
    std::function<bool()> cancelled;
  };
  // Performs the call; any HTTP status comes back (callers judge with http_status_error),
  // except that rate limiting is waited out as described above.
  Result<HttpResponse> perform(const Call& call) const;

 private:
  std::string path_of(const std::string& key) const;
  const TargetSpec spec_;
  std::string scheme_, host_;  // host_ as sent in the Host header (with the port)
};

}  // namespace hypersdk::targets
