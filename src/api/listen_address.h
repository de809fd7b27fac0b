// The API's listen address: "HOST:PORT" parsing and whether HOST is loopback-only, which
// decides whether the API may run without tokens (DESIGN §10: default bind 127.0.0.1).
//
// Thread safety: pure functions (resolution uses getaddrinfo, which is thread-safe).
#pragma once

#include <string>
#include <string_view>

#include "core/error.h"

namespace hypersdk::api {

struct ListenAddress {
  std::string host;  // without IPv6 brackets: "127.0.0.1", "::1", "localhost", "0.0.0.0"
  int port = 0;      // 0 = any free port

  std::string to_string() const;  // "127.0.0.1:8080", "[::1]:8080"
};

// "127.0.0.1:8080", "localhost:0", "[::1]:8080", "0.0.0.0:8080". Error class invalid.
Result<ListenAddress> parse_listen_address(std::string_view text);

// True when every address HOST resolves to is a loopback address (127.0.0.0/8, ::1).
// Error class invalid when HOST does not resolve.
Result<bool> is_loopback_host(const std::string& host);

}  // namespace hypersdk::api
