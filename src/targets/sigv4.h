// AWS Signature Version 4 for S3 requests, done here rather than by libcurl: Debian's
// libcurl 7.88 neither sorts query parameters nor sends x-amz-content-sha256 (DESIGN §12).
// Pure functions apart from the hashing; no I/O.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace hypersdk::targets {

struct SigV4Credentials {
  std::string access_key, secret_key, session_token, region;
  std::string service = "s3";
};

struct SigV4Request {
  std::string method;
  std::string host;  // the Host header as sent (with :port when not the default)
  std::string path;  // already URI-encoded, e.g. "/bucket/a%20b.ova"
  std::multimap<std::string, std::string> query;             // raw (not encoded) names and values
  std::vector<std::pair<std::string, std::string>> headers;  // extra signed headers
  std::string payload_sha256;                                // hex, or "UNSIGNED-PAYLOAD"
};

// The headers to send ("Name: value"): Authorization, x-amz-date, x-amz-content-sha256,
// x-amz-security-token when there is a session token, and the extra headers.
// `amz_date` is "YYYYMMDDTHHMMSSZ".
std::vector<std::string> sigv4_headers(const SigV4Request& req, const SigV4Credentials& cred,
                                       const std::string& amz_date);
// The query string in canonical order and encoding: also what goes on the URL.
std::string sigv4_canonical_query(const std::multimap<std::string, std::string>& query);
std::string amz_date_now();

std::string sha256_hex(std::string_view data);
std::string hex(const unsigned char* data, std::size_t n);

}  // namespace hypersdk::targets
