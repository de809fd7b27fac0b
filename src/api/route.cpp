#include "api/route.h"

#include <charconv>

#include "wire/json_limits.h"

namespace hypersdk::api {

std::string_view to_string(Access a) {
  switch (a) {
    case Access::open:
      return "open";
    case Access::read:
      return "read";
    case Access::operate:
      return "operate";
    case Access::admin:
      return "admin";
  }
  return "read";
}

std::string route_pattern(const std::string& path_template) {
  std::string out;
  for (std::size_t i = 0; i < path_template.size(); ++i) {
    if (path_template[i] == '{') {
      const auto close = path_template.find('}', i);
      out += "([^/]+)";
      i = close;
    } else {
      if (std::string_view(".^$|()[]*+?\\").find(path_template[i]) != std::string_view::npos)
        out += '\\';
      out += path_template[i];
    }
  }
  return out;
}

void write_json(httplib::Response& res, int status, const nlohmann::json& body,
                const std::string& content_type) {
  res.status = status;
  res.headers.erase("Content-Type");
  res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace),
                  content_type);
}

Result<nlohmann::json> parse_json_body(const httplib::Request& req) {
  if (req.body.empty())
    return make_error(ErrorClass::invalid, "the request body must be a JSON object");
  return wire::parse_json_bounded(req.body, "the request body");
}

Result<core::JobId> path_job_id(const httplib::Request& req, std::size_t n) {
  const std::string text = n < req.matches.size() ? std::string(req.matches[n]) : std::string();
  if (auto id = core::parse_job_id(text)) return *id;
  return make_error(ErrorClass::invalid, "'" + text + "' is not a job id (job ids look like j-42)");
}

Result<std::int64_t> int_param(const httplib::Request& req, const std::string& name,
                               std::int64_t fallback, std::int64_t min, std::int64_t max) {
  if (!req.has_param(name)) return fallback;
  const std::string text = req.get_param_value(name);
  std::int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v < min || v > max)
    return make_error(ErrorClass::invalid, "query parameter '" + name +
                                               "' must be an integer from " + std::to_string(min) +
                                               " to " + std::to_string(max) + ", got '" + text +
                                               "'");
  return v;
}

}  // namespace hypersdk::api
