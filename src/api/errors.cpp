#include "api/errors.h"

#include <httplib.h>

#include <nlohmann/json.hpp>

namespace hypersdk::api {

int http_status(ErrorClass cls) {
  switch (cls) {
    case ErrorClass::invalid:
      return 400;
    case ErrorClass::auth:
      return 401;
    case ErrorClass::not_found:
      return 404;
    case ErrorClass::conflict:
      return 409;
    case ErrorClass::rate_limited:
      return 429;
    case ErrorClass::unavailable:
      return 503;
    case ErrorClass::timeout:
      return 504;
    default:
      return 500;
  }
}

ErrorClass error_class_for(std::string_view code, int status) {
  if (auto cls = parse_error_class(code)) return *cls;
  if (code == "forbidden") return ErrorClass::auth;
  if (code == "method_not_allowed" || code == "payload_too_large") return ErrorClass::invalid;
  switch (status) {
    case 400:
    case 405:
    case 411:
    case 413:
    case 414:
    case 415:
    case 422:
      return ErrorClass::invalid;
    case 401:
    case 403:
      return ErrorClass::auth;
    case 404:
    case 410:
      return ErrorClass::not_found;
    case 409:
      return ErrorClass::conflict;
    case 429:
      return ErrorClass::rate_limited;
    case 502:
    case 503:
      return ErrorClass::unavailable;
    case 408:
    case 504:
      return ErrorClass::timeout;
    default:
      return ErrorClass::internal;
  }
}

std::string response_request_id(const httplib::Response& res) {
  return res.get_header_value("X-Request-ID");
}

void write_error(httplib::Response& res, int status, std::string_view code,
                 std::string_view message) {
  const nlohmann::json body{{"error",
                             {{"code", std::string(code)},
                              {"message", std::string(message)},
                              {"request_id", response_request_id(res)}}}};
  res.status = status;
  // Replace, not append: an error may be written over a partly built answer, and
  // set_content() adds a second Content-Type header rather than replacing the first.
  res.headers.erase("Content-Type");
  res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                  "application/json");
}

void write_error(httplib::Response& res, const Error& error) {
  write_error(res, http_status(error.cls), to_string(error.cls), error.message);
}

}  // namespace hypersdk::api
