// Bearer-token authentication with roles (DESIGN §10). Roles are ordered read < operate <
// admin: read may GET, operate may also submit, cancel, retry and replay, admin may also
// purge dead letters and read the (redacted) config.
//
// Tokens are kept only as SHA-256 digests and compared in constant time against every
// configured token, so neither timing nor a memory dump of this object reveals one.
// Nothing here logs; callers must never log the Authorization header.
//
// Thread safety: an Authenticator is immutable after construction; safe from any thread.
#pragma once

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"

namespace hypersdk::api {

enum class Role { read = 1, operate = 2, admin = 3 };
std::string_view to_string(Role role);  // "read" | "operate" | "admin"
std::optional<Role> parse_role(std::string_view text);

// One of `token` and `token_sha256` is set: a config may hold only the SHA-256 of a token
// (`token_sha256:`, what `hypersdk token create` prints), so that it holds no secret.
struct Token {
  std::string name;   // shown in logs and used as the rate-limit key; not secret
  std::string token;  // the secret itself (already resolved from env:/file: references)
  Role role = Role::read;
  std::string token_sha256;  // 64 hex digits of SHA-256(token), when `token` is empty
};

// 64 lowercase hex digits of SHA-256(text).
std::string sha256_hex(std::string_view text);
// The 32 bytes of a 64-hex-digit digest (either case); nullopt when it is not one.
std::optional<std::array<unsigned char, 32>> parse_sha256_hex(std::string_view hex);

// The authenticated caller.
struct Principal {
  std::string name;
  Role role = Role::read;
};

class Authenticator {
 public:
  explicit Authenticator(const std::vector<Token>& tokens);

  // False when no tokens are configured: every request is then allowed (loopback laptop use,
  // or a remote listener explicitly allowed without tokens).
  bool enabled() const { return !tokens_.empty(); }

  // Reads "Bearer <token>" (scheme case-insensitive). Error class auth when the header is
  // missing, malformed or names no configured token; the message never contains the token.
  Result<Principal> authenticate(std::string_view authorization_header) const;

  static bool allows(const Principal& who, Role required) {
    return static_cast<int>(who.role) >= static_cast<int>(required);
  }

 private:
  struct Entry {
    std::array<unsigned char, 32> digest;
    Principal principal;
  };
  std::vector<Entry> tokens_;
};

}  // namespace hypersdk::api
