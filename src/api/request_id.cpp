#include "api/request_id.h"

#include <cstdint>
#include <cstdio>
#include <random>

namespace hypersdk::api {

bool is_valid_request_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == ':' || c == '-';
    if (!ok) return false;
  }
  return true;
}

std::string generate_request_id() {
  thread_local std::mt19937_64 rng{[] {
    std::random_device rd;
    return (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
  }()};
  char buf[32];
  std::snprintf(buf, sizeof buf, "req-%016llx", static_cast<unsigned long long>(rng()));
  return buf;
}

std::string accept_request_id(std::string_view client_id) {
  return is_valid_request_id(client_id) ? std::string(client_id) : generate_request_id();
}

}  // namespace hypersdk::api
