#include "notify/signing.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace hypersdk::notify {

std::string base64_encode(const std::string& bytes) {
  std::string out(4 * ((bytes.size() + 2) / 3), '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(bytes.data()),
                                static_cast<int>(bytes.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

Result<std::string> base64_decode(const std::string& text) {
  if (text.size() % 4 != 0 || text.empty())
    return make_error(ErrorClass::invalid, "not base64 (its length is not a multiple of 4)");
  std::string out(3 * text.size() / 4, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  if (n < 0) return make_error(ErrorClass::invalid, "not base64");
  std::size_t len = static_cast<std::size_t>(n);
  // EVP_DecodeBlock counts padding as zero bytes.
  for (std::size_t i = text.size(); i > 0 && text[i - 1] == '='; --i) --len;
  out.resize(len);
  return out;
}

std::string hmac_sha256(const std::string& key, const std::string& message) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &len);
  return std::string(reinterpret_cast<const char*>(mac), len);
}

std::string hex(const std::string& bytes) {
  static const char* kDigits = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

Result<std::string> webhook_key(const std::string& secret) {
  if (!secret.starts_with("whsec_")) return secret;
  auto key = base64_decode(secret.substr(6));
  if (!key) return make_error(ErrorClass::invalid, "the whsec_ secret is not base64");
  return *key;
}

std::string standard_signature(const std::vector<std::string>& keys, const std::string& msg_id,
                               long long timestamp_s, const std::string& body) {
  const std::string signed_text = msg_id + "." + std::to_string(timestamp_s) + "." + body;
  std::string out;
  for (const auto& k : keys)
    out +=
        (out.empty() ? "" : " ") + std::string("v1,") + base64_encode(hmac_sha256(k, signed_text));
  return out;
}

std::string hub_signature(const std::string& key, const std::string& body) {
  return "sha256=" + hex(hmac_sha256(key, body));
}

}  // namespace hypersdk::notify
