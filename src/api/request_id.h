// Request ids: every response carries X-Request-ID and every log line written while handling
// the request carries it as http.request.id, so an operator can follow one request through
// the logs. A client's id is kept when it is well-formed, so ids can span systems.
//
// Thread safety: pure functions; generate_request_id() uses a per-thread generator.
#pragma once

#include <string>
#include <string_view>

namespace hypersdk::api {

// 1 to 128 characters of [A-Za-z0-9._:-] (nothing a log line or a header could be broken with).
bool is_valid_request_id(std::string_view id);

// "req-" followed by 16 lowercase hex digits of randomness.
std::string generate_request_id();

// The client's id when valid, else a generated one.
std::string accept_request_id(std::string_view client_id);

}  // namespace hypersdk::api
