// One outbound HTTP POST of the notifier through libcurl, guarded against SSRF (DESIGN §8):
// the address libcurl actually connects to is checked in its open-socket callback (so a DNS
// answer or a rebinding cannot slip a private address past a check of the name), redirects
// are not followed and no proxy is taken from the environment.
// Thread safety: each call is independent (curl_global_init happens once, thread-safely).
#pragma once

#include <sys/socket.h>

#include <chrono>
#include <map>
#include <optional>
#include <string>

namespace hypersdk::notify {

struct HttpRequest {
  std::string url;
  std::map<std::string, std::string> headers;
  std::string body;
  std::string content_type = "application/json";
  std::chrono::milliseconds timeout{10'000};
  bool allow_private = false;
};

struct HttpResult {
  std::optional<int> status;  // none when no answer came
  std::string body;           // the first 4 KiB of the answer
  std::optional<std::chrono::milliseconds> retry_after;
  std::chrono::milliseconds latency{0};
  std::string error;  // why no answer came (refused, timeout, private address refused)
};

HttpResult http_post(const HttpRequest& req);

// The SSRF guard for any libcurl transfer (the SMTP one too): installs the open-socket check
// on `curl` (a CURL*). After the transfer, `refused` tells whether it refused an address.
struct SocketGuard {
  bool allow_private = false;
  bool refused = false;
  std::string address;  // the refused address
};
void install_socket_guard(void* curl, SocketGuard* guard);
// curl_global_init, once per process, before the first transfer.
void curl_global_once();

// True for loopback, private (RFC 1918, fc00::/7), link-local (169.254/16, fe80::/10), CGNAT,
// unspecified, multicast and IPv4-mapped forms of these: what a guarded request may not reach.
bool is_private_address(const sockaddr* addr);

// "Retry-After: 2" or an HTTP date; nullopt when unreadable.
std::optional<std::chrono::milliseconds> parse_retry_after(
    const std::string& value, std::chrono::system_clock::time_point now);

}  // namespace hypersdk::notify
