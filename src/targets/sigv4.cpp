#include "targets/sigv4.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <algorithm>
#include <ctime>

#include "targets/curl_http.h"

namespace hypersdk::targets {
namespace {

std::string hmac(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
  return std::string(reinterpret_cast<char*>(out), len);
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t");
  auto e = s.find_last_not_of(" \t");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

}  // namespace

std::string hex(const unsigned char* data, std::size_t n) {
  static const char* digits = "0123456789abcdef";
  std::string out(n * 2, '0');
  for (std::size_t i = 0; i < n; ++i) {
    out[2 * i] = digits[data[i] >> 4];
    out[2 * i + 1] = digits[data[i] & 15];
  }
  return out;
}

std::string sha256_hex(std::string_view data) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), md);
  return hex(md, sizeof md);
}

std::string amz_date_now() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y%m%dT%H%M%SZ", &tm);
  return buf;
}

std::string sigv4_canonical_query(const std::multimap<std::string, std::string>& query) {
  // Sorted by encoded name, then encoded value (a multimap of raw strings sorts by raw name,
  // which can differ once encoded).
  std::vector<std::pair<std::string, std::string>> items;
  for (const auto& [k, v] : query) items.emplace_back(uri_encode(k, false), uri_encode(v, false));
  std::sort(items.begin(), items.end());
  std::string out;
  for (const auto& [k, v] : items) out += (out.empty() ? "" : "&") + k + "=" + v;
  return out;
}

std::vector<std::string> sigv4_headers(const SigV4Request& req, const SigV4Credentials& cred,
                                       const std::string& amz_date) {
  std::map<std::string, std::string> signed_headers;
  signed_headers["host"] = req.host;
  signed_headers["x-amz-date"] = amz_date;
  signed_headers["x-amz-content-sha256"] = req.payload_sha256;
  if (!cred.session_token.empty()) signed_headers["x-amz-security-token"] = cred.session_token;
  for (const auto& [k, v] : req.headers) signed_headers[lower(k)] = trim(v);

  std::string canonical_headers, signed_names;
  for (const auto& [k, v] : signed_headers) {
    canonical_headers += k + ":" + v + "\n";
    signed_names += (signed_names.empty() ? "" : ";") + k;
  }
  const std::string canonical = req.method + "\n" + req.path + "\n" +
                                sigv4_canonical_query(req.query) + "\n" + canonical_headers + "\n" +
                                signed_names + "\n" + req.payload_sha256;
  const std::string day = amz_date.substr(0, 8);
  const std::string scope = day + "/" + cred.region + "/" + cred.service + "/aws4_request";
  const std::string to_sign =
      "AWS4-HMAC-SHA256\n" + amz_date + "\n" + scope + "\n" + sha256_hex(canonical);
  std::string key = hmac("AWS4" + cred.secret_key, day);
  key = hmac(key, cred.region);
  key = hmac(key, cred.service);
  key = hmac(key, "aws4_request");
  const std::string sig = hmac(key, to_sign);
  std::vector<std::string> out;
  out.push_back("Authorization: AWS4-HMAC-SHA256 Credential=" + cred.access_key + "/" + scope +
                ", SignedHeaders=" + signed_names + ", Signature=" +
                hex(reinterpret_cast<const unsigned char*>(sig.data()), sig.size()));
  for (const auto& [k, v] : signed_headers)
    if (k != "host") out.push_back(k + ": " + v);
  return out;
}

}  // namespace hypersdk::targets
