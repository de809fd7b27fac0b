#include "api/auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <cctype>

namespace hypersdk::api {
namespace {

std::array<unsigned char, 32> sha256(std::string_view text) {
  std::array<unsigned char, 32> out{};
  unsigned int len = 0;
  EVP_Digest(text.data(), text.size(), out.data(), &len, EVP_sha256(), nullptr);
  return out;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  return true;
}

}  // namespace

std::string sha256_hex(std::string_view text) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : sha256(text)) {
    out += kDigits[b >> 4];
    out += kDigits[b & 15];
  }
  return out;
}

std::optional<std::array<unsigned char, 32>> parse_sha256_hex(std::string_view hex) {
  if (hex.size() != 64) return std::nullopt;
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::array<unsigned char, 32> out{};
  for (std::size_t i = 0; i < 32; ++i) {
    const int hi = nibble(hex[2 * i]), lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out[i] = static_cast<unsigned char>(hi * 16 + lo);
  }
  return out;
}

std::string_view to_string(Role role) {
  switch (role) {
    case Role::read:
      return "read";
    case Role::operate:
      return "operate";
    case Role::admin:
      return "admin";
  }
  return "read";
}

std::optional<Role> parse_role(std::string_view text) {
  for (Role r : {Role::read, Role::operate, Role::admin})
    if (text == to_string(r)) return r;
  return std::nullopt;
}

Authenticator::Authenticator(const std::vector<Token>& tokens) {
  for (const auto& t : tokens) {
    if (!t.token.empty()) {
      tokens_.push_back({sha256(t.token), {t.name, t.role}});
    } else if (auto digest = parse_sha256_hex(t.token_sha256)) {
      tokens_.push_back({*digest, {t.name, t.role}});
    }
    // Neither: api_config_from() refuses such an entry, so none reaches here from a config.
  }
}

Result<Principal> Authenticator::authenticate(std::string_view header) const {
  if (header.empty())
    return make_error(ErrorClass::auth,
                      "authentication required: send 'Authorization: Bearer <token>' (the CLI "
                      "reads HYPERSDK_TOKEN or --token)");
  const auto space = header.find(' ');
  if (space == std::string_view::npos || !iequals(header.substr(0, space), "bearer"))
    return make_error(ErrorClass::auth,
                      "unsupported Authorization scheme: send 'Authorization: Bearer <token>'");
  std::string_view secret = header.substr(space + 1);
  while (!secret.empty() && secret.front() == ' ') secret.remove_prefix(1);
  while (!secret.empty() && secret.back() == ' ') secret.remove_suffix(1);
  const auto digest = sha256(secret);
  // Compare against every token without stopping early: the time taken must not depend on
  // which token (if any) matched.
  const Principal* match = nullptr;
  for (const auto& e : tokens_)
    if (CRYPTO_memcmp(e.digest.data(), digest.data(), digest.size()) == 0) match = &e.principal;
  if (secret.empty() || match == nullptr)
    return make_error(ErrorClass::auth, "invalid bearer token");
  return *match;
}

}  // namespace hypersdk::api
