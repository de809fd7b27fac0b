// The JSON error shape of the HTTP API and the mapping between error classes and HTTP
// statuses, used by the server to answer and by the CLI's API client to read answers back.
//
//   {"error": {"code": "not_found", "message": "no job j-9", "request_id": "req-..."}}
//
// `code` is the ErrorClass name for errors that come from the domain; HTTP-level refusals
// that have no class of their own use "forbidden" (403), "method_not_allowed" (405) and
// "payload_too_large" (413).
//
// Thread safety: pure functions.
#pragma once

#include <string>
#include <string_view>

#include "core/error.h"

namespace httplib {
struct Response;
}

namespace hypersdk::api {

// invalid→400, auth→401, not_found→404, conflict→409, rate_limited→429, unavailable→503,
// timeout→504, anything else→500.
int http_status(ErrorClass cls);

// The class a client should see for an error answer: from the body's `code` when it names a
// class, else from the HTTP status.
ErrorClass error_class_for(std::string_view code, int http_status);

// The X-Request-ID of a response being built ("" when none was set yet).
std::string response_request_id(const httplib::Response& res);

// Replaces the body of `res` with the error shape (request_id from its X-Request-ID header).
void write_error(httplib::Response& res, int status, std::string_view code,
                 std::string_view message);
void write_error(httplib::Response& res, const Error& error);

}  // namespace hypersdk::api
